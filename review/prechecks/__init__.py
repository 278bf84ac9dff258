"""Pre-publication checks (文字关, 保密关): evidence for reviewers, never a decision.

`normalize` maps text to the form rules match on and back; `rulesets` reads and compiles the rule files;
`scan` runs compiled rules over a text and returns findings with offsets into the original text.
"""

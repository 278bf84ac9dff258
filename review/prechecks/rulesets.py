"""Rulesets: YAML files in `rulesets/` (shipped) and word lists an admin imports (stored in the database).

A ruleset file:

    ruleset: secrecy            # its name; a rule's id starts with it
    version: 1                  # bump when a rule changes; findings record it
    label: {zh: 密级标志, en: Classification marks}
    rules:
      - id: secrecy.mark
        category: 保密
        severity: block         # block | warn
        pattern: '(绝密|机密|秘密)\\s*★'   # or terms: [...], or detector: resident_id | bank_card | mobile,
        suggestion: 删除密级标志，涉密信息不上网   # or names: [...] (a leader-names list)
        source: GB/T 9704-2012 §7.2.2

Exactly one of `pattern`, `terms`, `detector` and `names` per rule. A terms rule may list `except`:
longer words that contain a term but are legitimate ("东北朝鲜族" for "北朝鲜").
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from review.errors import Invalid
from review.prechecks.normalize import normalize_term

RuleId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$", max_length=64)]
RulesetName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]
Term = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Detector = Literal["resident_id", "bank_card", "mobile"]
Severity = Literal["block", "warn"]

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_TERMS = 200_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Labels(_Strict):
    zh: str = Field(min_length=1, max_length=64)
    en: str = Field(min_length=1, max_length=64)


class RuleSpec(_Strict):
    id: RuleId
    category: str = Field(min_length=1, max_length=32)
    severity: Severity
    suggestion: str = Field(default="", max_length=500)
    source: str = Field(min_length=1, max_length=500)
    pattern: str | None = Field(default=None, max_length=2000)
    terms: tuple[Term, ...] = ()
    detector: Detector | None = None
    names: tuple[Term, ...] = ()
    exceptions: tuple[Term, ...] = Field(default=(), alias="except")

    @model_validator(mode="after")
    def _one_kind(self) -> RuleSpec:
        kinds = [
            k
            for k, given in (
                ("pattern", self.pattern),
                ("terms", self.terms),
                ("detector", self.detector),
                ("names", self.names),
            )
            if given
        ]
        if len(kinds) != 1:
            raise ValueError("a rule has exactly one of pattern, terms, detector and names")
        if self.pattern is not None:
            try:
                compiled = re.compile(self.pattern)
            except re.error as error:
                raise ValueError(f"the pattern is not a valid regular expression: {error}") from None
            if compiled.match(""):
                raise ValueError("the pattern matches empty text")
        if self.exceptions and not self.terms:
            raise ValueError("only a terms rule takes except")
        for word in self.exceptions:
            if not any(normalize_term(term) in normalize_term(word) for term in self.terms):
                raise ValueError(f"except {word!r} contains none of the rule's terms")
        for name in self.names:
            if not 2 <= len(normalize_term(name)) <= 8:
                raise ValueError(f"name {name!r}: a name has 2 to 8 visible characters")
        return self


class RulesetSpec(_Strict):
    ruleset: RulesetName
    version: int = Field(ge=1)
    label: Labels
    rules: tuple[RuleSpec, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids(self) -> RulesetSpec:
        seen: set[str] = set()
        for rule in self.rules:
            if not rule.id.startswith(self.ruleset.replace("-", "_") + "."):
                raise ValueError(
                    f"rule {rule.id!r}: ids in ruleset {self.ruleset!r} start with {self.ruleset.replace('-', '_')}."
                )
            if rule.id in seen:
                raise ValueError(f"rule id {rule.id!r} is used twice")
            seen.add(rule.id)
        if sum(len(rule.terms) + len(rule.names) for rule in self.rules) > MAX_TERMS:
            raise ValueError(f"a ruleset holds at most {MAX_TERMS} terms")
        return self

    def digest(self) -> str:
        """SHA-256 of the ruleset's canonical JSON: what a finding's `ruleset` fingerprint is made of."""
        canonical = json.dumps(self.model_dump(mode="json", by_alias=True), ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()


def parse_ruleset(text: str, source: str) -> RulesetSpec:
    if len(text.encode()) > MAX_FILE_BYTES:
        raise Invalid(f"{source}: the ruleset is larger than {MAX_FILE_BYTES} bytes", code="ruleset_invalid")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise Invalid(f"{source}: not valid YAML: {error}", code="ruleset_invalid") from None
    try:
        return RulesetSpec.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or 'the file'}: {item['msg']}" for item in error.errors()
        )
        raise Invalid(f"{source}: {problems}", code="ruleset_invalid") from None


def load_ruleset_folder(folder: Path) -> list[RulesetSpec]:
    """Every `*.yaml` in the folder, by file name; a bad file stops the load with its problems."""
    specs = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise Invalid(f"cannot read ruleset {path}: {error}", code="ruleset_invalid") from None
        specs.append(parse_ruleset(text, str(path)))
    names = [spec.ruleset for spec in specs]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise Invalid(f"ruleset names used by two files in {folder}: {', '.join(duplicated)}", code="ruleset_invalid")
    return specs

"""What a refusal says on a page, in the reader's language, keyed by the engine's error code.

The engine's own message is English and exact (which revision, which rule). English pages show it
under the headline; Chinese pages show the headline alone, which names the problem and what to do —
every code a page can meet has one (tests/web/test_i18n.py checks the codes the engine raises) — except
for the few whose headline cannot say what the message says (`EXACT_EVERYWHERE`).
"""

from __future__ import annotations

from dataclasses import dataclass

from review.content import BODY_MAX, COMMENT_MAX, REASON_MAX, TAG_MAX, TAGS_MAX, TITLE_MAX
from review.errors import SanshenError
from review.passwords import MAX_LENGTH, MIN_LENGTH
from web.i18n import N_, current

FORM = N_("The form has a problem; correct it and send it again.")
NOT_YOURS = N_("Your roles do not allow this.")
MOVED_ON = N_(
    "This step is no longer waiting for this decision: it was decided already (perhaps by you, before going "
    "back or in another tab). The page now shows where the draft is."
)
TOO_LONG = N_("The text is longer than its limit of %(limit)d characters.")
CHECKS = N_("To approve this step, tick every check it requires.")

HEADLINES: dict[str, str] = {
    "stale_revision": N_(
        "The text changed after this page was loaded: someone saved a new revision. Read the new text first."
    ),
    "wrong_step": MOVED_ON,
    "not_under_review": MOVED_ON,
    "concurrent_decision": MOVED_ON,
    "invalid_transition": MOVED_ON,
    "unknown_step": MOVED_ON,
    "already_signed": N_("You have already decided on this step."),
    "missing_checks": CHECKS,
    "invalid_checklist": N_("Only the checks this workflow knows can be attested."),
    "comment_required": N_("Write an opinion: every decision needs one."),
    "comment_required_too_long": TOO_LONG,
    "unknown_decision": N_("Choose a decision: approve, return or reject."),
    "no_corrections": N_(
        "改后付印 means you corrected the text in this read-through: make the corrections first, or sign 付印."
    ),
    "corrections_unchecked": N_(
        "You corrected the text in this read-through: sign 改后付印, and another proofreader checks your corrections."
    ),
    "invalid_errors": N_(
        "Error counts are whole numbers, one per category, recorded on a proofreader's correction of the text."
    ),
    "error_rate_unacknowledged": N_(
        "For this channel the last proofread found more errors than its limit allows, and 终审 did not "
        "acknowledge an excess: publish it to the draft's own channel."
    ),
    "invalid_limit": N_("A limit is a number of errors per 10 000 characters, from 0 up."),
    "unknown_medium": N_("Choose a medium: book, journal, newspaper or web."),
    "invalid_form": N_("The form is incomplete; reload the page and try again."),
    "author_cannot_sign": N_("You wrote this draft: its author may not sign any of its steps (R4)."),
    "separation_of_duties": N_(
        "Each of these steps must be signed by a different person, and you already took part in another."
    ),
    "missing_role": NOT_YOURS,
    "missing_qualification": N_("This step needs a qualification you do not hold."),
    "not_author": N_("Only the draft's author may do this."),
    "not_readable": N_("Authors may read only their own drafts."),
    "not_admin": N_("Only an administrator may do this."),
    "not_editable": N_("This draft cannot be edited now."),
    "not_submittable": N_("This draft cannot be submitted now."),
    "not_submitted": N_("This draft has not been submitted."),
    "not_signed_off": N_("The draft is not fully signed off: it cannot be published yet."),
    "already_published": N_("This draft is already published."),
    "already_retracted": N_("This draft has been retracted; it cannot be published again."),
    "not_published": N_("This draft is not published."),
    "reason_required": N_("Give a reason for the retraction."),
    "reason_required_too_long": TOO_LONG,
    "precheck_blocked": N_(
        "The text has blocking pre-check findings (marked in red below) that no reviewer at 复审 or above has "
        "overridden: correct the text, or have each finding overridden with a reason."
    ),
    "invalid_findings": N_("Tick at least one blocking finding of the current text to override."),
    "already_overridden": N_("That finding has already been overridden; reload the page."),
    "override_reason_required": N_("Give a reason for the override: it is kept in the trail and the 审批单."),
    "override_reason_required_too_long": TOO_LONG,
    "author_cannot_override": N_("You wrote this draft: its author may not override its pre-check findings."),
    "ruleset_invalid": N_("A pre-check ruleset on the server is invalid; ask its administrator."),
    "word_list_invalid": N_("The word list was not imported; the reason follows."),
    "word_list_missing": N_("Paste the list or choose a file to upload."),
    "word_list_twice": N_("Paste the list or upload a file, not both."),
    "word_list_not_utf8": N_("The file is not UTF-8 text: save it as UTF-8, one term per line, and upload it again."),
    "invalid_ruleset_name": N_(
        "A ruleset name has 1 to 32 lowercase letters, digits, '_' or '-', and starts with a letter."
    ),
    "title_empty": N_("The title is empty."),
    "title_too_long": N_("The title is longer than %(limit)d characters."),
    "body_empty": N_("The text is empty."),
    "body_too_long": N_("The text is longer than %(limit)d characters."),
    "invalid_text": N_("The text contains control or invisible characters that are not allowed."),
    "invalid_tag": N_("A tag may have up to %(limit)d letters, digits, '_' or '-'."),
    "too_many_tags": N_("A draft may have at most %(limit)d tags."),
    "unknown_channel": N_("Choose one of the channels offered."),
    "unknown_importance": N_("Choose one of the importance levels offered."),
    "draft_not_found": N_("There is no such draft."),
    "invalid_draft": N_("Give a draft number, such as 12."),
    "invalid_range": N_("Give dates such as 2026-11-01, the first before the second."),
    "invalid_format": N_("Choose one of the formats offered."),
    "user_not_found": N_("There is no such user."),
    "user_deactivated": N_("This account is deactivated; ask an administrator."),
    "already_deactivated": N_("This account is already deactivated."),
    "self_lockout": N_("You cannot take away your own administrator access."),
    "username_taken": N_("That username is taken; usernames are never reused, even after deactivation."),
    "invalid_username": N_(
        "A username has 2 to 64 lowercase letters, digits, '.', '_' or '-', and starts with a letter or digit."
    ),
    "invalid_full_name": N_("The full name must be 1 to 100 characters on one line."),
    "no_role": N_("Give the user at least one role."),
    "unknown_role": N_("Choose roles from those offered."),
    "invalid_qualification": N_("A qualification is a short name of letters, digits, '_' or '-'."),
    "weak_password": N_(
        "The password is too weak: use %(min)d to %(max)d characters, not a common password, with at least 5 "
        "different characters, and not containing the username."
    ),
    "passwords_differ": N_("The two passwords differ."),
    "no_eligible_signer": N_(
        "No one is able to sign a step this draft needs; ask an administrator to assign the role."
    ),
    "would_strand": N_("After this approval no one could sign a later step; ask an administrator to assign the role."),
    "no_step_applies": N_("No step of the workflow applies to this draft."),
    "trail_broken": N_("The trail does not verify; run the verification on the audit page."),
    "no_drafts": N_("No draft has events in that time range."),
    "too_many_drafts": N_("Too many drafts for one file of sign-off sheets: choose a draft or a shorter range."),
    "no_cjk_font": N_("The server has no Chinese font for PDFs; ask its administrator to install fonts-noto-cjk."),
    "already_active": N_("This account is active."),
    "bad_checkpoint": N_("A checkpoint file kept by the server cannot be read; ask its administrator."),
    "bad_signing_key": N_("The server's signing key cannot be read; ask its administrator."),
    "no_signing_key": N_("The server has no signing key; ask its administrator to run sanshen init."),
    "busy": N_("The server is busy; try again in a moment."),
    "csrf": N_("This form has expired or did not come from this site. Reload the page and try again."),
    "wrong_password": N_("Wrong username or password."),
    "too_many_attempts": N_(
        "Too many failed log-ins for this account or from this address: wait a few minutes, then try again."
    ),
    "not_found": N_("There is no such page."),
}
LIMITS: dict[str, dict[str, int]] = {
    "comment_required_too_long": {"limit": COMMENT_MAX},
    "reason_required_too_long": {"limit": REASON_MAX},
    "override_reason_required_too_long": {"limit": REASON_MAX},
    "title_too_long": {"limit": TITLE_MAX},
    "body_too_long": {"limit": BODY_MAX},
    "invalid_tag": {"limit": TAG_MAX},
    "too_many_tags": {"limit": TAGS_MAX},
    "weak_password": {"min": MIN_LENGTH, "max": MAX_LENGTH},
}


EXACT_EVERYWHERE = frozenset({"word_list_invalid"})
"""Refusals only the engine's message makes precise (which line of a word list is wrong, and why): it is
shown under the headline on Chinese pages too."""


@dataclass(frozen=True)
class Refusal:
    headline: str
    detail: str | None


def refusal_message(error: SanshenError) -> Refusal:
    """The refusal in the reader's language; English pages add the engine's exact message."""
    language = current()
    headline = language.gettext(HEADLINES.get(error.code, FORM)) % LIMITS.get(error.code, {})
    exact = language.code == "en" or error.code in EXACT_EVERYWHERE
    return Refusal(headline, error.message if exact else None)

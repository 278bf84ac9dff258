"""What a refusal says on a page: a headline in the reader's language, keyed by the engine's error code.

The engine's own message (English, exact: which revision, which rule) is shown under the headline as
its detail; the headline says what happened and what to do, in words an editor uses.
"""

from __future__ import annotations

from dataclasses import dataclass

from review.errors import SanshenError
from web.i18n import N_, gettext

FORM = N_("The form has a problem; correct it and send it again.")
NOT_YOURS = N_("Your roles do not allow this.")
MOVED_ON = N_(
    "Someone acted first: this step is no longer waiting for your decision. The page now shows where the draft is."
)

HEADLINES: dict[str, str] = {
    "stale_revision": N_(
        "The text changed after this page was loaded: a new revision was saved. Read it again before you decide."
    ),
    "wrong_step": MOVED_ON,
    "not_under_review": MOVED_ON,
    "concurrent_decision": MOVED_ON,
    "invalid_transition": MOVED_ON,
    "already_signed": N_("You have already decided on this step."),
    "missing_checks": N_("To approve this step, tick every check it requires."),
    "invalid_checklist": N_("To approve this step, tick every check it requires."),
    "comment_required": N_("Write an opinion: every decision needs one."),
    "author_cannot_sign": N_("You wrote this draft: its author may not sign any of its steps (R4)."),
    "separation_of_duties": N_(
        "Each of these steps must be signed by a different person, and you already took part in another."
    ),
    "missing_role": NOT_YOURS,
    "missing_qualification": N_("This step needs a qualification you do not hold."),
    "not_author": N_("Only the draft's author may do this."),
    "not_readable": N_("Authors may read only their own drafts."),
    "not_admin": N_("Only an administrator manages users."),
    "not_editable": N_("This draft cannot be edited now."),
    "not_submittable": N_("This draft cannot be submitted now."),
    "not_submitted": N_("This draft has not been submitted."),
    "not_signed_off": N_("The draft is not fully signed off: it cannot be published yet."),
    "not_published": N_("This draft is not published."),
    "reason_required": N_("Give a reason for the retraction."),
    "draft_not_found": N_("There is no such draft."),
    "user_not_found": N_("There is no such user."),
    "user_deactivated": N_("This account is deactivated; ask an administrator."),
    "already_deactivated": N_("This account is already deactivated."),
    "self_lockout": N_("You cannot take away your own administrator access."),
    "username_taken": N_("That username is taken; usernames are never reused, even after deactivation."),
    "weak_password": N_("The password is too weak."),
    "no_eligible_signer": N_(
        "No one is able to sign a step this draft needs; ask an administrator to assign the role."
    ),
    "would_strand": N_("After this approval no one could sign a later step; ask an administrator to assign the role."),
    "no_step_applies": N_("No step of the workflow applies to this draft."),
    "trail_broken": N_("The trail does not verify; run the verification on the audit page."),
    "busy": N_("The server is busy; try again in a moment."),
    "csrf": N_("This form has expired or did not come from this site. Reload the page and try again."),
    "wrong_password": N_("Wrong username or password."),
}


@dataclass(frozen=True)
class Refusal:
    headline: str
    detail: str


def refusal_message(error: SanshenError) -> Refusal:
    """The refusal in the reader's language, with the engine's exact message as detail."""
    return Refusal(gettext(HEADLINES.get(error.code, FORM)), error.message)

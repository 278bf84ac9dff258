"""What a person may do with a draft now — for pages that show only the actions that would succeed.

It asks the same rules the commands enforce (`review.rules`), without changing anything; a command
still checks everything again under the draft's lock, so a page that is out of date is refused, never
obeyed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from review.actors import Actor
from review.enums import CORRECTING_KINDS, Decision, DraftState, Role, StepKind
from review.errors import SanshenError
from review.hehong import changes_signed, checks_to_attest
from review.models import Draft
from review.rules import check_draft_signer
from review.runs import require_run, run_corrections
from review.workflows.registry import compiled
from review.workflows.spec import StepSpec


@dataclass(frozen=True)
class Check:
    key: str
    label_zh: str
    label_en: str


@dataclass(frozen=True)
class DecisionOffer:
    """The active step, offered to someone who may decide on it."""

    step: StepSpec
    revision: int
    checks: list[Check]
    decisions: tuple[Decision, ...]
    """What may be decided now: at a read-through, 付印 (approve) if its reader corrected nothing, else
    改后付印 (approve_with_changes); once signed 改后付印, another person's approval checks it (R20)."""
    checking_changes: bool
    """The step is a read-through signed 改后付印, waiting for its corrections to be checked."""


@dataclass(frozen=True)
class Abilities:
    submit: bool
    edit: bool
    """May save a new revision: the author before submission or after a return; a proofreader at a step."""
    correct: bool
    """The edit would be a proofreader's correction inside the active proofread step."""
    decide: DecisionOffer | None
    not_signer_because: SanshenError | None
    """Why the active step's form is not shown to this person, when they hold one of its roles."""
    publish: bool
    retract: bool


def abilities(session: Session, actor: Actor, draft: Draft) -> Abilities:
    wf = compiled(session, draft.workflow_version_id)
    author = actor.id == draft.author_id
    editable_state = draft.state in (DraftState.DRAFT, DraftState.RETURNED)
    step = wf.step(draft.state)
    offer: DecisionOffer | None = None
    why_not: SanshenError | None = None
    correct = False
    if step is not None:
        try:
            check_draft_signer(session, wf.spec, step, actor, draft)
        except SanshenError as refused:
            if set(step.roles) & actor.roles:
                why_not = refused
        else:
            checks = [Check(key, *wf.spec.check_label(key)) for key in checks_to_attest(session, draft, wf, step.id)]
            checking = others = False
            approve: tuple[Decision, ...] = (Decision.APPROVE,)
            if step.kind is StepKind.READTHROUGH:
                run = require_run(session, draft)
                assert run.id is not None
                checking = changes_signed(session, run.id, step.id)
                correctors = {user for step_id, user in run_corrections(session, draft) if step_id == step.id}
                others = bool(correctors - {actor.id})
                if not checking and actor.id in correctors:
                    approve = (Decision.APPROVE_WITH_CHANGES,)
                elif not checking and others:
                    approve = ()  # another reader corrected: they sign 改后付印
            offer = DecisionOffer(
                step=step,
                revision=draft.revision,
                checks=checks,
                decisions=(*approve, Decision.RETURN, Decision.REJECT),
                checking_changes=checking,
            )
            correct = step.kind in CORRECTING_KINDS and not checking and not others
    return Abilities(
        submit=author and editable_state,
        edit=(author and editable_state) or correct,
        correct=correct,
        decide=offer,
        not_signer_because=why_not,
        publish=actor.has(Role.PUBLISHER) and draft.state == DraftState.APPROVED,
        retract=actor.has(Role.PUBLISHER) and draft.state == DraftState.PUBLISHED,
    )

"""核红 (R19): each proofread checks that the previous round's corrections were applied correctly.

In Sanshen the corrections are exact revisions, so 核红 is: the next proofread step is shown the diff
of the previous proofread step's corrections in this cycle, and approving it attests `hehong` — required
only when that round corrected the text.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from review.diffs import Diff, revision_diff
from review.enums import HEHONG, StepKind
from review.models import Draft, Revision, User
from review.runs import current_run, run_steps
from review.workflows.compiler import CompiledWorkflow


@dataclass(frozen=True)
class PreviousRound:
    step: str
    label: tuple[str, str]
    from_revision: int
    """The revision the previous proofread started from."""
    to_revision: int
    """The last revision it made."""


def previous_round(session: Session, draft: Draft, wf: CompiledWorkflow, step_id: str) -> PreviousRound | None:
    """The corrections of the proofread step before `step_id` in the current cycle, if it made any."""
    step = wf.step(step_id)
    run = current_run(session, draft)
    if step is None or step.kind is not StepKind.PROOFREAD or run is None or run.id is None:
        return None
    states = run_steps(session, run.id)
    here = next((s.position for s in states if s.step_id == step_id), None)
    earlier = [
        s.step_id
        for s in states
        if here is not None and s.position < here and (spec := wf.step(s.step_id)) and spec.kind is StepKind.PROOFREAD
    ]
    if not earlier:
        return None
    numbers = session.exec(
        select(Revision.number)
        .where(
            col(Revision.draft_id) == draft.id, col(Revision.cycle) == draft.cycle, col(Revision.step_id) == earlier[-1]
        )
        .order_by(col(Revision.number))
    ).all()
    if not numbers:
        return None
    previous = wf.step(earlier[-1])
    assert previous is not None
    return PreviousRound(earlier[-1], (previous.label.zh, previous.label.en), numbers[0] - 1, numbers[-1])


def previous_round_diff(session: Session, draft: Draft, wf: CompiledWorkflow) -> Diff | None:
    """What the page shows the active proofread step for 核红, or None."""
    found = previous_round(session, draft, wf, draft.state)
    if found is None:
        return None
    corrector = session.exec(
        select(User.full_name)
        .join(Revision, col(Revision.author_id) == col(User.id))
        .where(col(Revision.draft_id) == draft.id, col(Revision.number) == found.to_revision)
    ).one()
    return revision_diff(session, draft, found.from_revision, found.to_revision, step=found.label, by=corrector)


def checks_to_attest(session: Session, draft: Draft, wf: CompiledWorkflow, step_id: str) -> list[str]:
    """What an approval of `step_id` must attest: the step's own checks (R9), and 核红 after a
    corrected proofread round (R19). The decision form offers these; `decide` requires them."""
    step = wf.step(step_id)
    own = list(step.checks) if step is not None else []
    return [*own, HEHONG] if previous_round(session, draft, wf, step_id) is not None else own

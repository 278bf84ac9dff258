"""核红 (R19): each proofread checks that the previous round's corrections were applied correctly.

In Sanshen the corrections are exact revisions, so 核红 is: the next proofread (or read-through) step is
shown the diff of the previous such step's corrections in this cycle, and approving it attests `hehong` —
required only when that round corrected the text. After a read-through signed 改后付印 (R20), the one who
checks its corrections is shown the read-through's own corrections and attests `hehong` for them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from review.diffs import Diff, revision_diff
from review.enums import CORRECTING_KINDS, ERROR_RATE, HEHONG, READ_IN_FULL, Decision, StepKind
from review.errorrate import error_report
from review.models import Draft, Revision, User
from review.runs import current_run, cycle_corrections, run_signoffs, run_steps
from review.workflows.compiler import CompiledWorkflow


@dataclass(frozen=True)
class PreviousRound:
    step: str
    label: tuple[str, str]
    from_revision: int
    """The revision the previous proofread started from."""
    to_revision: int
    """The last revision it made."""


def changes_signed(session: Session, run_id: int, step_id: str) -> bool:
    """Whether a read-through was signed 改后付印 in this run: its corrections await checking (R20)."""
    return any(
        s.step_id == step_id and s.decision == Decision.APPROVE_WITH_CHANGES for s in run_signoffs(session, run_id)
    )


def previous_round(session: Session, draft: Draft, wf: CompiledWorkflow, step_id: str) -> PreviousRound | None:
    """The corrections to check at `step_id` in the current cycle, if there are any: those of the
    proofread or read-through step before it, or, after 改后付印, the read-through's own."""
    step = wf.step(step_id)
    run = current_run(session, draft)
    if step is None or step.kind not in CORRECTING_KINDS or run is None or run.id is None:
        return None
    if step.kind is StepKind.READTHROUGH and changes_signed(session, run.id, step_id):
        earlier = [step_id]
    else:
        states = run_steps(session, run.id)
        here = next((s.position for s in states if s.step_id == step_id), None)
        earlier = [
            s.step_id
            for s in states
            if here is not None and s.position < here and (spec := wf.step(s.step_id)) and spec.kind in CORRECTING_KINDS
        ]
    if not earlier:
        return None
    numbers = [c.number for c in cycle_corrections(session, draft) if c.step_id == earlier[-1]]
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
    """What an approval of `step_id` must attest. The decision form offers these; `decide` requires them.

    - the step's own checks (R9); a read-through's reader also attests reading in full (R20);
    - 核红 after a corrected round (R19); checking a read-through's 改后付印 attests only that;
    - at the final review, that it saw the last proofread find more errors than the channel allows (R21).
    """
    step = wf.step(step_id)
    if step is None:
        return []
    run = current_run(session, draft)
    if step.kind is StepKind.READTHROUGH and run is not None and run.id and changes_signed(session, run.id, step_id):
        return [HEHONG]
    checks = list(step.checks)
    if step.kind is StepKind.READTHROUGH and READ_IN_FULL not in checks:
        checks.append(READ_IN_FULL)
    if previous_round(session, draft, wf, step_id) is not None:
        checks.append(HEHONG)
    # Without a correction in the cycle no proofread found an error, so none can be over a limit.
    if (
        step.kind is StepKind.REVIEW
        and cycle_corrections(session, draft)
        and (report := error_report(session, draft, wf))
        and report.flagged(step_id)
    ):
        checks.append(ERROR_RATE)
    return checks

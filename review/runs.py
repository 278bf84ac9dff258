"""Reading a draft's current cycle: its run, step states and decisions."""

from __future__ import annotations

from sqlmodel import Session, col, select

from review.errors import Conflict
from review.models import Draft, Revision, Signoff, StepState, WorkflowRun


def current_run(session: Session, draft: Draft) -> WorkflowRun | None:
    if draft.cycle == 0:
        return None
    return session.exec(
        select(WorkflowRun).where(col(WorkflowRun.draft_id) == draft.id, col(WorkflowRun.cycle) == draft.cycle)
    ).one()


def require_run(session: Session, draft: Draft) -> WorkflowRun:
    run = current_run(session, draft)
    if run is None:
        raise Conflict(f"draft {draft.id} has not been submitted", code="not_submitted")
    return run


def run_signoffs(session: Session, run_id: int) -> list[Signoff]:
    return list(session.exec(select(Signoff).where(col(Signoff.run_id) == run_id).order_by(col(Signoff.id))))


def run_steps(session: Session, run_id: int) -> list[StepState]:
    return list(
        session.exec(select(StepState).where(col(StepState.run_id) == run_id).order_by(col(StepState.position)))
    )


def run_corrections(session: Session, draft: Draft) -> list[tuple[str, int]]:
    """(step id, proofreader's user id) of every correction made inside a step of the current cycle."""
    rows = session.exec(
        select(Revision.step_id, Revision.author_id).where(
            col(Revision.draft_id) == draft.id, col(Revision.cycle) == draft.cycle, col(Revision.step_id).is_not(None)
        )
    ).all()
    return [(step_id, user_id) for step_id, user_id in rows if step_id is not None]


def steps_ever_applied(session: Session, draft: Draft) -> set[str]:
    """Every step that applied to the draft in any cycle so far."""
    return set(
        session.exec(
            select(StepState.step_id)
            .join(WorkflowRun, col(WorkflowRun.id) == col(StepState.run_id))
            .where(col(WorkflowRun.draft_id) == draft.id)
        )
    )

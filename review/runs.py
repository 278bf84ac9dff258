"""Reading a draft's current cycle: its run, step states and decisions."""

from __future__ import annotations

from sqlmodel import Session, col, select

from review.errors import Conflict
from review.models import Draft, Signoff, StepState, WorkflowRun


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

"""Reading a draft's current cycle: its run, step states, decisions and corrections, each read once
per transaction until it writes (review.memo)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlmodel import Session, col, select

from review.errors import Conflict
from review.memo import remember
from review.models import Draft, Revision, Signoff, StepState, WorkflowRun


def run_key(draft_id: int | None, cycle: int) -> tuple[str, int | None, int]:
    return ("run", draft_id, cycle)


def current_run(session: Session, draft: Draft) -> WorkflowRun | None:
    if draft.cycle == 0:
        return None
    return remember(
        session,
        run_key(draft.id, draft.cycle),
        lambda: session.exec(
            select(WorkflowRun).where(col(WorkflowRun.draft_id) == draft.id, col(WorkflowRun.cycle) == draft.cycle)
        ).one(),
    )


def require_run(session: Session, draft: Draft) -> WorkflowRun:
    run = current_run(session, draft)
    if run is None:
        raise Conflict(f"draft {draft.id} has not been submitted", code="not_submitted")
    return run


def run_signoffs(session: Session, run_id: int) -> list[Signoff]:
    return list(
        remember(
            session,
            ("signoffs", run_id),
            lambda: list(session.exec(select(Signoff).where(col(Signoff.run_id) == run_id).order_by(col(Signoff.id)))),
        )
    )


def run_steps(session: Session, run_id: int) -> list[StepState]:
    return list(
        remember(
            session,
            ("steps", run_id),
            lambda: list(
                session.exec(select(StepState).where(col(StepState.run_id) == run_id).order_by(col(StepState.position)))
            ),
        )
    )


@dataclass(frozen=True)
class Correction:
    """A revision made inside a step of the current cycle (R18)."""

    number: int
    step_id: str
    author_id: int
    errors: Mapping[str, int] | None


def cycle_corrections(session: Session, draft: Draft) -> list[Correction]:
    """Every correction of the current cycle, oldest first."""

    def load() -> list[Correction]:
        rows = session.exec(
            select(Revision.number, Revision.step_id, Revision.author_id, Revision.errors)
            .where(
                col(Revision.draft_id) == draft.id,
                col(Revision.cycle) == draft.cycle,
                col(Revision.step_id).is_not(None),
            )
            .order_by(col(Revision.number))
        ).all()
        return [
            Correction(number, step_id, author_id, errors) for number, step_id, author_id, errors in rows if step_id
        ]

    return list(remember(session, ("corrections", draft.id, draft.cycle), load))


def run_corrections(session: Session, draft: Draft) -> list[tuple[str, int]]:
    """(step id, proofreader's user id) of every correction made inside a step of the current cycle."""
    return [(c.step_id, c.author_id) for c in cycle_corrections(session, draft)]


def steps_ever_applied(session: Session, draft: Draft) -> set[str]:
    """Every step that applied to the draft in any cycle so far."""
    return set(
        session.exec(
            select(StepState.step_id)
            .join(WorkflowRun, col(WorkflowRun.id) == col(StepState.run_id))
            .where(col(WorkflowRun.draft_id) == draft.id)
        )
    )

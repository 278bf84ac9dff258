"""The queue (待办): the drafts a person may act on now, oldest waiting first.

A draft is in someone's queue when its active step is signed by a role they hold (with the
qualification the step asks for), they are not its author (R4), and in this cycle they have neither
decided on that step nor signed, or corrected text in, another step of its distinct-signers group
(R3, R16). The filter runs in SQL, on the index over (workflow version, state, waiting since, id).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Exists, Select, and_, exists, or_, union_all
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from review import clock
from review.actors import Actor
from review.models import Draft, Revision, Signoff, StepState, WorkflowRun, WorkflowVersion
from review.workflows.registry import compiled

QUEUE_LIMIT = 1000


class QueueItem(BaseModel):
    draft_id: int
    title: str
    step: str
    step_label: str
    step_label_en: str
    waiting_since: datetime
    waiting_seconds: int
    revision: int
    channel: str
    importance: str


Steps = dict[int, dict[str, tuple[str, str]]]
"""Per workflow version, the steps the actor signs, with their labels."""

MAX_BRANCHES = 200
"""Above this many (version, step) branches the queue is one filtered, sorted query instead (SQLite allows
at most 500 terms in a compound SELECT; a workflow file edited many times has many versions)."""


def _my_steps(session: Session, actor: Actor) -> Steps:
    """Per workflow version that has drafts at any of them, the steps the actor's roles and
    qualifications let them sign, with labels."""
    steps_by_version: Steps = {}
    for version_id in session.exec(select(WorkflowVersion.id)):
        assert version_id is not None
        wf = compiled(session, version_id)
        mine = {
            step.id: (step.label.zh, step.label.en)
            for step in wf.spec.steps
            if set(step.roles) & actor.roles
            and (step.qualification is None or step.qualification in actor.qualifications)
        }
        if mine:
            steps_by_version[version_id] = mine
    if not steps_by_version:
        return {}
    # Old versions of a workflow mostly have no drafts in flight: probe the queue index for which do.
    in_use = set(
        session.exec(
            select(Draft.workflow_version_id)
            .where(
                col(Draft.workflow_version_id).in_(list(steps_by_version)),
                col(Draft.state).in_(sorted({step for steps in steps_by_version.values() for step in steps})),
            )
            .distinct()
        )
    )
    return {version_id: steps for version_id, steps in steps_by_version.items() if version_id in in_use}


def _waiting(actor: Actor, steps_by_version: Steps, wanted: int) -> Select[*tuple[Any, ...]]:
    """The first `wanted` drafts waiting for the actor, oldest first.

    One branch per (workflow version, step) the actor signs, each reading the queue index in order
    (`state_since` is when the active step became active) and stopping after `wanted` rows that pass
    the filters; the branches are merged by one sort of at most `wanted` rows each. The cost follows
    the page asked for, not the number of drafts in the database.
    """
    pairs = [(version_id, step) for version_id, steps in steps_by_version.items() for step in steps]
    if len(pairs) > MAX_BRANCHES:
        at_my_step = or_(
            *(
                and_(col(Draft.workflow_version_id) == version_id, col(Draft.state).in_(list(steps)))
                for version_id, steps in steps_by_version.items()
            )
        )
        return _branch(actor, at_my_step).order_by(col(Draft.state_since), col(Draft.id))
    branches = [
        sa_select(
            _branch(actor, and_(col(Draft.workflow_version_id) == version_id, col(Draft.state) == step))
            .order_by(col(Draft.state_since), col(Draft.id))
            .limit(wanted)
            .subquery()
        )
        for version_id, step in pairs
    ]
    merged = union_all(*branches).subquery()
    return sa_select(merged).order_by(merged.c.state_since, merged.c.id)


QueueRows = Select[int | None, str, str, int, str, str, int, datetime]


def _branch(actor: Actor, at_my_step: ColumnElement[bool]) -> QueueRows:
    return (
        sa_select(
            col(Draft.id),
            col(Draft.title),
            col(Draft.state),
            col(Draft.revision),
            col(Draft.channel),
            col(Draft.importance),
            col(Draft.workflow_version_id),
            col(Draft.state_since),
        )
        .join(
            WorkflowRun,
            and_(col(WorkflowRun.draft_id) == col(Draft.id), col(WorkflowRun.cycle) == col(Draft.cycle)),
        )
        .join(
            StepState,
            and_(col(StepState.run_id) == col(WorkflowRun.id), col(StepState.step_id) == col(Draft.state)),
        )
        .where(at_my_step, col(Draft.author_id) != actor.id, ~_already_signed(actor), ~_corrected_another_step(actor))
    )


def _already_signed(actor: Actor) -> Exists:
    return exists().where(
        col(Signoff.run_id) == col(WorkflowRun.id),
        col(Signoff.user_id) == actor.id,
        or_(
            col(Signoff.step_id) == col(Draft.state),
            col(Signoff.distinct_group) == col(StepState.distinct_group),
        ),
    )


def _corrected_another_step(actor: Actor) -> Exists:
    other_step = aliased(StepState)
    return exists().where(
        col(Revision.draft_id) == col(Draft.id),
        col(Revision.cycle) == col(Draft.cycle),
        col(Revision.author_id) == actor.id,
        col(Revision.step_id) != col(Draft.state),
        col(other_step.run_id) == col(WorkflowRun.id),
        col(other_step.step_id) == col(Revision.step_id),
        col(other_step.distinct_group) == col(StepState.distinct_group),
    )


def queue_size(session: Session, actor: Actor, *, cap: int = QUEUE_LIMIT) -> int:
    """How many drafts wait for the actor, counted up to `cap` (a page shows "cap+" beyond it)."""
    steps_by_version = _my_steps(session, actor)
    if not steps_by_version:
        return 0
    return len(session.execute(_waiting(actor, steps_by_version, cap + 1).limit(cap + 1)).all())


def queue_for(session: Session, actor: Actor, *, limit: int = QUEUE_LIMIT, offset: int = 0) -> list[QueueItem]:
    steps_by_version = _my_steps(session, actor)
    if not steps_by_version:
        return []
    rows = session.execute(_waiting(actor, steps_by_version, offset + limit).limit(limit).offset(offset)).all()
    now = clock.now()
    items = []
    for draft_id, title, state, revision, channel, importance, version_id, since in rows:
        label_zh, label_en = steps_by_version[version_id][state]
        items.append(
            QueueItem(
                draft_id=draft_id,
                title=title,
                step=state,
                step_label=label_zh,
                step_label_en=label_en,
                waiting_since=since,
                waiting_seconds=max(0, int((now - since).total_seconds())),
                revision=revision,
                channel=channel,
                importance=importance,
            )
        )
    return items

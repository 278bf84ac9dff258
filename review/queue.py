"""The queue (待办): the drafts a person may act on now, oldest waiting first.

A draft is in someone's queue when its active step is signed by a role they hold (with the
qualification the step asks for), they are not its author (R4), and in this cycle they have neither
decided on that step nor signed, or corrected text in, another step of its distinct-signers group
(R3, R16). The filter
runs in SQL, on the index over (workflow version, state, waiting since).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import and_, exists, or_
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


def queue_for(session: Session, actor: Actor, *, limit: int = QUEUE_LIMIT, offset: int = 0) -> list[QueueItem]:
    steps_by_version: dict[int, dict[str, tuple[str, str]]] = {}
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
        return []
    at_my_step = or_(
        *(
            and_(col(Draft.workflow_version_id) == version_id, col(Draft.state).in_(list(steps)))
            for version_id, steps in steps_by_version.items()
        )
    )
    already_signed = exists().where(
        col(Signoff.run_id) == col(WorkflowRun.id),
        col(Signoff.user_id) == actor.id,
        or_(
            col(Signoff.step_id) == col(Draft.state),
            col(Signoff.distinct_group) == col(StepState.distinct_group),
        ),
    )
    other_step = aliased(StepState)
    corrected_another_step = exists().where(
        col(Revision.draft_id) == col(Draft.id),
        col(Revision.cycle) == col(Draft.cycle),
        col(Revision.author_id) == actor.id,
        col(Revision.step_id) != col(Draft.state),
        col(other_step.run_id) == col(WorkflowRun.id),
        col(other_step.step_id) == col(Revision.step_id),
        col(other_step.distinct_group) == col(StepState.distinct_group),
    )
    rows = session.execute(
        sa_select(
            col(Draft.id),
            col(Draft.title),
            col(Draft.state),
            col(Draft.revision),
            col(Draft.channel),
            col(Draft.importance),
            col(Draft.workflow_version_id),
            col(StepState.activated_at),
        )
        .join(
            WorkflowRun,
            and_(col(WorkflowRun.draft_id) == col(Draft.id), col(WorkflowRun.cycle) == col(Draft.cycle)),
        )
        .join(
            StepState,
            and_(col(StepState.run_id) == col(WorkflowRun.id), col(StepState.step_id) == col(Draft.state)),
        )
        .where(at_my_step, col(Draft.author_id) != actor.id, ~already_signed, ~corrected_another_step)
        .order_by(col(StepState.activated_at), col(Draft.id))
        .limit(limit)
        .offset(offset)
    ).all()
    now = clock.now()
    items = []
    for draft_id, title, state, revision, channel, importance, version_id, since in rows:
        assert draft_id is not None
        assert since is not None
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

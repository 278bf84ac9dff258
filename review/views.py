"""Read models: a draft with its steps and sign-offs, its trail, and lists of drafts.

These are the shapes the CLI prints and the API returns (CONTRACT §4). `steps` lists the steps that
apply to the draft, in order, for its current cycle (or, before the first submission, the steps that
will apply); a returned or rejected draft shows the cycle that ended, with the opinions given.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, func, select

from review.actors import Actor
from review.audit import record_of
from review.db import MAX_ID
from review.enums import Role, StepStatus
from review.errorrate import ErrorReport, error_report
from review.errors import Forbidden, NotFound
from review.models import Draft, Publication, Signoff, User, WorkflowRun
from review.runs import current_run, run_signoffs, run_steps
from review.trail import draft_events
from review.workflows.compiler import DraftFacts
from review.workflows.registry import compiled


class Labels(BaseModel):
    zh: str
    en: str


class SignoffView(BaseModel):
    id: int
    step: str
    step_labels: Labels
    meaning: str
    user: str
    name: str
    role: str
    qualifications: list[str]
    decision: str
    comment: str
    checklist: dict[str, bool]
    revision: int
    content_hash: str
    errors: dict[str, Any] | None = None
    """A proofread approval's 差错率 record (R21)."""
    at: datetime


class RoundView(BaseModel):
    """One 校次 of the current cycle: the errors its corrections recorded, by category."""

    step: str
    labels: Labels
    kind: str
    counts: dict[str, int]
    corrections: int
    errors: float
    rate: float
    signed: bool


class ErrorRateView(BaseModel):
    """差错率 of the current cycle (R21): errors per 10 000 characters, per 校次 and in all."""

    medium: str
    limit: float | None
    characters: int
    rounds: list[RoundView]
    counts: dict[str, int]
    errors: float
    rate: float
    final_step: str | None
    verdict: str
    """pending (the last proofread is not signed), within, over (the limit), or no_limit."""
    flagged_to: str | None
    """The final review step the excess is flagged to, when the verdict is over."""


class StepView(BaseModel):
    id: str
    label: str
    labels: Labels
    kind: str
    status: str
    roles: list[str]
    quorum: int
    checks: list[str]
    activated_at: datetime | None = None
    completed_at: datetime | None = None
    signoffs: list[SignoffView]


class PublicationView(BaseModel):
    id: int
    channel: str
    revision: int
    content_hash: str
    published_by: str
    published_by_name: str
    published_at: datetime
    retracted_at: datetime | None = None
    retract_reason: str | None = None


class DraftView(BaseModel):
    id: int
    title: str
    body: str
    channel: str
    tags: list[str]
    importance: str
    author: str
    author_name: str
    state: str
    revision: int
    content_hash: str
    workflow: str
    workflow_labels: Labels
    workflow_key: str
    workflow_version: int
    cycle: int
    created_at: datetime
    updated_at: datetime
    state_since: datetime
    steps: list[StepView]
    publications: list[PublicationView]
    error_rate: ErrorRateView | None = None


class CycleView(BaseModel):
    """An ended cycle of review: how it ended and every decision in it, opinions included."""

    cycle: int
    outcome: str
    started_revision: int
    started_at: datetime
    ended_at: datetime | None
    signoffs: list[SignoffView]


class DraftSummary(BaseModel):
    id: int
    title: str
    channel: str
    state: str
    revision: int
    author: str
    author_name: str
    updated_at: datetime


class EventView(BaseModel):
    seq: int
    at: datetime
    actor: str | None
    kind: str
    draft_id: int | None
    payload: dict[str, Any]
    prev_hash: str
    hash: str


def can_read(actor: Actor, draft: Draft) -> bool:
    """Authors see their own drafts; every other role of the newsroom sees all drafts."""
    return actor.id == draft.author_id or bool(actor.roles - {Role.AUTHOR})


def readable_draft(session: Session, actor: Actor, draft_id: int) -> Draft:
    draft = session.get(Draft, draft_id) if 1 <= draft_id <= MAX_ID else None
    if draft is None:
        raise NotFound(f"draft {draft_id} does not exist", code="draft_not_found")
    if not can_read(actor, draft):
        raise Forbidden("authors may read only their own drafts", code="not_readable")
    return draft


def signoff_view(signoff: Signoff) -> SignoffView:
    assert signoff.id is not None
    return SignoffView(
        id=signoff.id,
        step=signoff.step_id,
        step_labels=Labels(zh=signoff.step_label_zh, en=signoff.step_label_en),
        meaning=f"{signoff.step_label_zh} {signoff.decision}",
        user=signoff.username,
        name=signoff.full_name,
        role=signoff.role,
        qualifications=signoff.qualifications,
        decision=signoff.decision,
        comment=signoff.comment,
        checklist=signoff.checklist,
        revision=signoff.revision,
        content_hash=signoff.content_hash,
        errors=signoff.errors,
        at=signoff.at,
    )


def error_rate_view(report: ErrorReport | None) -> ErrorRateView | None:
    if report is None:
        return None
    return ErrorRateView(
        medium=report.channel.medium.value,
        limit=report.channel.limit,
        characters=report.characters,
        rounds=[
            RoundView(
                step=r.step,
                labels=Labels(zh=r.label[0], en=r.label[1]),
                kind=r.kind,
                counts=r.counts,
                corrections=r.corrections,
                errors=r.errors,
                rate=r.rate,
                signed=r.signed,
            )
            for r in report.rounds
        ],
        counts=report.counts,
        errors=report.errors,
        rate=report.rate,
        final_step=report.final.step if report.final else None,
        verdict=report.verdict,
        flagged_to=report.final_review if report.verdict == "over" else None,
    )


def draft_view(session: Session, actor: Actor, draft_id: int) -> DraftView:
    draft = readable_draft(session, actor, draft_id)
    wf = compiled(session, draft.workflow_version_id)
    run = current_run(session, draft)
    states = {s.step_id: s for s in run_steps(session, run.id)} if run and run.id else {}
    signoffs = run_signoffs(session, run.id) if run and run.id else []
    specs = [wf.step(step_id) for step_id in states] if states else wf.applicable_steps(DraftFacts.of(draft))
    steps = []
    for spec in specs:
        assert spec is not None
        state = states.get(spec.id)
        steps.append(
            StepView(
                id=spec.id,
                label=spec.label.zh,
                labels=Labels(zh=spec.label.zh, en=spec.label.en),
                kind=spec.kind.value,
                status=state.status if state else StepStatus.PENDING.value,
                roles=[r.value for r in spec.roles],
                quorum=spec.quorum,
                checks=list(spec.checks),
                activated_at=state.activated_at if state else None,
                completed_at=state.completed_at if state else None,
                signoffs=[signoff_view(s) for s in signoffs if s.step_id == spec.id],
            )
        )
    author = session.get(User, draft.author_id)
    assert author is not None
    assert draft.id is not None
    publishers = {
        u.id: (u.username, u.full_name)
        for u in session.exec(
            select(User)
            .join(Publication, col(Publication.published_by) == col(User.id))
            .where(col(Publication.draft_id) == draft.id)
        )
    }
    publications = [
        PublicationView(
            id=p.id or 0,
            channel=p.channel,
            revision=p.revision,
            content_hash=p.content_hash,
            published_by=publishers[p.published_by][0],
            published_by_name=publishers[p.published_by][1],
            published_at=p.published_at,
            retracted_at=p.retracted_at,
            retract_reason=p.retract_reason,
        )
        for p in session.exec(
            select(Publication).where(col(Publication.draft_id) == draft.id).order_by(col(Publication.id))
        )
    ]
    return DraftView(
        id=draft.id,
        title=draft.title,
        body=draft.body,
        channel=draft.channel,
        tags=draft.tags,
        importance=draft.importance,
        author=author.username,
        author_name=author.full_name,
        state=draft.state,
        revision=draft.revision,
        content_hash=draft.content_hash,
        workflow=wf.name,
        workflow_labels=Labels(zh=wf.spec.label.zh, en=wf.spec.label.en),
        workflow_key=wf.key,
        workflow_version=wf.version,
        cycle=draft.cycle,
        created_at=draft.created_at,
        updated_at=draft.updated_at,
        state_since=draft.state_since,
        steps=steps,
        publications=publications,
        error_rate=error_rate_view(error_report(session, draft, wf)),
    )


def earlier_cycles(session: Session, actor: Actor, draft_id: int) -> list[CycleView]:
    """The draft's cycles before the current one, newest first: what earlier reviewers said."""
    draft = readable_draft(session, actor, draft_id)
    runs = session.exec(
        select(WorkflowRun)
        .where(col(WorkflowRun.draft_id) == draft.id, col(WorkflowRun.cycle) < draft.cycle)
        .order_by(col(WorkflowRun.cycle).desc())
    ).all()
    return [
        CycleView(
            cycle=run.cycle,
            outcome=run.outcome,
            started_revision=run.started_revision,
            started_at=run.started_at,
            ended_at=run.ended_at,
            signoffs=[signoff_view(s) for s in run_signoffs(session, run.id or 0)],
        )
        for run in runs
    ]


def draft_trail(session: Session, actor: Actor, draft_id: int) -> list[EventView]:
    readable_draft(session, actor, draft_id)
    return [EventView.model_validate(record_of(e)) for e in draft_events(session, draft_id)]


def list_drafts(
    session: Session,
    actor: Actor,
    *,
    state: str | None = None,
    mine: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[DraftSummary]]:
    """Drafts the actor may read, newest change first, with the total count."""
    statement = select(Draft, User.username, User.full_name).join(User, col(User.id) == col(Draft.author_id))
    if mine or not (actor.roles - {Role.AUTHOR}):
        statement = statement.where(col(Draft.author_id) == actor.id)
    if state is not None:
        statement = statement.where(col(Draft.state) == state)
    total = session.exec(select(func.count()).select_from(statement.subquery())).one()
    rows = session.exec(
        statement.order_by(col(Draft.updated_at).desc(), col(Draft.id).desc()).limit(limit).offset(offset)
    ).all()
    return total, [
        DraftSummary(
            id=d.id or 0,
            title=d.title,
            channel=d.channel,
            state=d.state,
            revision=d.revision,
            author=username,
            author_name=full_name,
            updated_at=d.updated_at,
        )
        for d, username, full_name in rows
    ]

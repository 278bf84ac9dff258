"""Drafts, decisions, publishing and the queue: each handler is one engine command in one transaction."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query

from review.decisions import decide
from review.drafts import create_draft, revise_draft, submit_draft
from review.models import Draft
from review.publishing import publish, retract
from review.queue import QUEUE_LIMIT, QueueItem, queue_for
from review.views import DraftView, EventView, draft_trail, draft_view, list_drafts, signoff_view
from web.api.deps import CurrentActor, DatabaseDep
from web.api.schemas import (
    DecisionCreate,
    DecisionOut,
    DraftCreate,
    DraftList,
    DraftUpdate,
    PublicationOut,
    PublishRequest,
    RetractRequest,
    error,
)

router = APIRouter(tags=["drafts"])
DraftId = Annotated[int, Path(ge=1, le=2_000_000_000, description="The draft's id.")]
ERRORS: dict[int | str, dict[str, Any]] = {
    403: error("the caller's roles or a separation-of-duties rule forbid it"),
    404: error("no such draft"),
    409: error("it conflicts with the draft's state: wrong step, stale revision, not signed off …"),
}


@router.post("/drafts", status_code=201, response_model=DraftView, responses=ERRORS)
def create(body: DraftCreate, actor: CurrentActor, database: DatabaseDep) -> DraftView:
    """Write a new draft at revision 1 (needs the author role)."""
    with database.write() as session:
        draft = create_draft(session, actor=actor, **body.model_dump())
        assert draft.id is not None
        return draft_view(session, actor, draft.id)


@router.get("/drafts", response_model=DraftList)
def list_(
    actor: CurrentActor,
    database: DatabaseDep,
    state: Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_]{0,31}$", examples=["review1"])] = None,
    mine: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> DraftList:
    """Drafts the caller may read, most recently changed first."""
    with database.read() as session:
        total, items = list_drafts(session, actor, state=state, mine=mine, limit=limit, offset=offset)
    return DraftList(total=total, items=items)


@router.get("/drafts/{draft_id}", response_model=DraftView, responses=ERRORS)
def show(draft_id: DraftId, actor: CurrentActor, database: DatabaseDep) -> DraftView:
    with database.read() as session:
        return draft_view(session, actor, draft_id)


@router.put("/drafts/{draft_id}", response_model=DraftView, responses=ERRORS)
def edit(draft_id: DraftId, body: DraftUpdate, actor: CurrentActor, database: DatabaseDep) -> DraftView:
    """Save a new revision (the author before submission or after a return; a proofreader at their step)."""
    with database.write() as session:
        revise_draft(
            session,
            actor=actor,
            draft_id=draft_id,
            title=body.title,
            body=body.body,
            tags=body.tags,
            expected_revision=body.revision,
            errors=body.errors,
        )
        return draft_view(session, actor, draft_id)


@router.post("/drafts/{draft_id}/submit", response_model=DraftView, responses=ERRORS)
def submit(draft_id: DraftId, actor: CurrentActor, database: DatabaseDep) -> DraftView:
    """Send the draft into its workflow: a new cycle from the first step that applies."""
    with database.write() as session:
        submit_draft(session, actor=actor, draft_id=draft_id)
        return draft_view(session, actor, draft_id)


@router.post("/drafts/{draft_id}/decisions", status_code=201, response_model=DecisionOut, responses=ERRORS)
def decision(draft_id: DraftId, body: DecisionCreate, actor: CurrentActor, database: DatabaseDep) -> DecisionOut:
    """Approve, return (退改) or reject (退稿) the active step, on the revision the signer read."""
    with database.write() as session:
        signoff = decide(
            session,
            actor=actor,
            draft_id=draft_id,
            step=body.step,
            decision=body.decision.value,
            revision=body.revision,
            comment=body.comment,
            checklist=body.checklist,
        )
        # The draft decide locked and moved on; the signer may see it, having just signed it.
        decided = session.get(Draft, draft_id)
        assert decided is not None
        state = decided.state
    return DecisionOut(**signoff_view(signoff).model_dump(), draft_id=draft_id, draft_state=state)


@router.post("/drafts/{draft_id}/publish", status_code=201, response_model=PublicationOut, responses=ERRORS)
def release(
    draft_id: DraftId,
    actor: CurrentActor,
    database: DatabaseDep,
    body: Annotated[PublishRequest | None, Body()] = None,
) -> PublicationOut:
    """Release a fully signed-off draft to its channel, or to `channel`; the whole chain is re-checked."""
    with database.write() as session:
        publication = publish(session, actor=actor, draft_id=draft_id, channel=body.channel if body else None)
        shown = draft_view(session, actor, draft_id)
    view = next(p for p in shown.publications if p.id == publication.id)
    return PublicationOut(**view.model_dump(), draft_id=draft_id, title=publication.title)


@router.post("/drafts/{draft_id}/retract", response_model=DraftView, responses=ERRORS)
def withdraw(draft_id: DraftId, body: RetractRequest, actor: CurrentActor, database: DatabaseDep) -> DraftView:
    """撤稿: withdraw a published draft, with a reason; its text and trail stay."""
    with database.write() as session:
        retract(session, actor=actor, draft_id=draft_id, reason=body.reason)
        return draft_view(session, actor, draft_id)


@router.get("/drafts/{draft_id}/trail", response_model=list[EventView], responses=ERRORS)
def trail(draft_id: DraftId, actor: CurrentActor, database: DatabaseDep) -> list[EventView]:
    """The draft's events, oldest first."""
    with database.read() as session:
        return draft_trail(session, actor, draft_id)


@router.get("/queue", response_model=list[QueueItem])
def queue(
    actor: CurrentActor,
    database: DatabaseDep,
    limit: Annotated[int, Query(ge=1, le=QUEUE_LIMIT)] = QUEUE_LIMIT,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[QueueItem]:
    """What the caller may act on now, oldest waiting first."""
    with database.read() as session:
        return queue_for(session, actor, limit=limit, offset=offset)

"""Where each role starts: the home page, the queue (待办) and the publisher's desk."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from review.enums import DraftState, Role
from review.publishing import require_publisher, retraction_reasons
from review.queue import QUEUE_LIMIT, queue_for, queue_size
from review.views import list_drafts
from web.pages.base import Page, render, wants_fragment
from web.pages.drafts import channels

router = APIRouter()
DESK_LIMIT = 200
QUEUE_PAGE = 50
QUEUE_COUNT_CAP = 99
"""The home page counts a queue up to here and then says "99+", as a badge would."""


@router.get("/", response_class=HTMLResponse)
def home(current: Page) -> HTMLResponse:
    user = current.user
    counts: dict[str, int] = {}
    with current.database.read() as session:
        if user.has(Role.AUTHOR):
            counts["mine"], _ = list_drafts(session, user, mine=True, limit=1)
            counts["returned"], _ = list_drafts(session, user, mine=True, state=DraftState.RETURNED, limit=1)
        counts["queue"] = queue_size(session, user, cap=QUEUE_COUNT_CAP)
        if user.has(Role.PUBLISHER):
            counts["approved"], _ = list_drafts(session, user, state=DraftState.APPROVED, limit=1)
    return render(current, "home.html", {"counts": counts, "cap": QUEUE_COUNT_CAP})


@router.get("/queue", response_class=HTMLResponse)
def queue(current: Page, page: Annotated[int, Query(ge=1, le=QUEUE_LIMIT // QUEUE_PAGE)] = 1) -> HTMLResponse:
    """The queue a page at a time, the longest waiting first; one row more than a page says whether
    another page follows, so the cost does not grow with the queue (bench/)."""
    with current.database.read() as session:
        items = queue_for(session, current.user, limit=QUEUE_PAGE + 1, offset=(page - 1) * QUEUE_PAGE)
        by_key = {c.key: c for c in channels(session)}
    more = len(items) > QUEUE_PAGE and page < QUEUE_LIMIT // QUEUE_PAGE
    template = "_queue_rows.html" if wants_fragment(current.request, "rows") else "queue.html"
    return render(
        current,
        template,
        {"items": items[:QUEUE_PAGE], "channels": by_key, "page": page, "more": more, "first": (page - 1) * QUEUE_PAGE},
    )


@router.get("/publish", response_class=HTMLResponse)
def desk(current: Page) -> HTMLResponse:
    """发布: drafts signed off and waiting, and what was published (to retract if need be)."""
    require_publisher(current.user)
    with current.database.read() as session:
        _, waiting = list_drafts(session, current.user, state=DraftState.APPROVED, limit=DESK_LIMIT)
        _, published = list_drafts(session, current.user, state=DraftState.PUBLISHED, limit=DESK_LIMIT)
        _, retracted = list_drafts(session, current.user, state=DraftState.RETRACTED, limit=DESK_LIMIT)
        reasons = retraction_reasons(session, [item.id for item in retracted])
        options = channels(session)
    return render(
        current,
        "publish.html",
        {
            "waiting": waiting,
            "published": published,
            "retracted": retracted,
            "reasons": reasons,
            "channel_list": options,
            "channels": {c.key: c for c in options},
        },
    )

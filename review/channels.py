"""Channels (发布渠道) as configuration: which medium each is, and so which 差错率 limit holds (R21).

The shipped channels are seeded by the first migration; an administrator sets a channel's medium and,
where the office wants one stricter (or where the law sets none, as for websites), its own limit.
Every change is an event in the trail.
"""

from __future__ import annotations

import math

from sqlmodel import Session, col, select

from review import clock
from review.actors import Actor
from review.content import parse_choice
from review.drafts import require_channel
from review.enums import EventKind
from review.errorrate import MEDIA, ChannelLimit, Medium
from review.errors import Invalid
from review.models import Channel
from review.trail import append_event
from review.users import require_admin

MAX_LIMIT = 10_000.0


def list_channels(session: Session) -> list[tuple[Channel, ChannelLimit]]:
    """Active channels with the limit in force for each."""
    rows = session.exec(select(Channel).where(col(Channel.active)).order_by(col(Channel.key))).all()
    return [(channel, ChannelLimit.of(channel)) for channel in rows]


def configure_channel(
    session: Session,
    *,
    actor: Actor | None,
    key: str,
    medium: str | None = None,
    error_limit: float | None = None,
    legal_limit: bool = False,
) -> Channel:
    """Set a channel's medium and/or its own limit (errors per 10 000 characters); `legal_limit`
    drops the own limit, so the medium's legal one holds again. Unchanged settings write nothing."""
    require_admin(session, actor, "configuring channels")
    if error_limit is not None and legal_limit:
        raise Invalid("give a limit or return to the legal limit, not both", code="invalid_limit")
    if error_limit is not None and not (math.isfinite(error_limit) and 0 <= error_limit <= MAX_LIMIT):
        raise Invalid(
            f"a limit is a number of errors per 10 000 characters from 0 to {MAX_LIMIT:g}", code="invalid_limit"
        )
    new_medium = parse_choice(Medium, medium, what="medium", code="unknown_medium") if medium is not None else None
    require_channel(session, key)
    # Locked, so that two administrators' changes are recorded one after the other, each with its "previous".
    channel = session.exec(select(Channel).where(col(Channel.key) == key).with_for_update()).one()
    previous = {"medium": channel.medium, "error_limit": channel.error_limit}
    if new_medium is not None:
        channel.medium = new_medium.value
    if error_limit is not None:
        channel.error_limit = float(error_limit)
    elif legal_limit:
        channel.error_limit = None
    current = {"medium": channel.medium, "error_limit": channel.error_limit}
    if current == previous:
        return channel
    session.add(channel)
    append_event(
        session,
        kind=EventKind.CHANNEL_CHANGED,
        actor=actor,
        at=clock.now(),
        draft_id=None,
        payload={
            "channel": channel.key,
            **current,
            "limit": ChannelLimit.of(channel).limit,
            "legal_limit": MEDIA[Medium(channel.medium)].legal_limit,
            "previous": previous,
        },
    )
    return channel

"""What a client needs to know to fill a form: who am I, which channels and workflows exist."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field
from sqlmodel import col, select

from review.channels import configure_channel, list_channels
from review.errorrate import ChannelLimit
from review.models import Channel, WorkflowVersion
from web.api.deps import CurrentActor, DatabaseDep
from web.api.drafts import ERRORS
from web.api.schemas import ChannelUpdate

router = APIRouter(tags=["meta"])


class Me(BaseModel):
    username: str
    name: str
    roles: list[str]
    qualifications: list[str]


class ChannelOut(BaseModel):
    key: str
    label_zh: str
    label_en: str
    medium: str = Field(description="book, journal, newspaper or web: which rules weigh its errors (R21)")
    error_limit: float | None = Field(description="The office's own 差错率 limit, if set")
    legal_limit: float | None = Field(description="The medium's legal limit; none for websites and new media")
    limit: float | None = Field(description="The limit in force, errors per 10 000 characters")


class WorkflowOut(BaseModel):
    key: str
    name: str
    version: int


@router.get("/me", response_model=Me)
def me(actor: CurrentActor) -> Me:
    return Me(
        username=actor.username,
        name=actor.full_name,
        roles=sorted(actor.roles),
        qualifications=sorted(actor.qualifications),
    )


def _channel_out(channel: Channel, limit: ChannelLimit) -> ChannelOut:
    return ChannelOut(
        key=channel.key,
        label_zh=channel.label_zh,
        label_en=channel.label_en,
        medium=channel.medium,
        error_limit=channel.error_limit,
        legal_limit=limit.rules.legal_limit,
        limit=limit.limit,
    )


@router.get("/channels", response_model=list[ChannelOut])
def channels(_actor: CurrentActor, database: DatabaseDep) -> list[ChannelOut]:
    with database.read() as session:
        return [_channel_out(channel, limit) for channel, limit in list_channels(session)]


@router.patch("/channels/{key}", response_model=ChannelOut, responses=ERRORS)
def configure(
    key: Annotated[str, Path(max_length=32)], body: ChannelUpdate, actor: CurrentActor, database: DatabaseDep
) -> ChannelOut:
    """Set a channel's medium and/or its own 差错率 limit (administrators; recorded in the trail)."""
    own = "error_limit" in body.model_fields_set
    with database.write() as session:
        channel = configure_channel(
            session,
            actor=actor,
            key=key,
            medium=body.medium.value if body.medium else None,
            error_limit=body.error_limit if own else None,
            legal_limit=own and body.error_limit is None,
        )
        return _channel_out(channel, ChannelLimit.of(channel))


@router.get("/workflows", response_model=list[WorkflowOut])
def workflows(_actor: CurrentActor, database: DatabaseDep) -> list[WorkflowOut]:
    """Registered workflows, newest version first."""
    with database.read() as session:
        rows = session.exec(
            select(WorkflowVersion).order_by(col(WorkflowVersion.key), col(WorkflowVersion.version).desc())
        ).all()
    return [WorkflowOut(key=w.key, name=w.name, version=w.version) for w in rows]

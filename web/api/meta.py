"""What a client needs to know to fill a form: who am I, which channels and workflows exist."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlmodel import col, select

from review.models import Channel, WorkflowVersion
from web.api.deps import CurrentActor, DatabaseDep

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


@router.get("/channels", response_model=list[ChannelOut])
def channels(_actor: CurrentActor, database: DatabaseDep) -> list[ChannelOut]:
    with database.read() as session:
        rows = session.exec(select(Channel).where(col(Channel.active)).order_by(col(Channel.key))).all()
    return [ChannelOut(key=c.key, label_zh=c.label_zh, label_en=c.label_en) for c in rows]


@router.get("/workflows", response_model=list[WorkflowOut])
def workflows(_actor: CurrentActor, database: DatabaseDep) -> list[WorkflowOut]:
    """Registered workflows, newest version first."""
    with database.read() as session:
        rows = session.exec(
            select(WorkflowVersion).order_by(col(WorkflowVersion.key), col(WorkflowVersion.version).desc())
        ).all()
    return [WorkflowOut(key=w.key, name=w.name, version=w.version) for w in rows]

"""The tables. Request and response shapes live elsewhere: SQLModel table models do not validate.

Constraint names follow one convention (set before any table is declared) so that Alembic can alter
them on SQLite as well as PostgreSQL. Unique constraints back every "only once" rule of the engine:
the row lock is the first guard, these are the second.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, DateTime, Index, Text, TypeDecorator, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always UTC and always timezone-aware in Python.

    PostgreSQL keeps `timestamptz`; SQLite has no time zones, so the value is stored as naive UTC and
    made aware again on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Sanshen stores UTC timestamps only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts(*, nullable: bool = False) -> Any:
    """A UTC timestamp column; a required one defaults to now."""
    if nullable:
        return Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class User(SQLModel, table=True):
    """A person who signs. Users are deactivated, never deleted; a username is never reused (R32)."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    full_name: str = Field(max_length=100)
    password_hash: str = Field(max_length=200)
    active: bool = True
    created_at: datetime = _ts()
    deactivated_at: datetime | None = _ts(nullable=True)


class UserRole(SQLModel, table=True):
    __tablename__ = "user_roles"

    user_id: int = Field(foreign_key="users.id", primary_key=True)
    role: str = Field(max_length=32, primary_key=True)


class UserQualification(SQLModel, table=True):
    """A qualification such as `senior_editor` or `head` that a step may require (R5, R17)."""

    __tablename__ = "user_qualifications"

    user_id: int = Field(foreign_key="users.id", primary_key=True)
    qualification: str = Field(max_length=64, primary_key=True)


class ApiToken(SQLModel, table=True):
    """A bearer token. Only its SHA-256 is stored; the token itself is shown once."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    label: str = Field(default="", max_length=100)
    created_at: datetime = _ts()
    expires_at: datetime | None = _ts(nullable=True)
    revoked_at: datetime | None = _ts(nullable=True)


class LoginFailure(SQLModel, table=True):
    """A failed log-in, by the name it tried and the address it came from, for throttling (21 CFR
    11.300(d)). Not part of the trail: a successful log-in forgets its account's failures."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_username_at", "username", "at"),
        Index("ix_login_failures_address_at", "address", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64)
    address: str = Field(max_length=64)
    at: datetime = _ts()


class WebSession(SQLModel, table=True):
    """A browser log-in. The cookie holds a random token; only its SHA-256 is stored here, so the
    server can end a session (log-out, password reset, deactivation) and nothing in the cookie grants
    more than this row does."""

    __tablename__ = "web_sessions"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = _ts()
    expires_at: datetime = _ts()
    revoked_at: datetime | None = _ts(nullable=True)


class Channel(SQLModel, table=True):
    """Where a draft is published: 门户网站, 微信公众号, 内部简报 … (seeded by the first migration)."""

    __tablename__ = "channels"

    key: str = Field(max_length=32, primary_key=True)
    label_zh: str = Field(max_length=64)
    label_en: str = Field(max_length=64)
    active: bool = True
    medium: str = Field(default="web", max_length=16)
    """book, journal, newspaper or web: which annex weighs its errors and which legal limit holds (R21)."""
    error_limit: float | None = None
    """An office's own 差错率 limit per 10 000 characters; None: the medium's legal limit."""


class WorkflowVersion(SQLModel, table=True):
    """A workflow definition pinned by content: a draft keeps the version it was created with.

    A file whose text differs from its newest version becomes a new version, even when the text is an
    older version's again: reverting a file reverts the rules.
    """

    __tablename__ = "workflow_versions"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64)
    """The definition file's stem, e.g. `sanshen`: an ASCII handle."""
    name: str = Field(max_length=64)
    """The workflow's name from its definition, e.g. `三审三校`."""
    version: int
    content_hash: str = Field(max_length=64)
    source: str = Field(sa_column=Column(Text, nullable=False))
    registered_at: datetime = _ts()


class Draft(SQLModel, table=True):
    """稿件. `title`/`body` are the current text, equal to the newest revision's.

    `state` is `draft`, the id of the active step, or one of the end states; `cycle` counts
    submissions (0 before the first), and the run of the current cycle holds the step states.
    """

    __tablename__ = "drafts"
    __table_args__ = (Index("ix_drafts_queue", "workflow_version_id", "state", "state_since", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    author_id: int = Field(foreign_key="users.id", index=True)
    channel: str = Field(foreign_key="channels.key", max_length=32)
    importance: str = Field(max_length=16)
    tags: list[str] = Field(default_factory=list, sa_type=JSON)
    workflow_version_id: int = Field(foreign_key="workflow_versions.id")
    state: str = Field(max_length=32, index=True)
    cycle: int = 0
    revision: int
    title: str = Field(max_length=200)
    body: str = Field(sa_column=Column(Text, nullable=False))
    content_hash: str = Field(max_length=64)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    state_since: datetime = _ts()


class Revision(SQLModel, table=True):
    """修订: an exact title + body, numbered, with its SHA-256. Never changed once written.

    `step_id` is set when a proofreader made it inside a proofread step (a correction, R18).
    """

    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("draft_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    draft_id: int = Field(foreign_key="drafts.id")
    number: int
    title: str = Field(max_length=200)
    body: str = Field(sa_column=Column(Text, nullable=False))
    content_hash: str = Field(max_length=64)
    author_id: int = Field(foreign_key="users.id")
    cycle: int
    step_id: str | None = Field(default=None, max_length=32)
    errors: dict[str, int] | None = Field(default=None, sa_type=JSON)
    """A correction's errors by category (R21); None for the author's revisions."""
    created_at: datetime = _ts()


class WorkflowRun(SQLModel, table=True):
    """One cycle of the workflow: from a submission to approval, return or rejection."""

    __tablename__ = "workflow_runs"
    __table_args__ = (UniqueConstraint("draft_id", "cycle"),)

    id: int | None = Field(default=None, primary_key=True)
    draft_id: int = Field(foreign_key="drafts.id")
    cycle: int
    workflow_version_id: int = Field(foreign_key="workflow_versions.id")
    started_revision: int
    outcome: str = Field(max_length=16)
    started_at: datetime = _ts()
    ended_at: datetime | None = _ts(nullable=True)


class StepState(SQLModel, table=True):
    """The status of one applicable step within one run."""

    __tablename__ = "step_states"
    __table_args__ = (UniqueConstraint("run_id", "step_id"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="workflow_runs.id")
    step_id: str = Field(max_length=32)
    position: int
    status: str = Field(max_length=16)
    distinct_group: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    activated_at: datetime | None = _ts(nullable=True)
    completed_at: datetime | None = _ts(nullable=True)


class Signoff(SQLModel, table=True):
    """One decision by one person on one step, bound to the revision and hash they saw (R31).

    Everything a reader needs years later is copied in at signing time: the printed name, the role
    and qualifications held then, the meaning of the signature (the step's labels), the checks.

    - `slot` numbers the decisions on a step within a run, from 1 to the step's `quorum`; one
      decision per slot, so two racing approvals of a one-signature step cannot both land, even if
      one of them read the other's row (its slot would exceed the quorum).
    - one decision per person per step per run;
    - `distinct_group` names a separation-of-duties group (R3: 初审/复审/终审, R16: 一校/二校/三校):
      one person signs at most one step of a group per run.
    """

    __tablename__ = "signoffs"
    __table_args__ = (
        UniqueConstraint("run_id", "step_id", "slot"),
        UniqueConstraint("run_id", "step_id", "user_id"),
        UniqueConstraint("run_id", "distinct_group", "user_id"),
        CheckConstraint("slot >= 1 AND slot <= quorum", name="slot_within_quorum"),
    )

    id: int | None = Field(default=None, primary_key=True)
    draft_id: int = Field(foreign_key="drafts.id", index=True)
    run_id: int = Field(foreign_key="workflow_runs.id")
    step_id: str = Field(max_length=32)
    step_kind: str = Field(max_length=16)
    step_label_zh: str = Field(max_length=64)
    step_label_en: str = Field(max_length=64)
    slot: int
    quorum: int
    distinct_group: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    user_id: int = Field(foreign_key="users.id")
    username: str = Field(max_length=64)
    full_name: str = Field(max_length=100)
    role: str = Field(max_length=32)
    qualifications: list[str] = Field(default_factory=list, sa_type=JSON)
    decision: str = Field(max_length=32)
    comment: str = Field(sa_column=Column(Text, nullable=False))
    checklist: dict[str, bool] = Field(default_factory=dict, sa_type=JSON)
    revision: int
    content_hash: str = Field(max_length=64)
    precheck: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    """The pre-check result the signer saw: its id, ruleset fingerprint, counts and the overridden findings."""
    errors: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    """A proofread or read-through approval's 差错率 record: its round's counts, rate, the limit, the verdict."""
    at: datetime = _ts()


class PrecheckResult(SQLModel, table=True):
    """预检: the findings of the rules in force (named by their fingerprint) on one exact text of a draft.

    Offsets count characters of `title + "\\n" + body`, the text the content hash is taken of.
    """

    __tablename__ = "precheck_results"
    __table_args__ = (UniqueConstraint("draft_id", "content_hash", "fingerprint"),)

    id: int | None = Field(default=None, primary_key=True)
    draft_id: int = Field(foreign_key="drafts.id", index=True)
    revision: int
    content_hash: str = Field(max_length=64)
    fingerprint: str = Field(max_length=64)
    rulesets: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    findings: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    blocking: int
    warnings: int
    created_at: datetime = _ts()


class ImportedRuleset(SQLModel, table=True):
    """A word list an administrator imported (one term per line) as a ruleset version. Never changed:
    a new import of the same name is the next version, and the newest version of each name is in force."""

    __tablename__ = "imported_rulesets"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=32)
    version: int
    spec: dict[str, Any] = Field(sa_type=JSON)
    """The ruleset as a shipped file would hold it (`RulesetSpec`), so one compiler reads both."""
    digest: str = Field(max_length=64)
    terms: int
    imported_by: int | None = Field(default=None, foreign_key="users.id")
    """None when imported at the server's terminal (the CLI without --as)."""
    imported_at: datetime = _ts()


class PrecheckOverride(SQLModel, table=True):
    """A reviewer at 复审 or above lets one blocking finding stand in one exact text, with a reason (R24)."""

    __tablename__ = "precheck_overrides"
    __table_args__ = (UniqueConstraint("draft_id", "content_hash", "finding_key"),)

    id: int | None = Field(default=None, primary_key=True)
    draft_id: int = Field(foreign_key="drafts.id", index=True)
    revision: int
    content_hash: str = Field(max_length=64)
    finding_key: str = Field(max_length=100)
    rule: str = Field(max_length=64)
    user_id: int = Field(foreign_key="users.id")
    username: str = Field(max_length=64)
    full_name: str = Field(max_length=100)
    role: str = Field(max_length=32)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    at: datetime = _ts()


class Publication(SQLModel, table=True):
    """A release to a channel, with a snapshot of the exact text sent and its hash (R22, R26)."""

    __tablename__ = "publications"
    __table_args__ = (UniqueConstraint("run_id", "channel"),)

    id: int | None = Field(default=None, primary_key=True)
    draft_id: int = Field(foreign_key="drafts.id", index=True)
    run_id: int = Field(foreign_key="workflow_runs.id")
    channel: str = Field(foreign_key="channels.key", max_length=32)
    revision: int
    content_hash: str = Field(max_length=64)
    title: str = Field(max_length=200)
    body: str = Field(sa_column=Column(Text, nullable=False))
    published_by: int = Field(foreign_key="users.id")
    published_at: datetime = _ts()
    retracted_by: int | None = Field(default=None, foreign_key="users.id")
    retracted_at: datetime | None = _ts(nullable=True)
    retract_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class Event(SQLModel, table=True):
    """The trail: one row per recorded fact, appended in the transaction of the change it records.

    `seq` is gapless and global; `hash` = SHA-256 over the previous event's hash and this event's
    canonical serialisation (`review/trail.py`), so a changed, removed or reordered row shows.
    """

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_draft_id_seq", "draft_id", "seq"),)

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: datetime = _ts()
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    actor: str | None = Field(default=None, max_length=64)
    kind: str = Field(max_length=32)
    draft_id: int | None = Field(default=None, foreign_key="drafts.id")
    payload: str = Field(sa_column=Column(Text, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


class ChainHead(SQLModel, table=True):
    """The single row every event append locks: it orders appends from different drafts (one chain).

    `signature` is the server's Ed25519 signature of the head (`review.trail.head_bytes`), renewed at
    every append: anyone can recompute a hash chain, but only the key's holder can sign its head, so a
    rewritten or extended trail shows even when every hash in it is consistent.
    """

    __tablename__ = "chain_head"

    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    seq: int
    hash: str = Field(max_length=64)
    signature: str | None = Field(default=None, sa_column=Column(Text, nullable=True))

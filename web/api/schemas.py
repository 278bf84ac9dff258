"""Request bodies. Limits are the engine's, declared here too so that the OpenAPI document shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, StrictBool, StrictInt

from review.content import BODY_MAX, COMMENT_MAX, REASON_MAX, TAG_MAX, TAGS_MAX, TITLE_MAX
from review.decisions import CHECKLIST_MAX
from review.enums import Decision, Importance
from review.errorrate import ERROR_CATEGORIES, UNCLASSIFIED, Medium
from review.views import DraftSummary, PublicationView, SignoffView

Tag = Annotated[str, Field(max_length=TAG_MAX)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Problem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorOut(BaseModel):
    """Every error: `detail` says what is wrong (a list of problems for a malformed request)."""

    detail: str | list[Problem]
    code: str | None = None
    rule: str | None = None


def error(description: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description}


COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    400: error("the body could not be read as JSON"),
    401: error("no token, or a token that is unknown, revoked or expired"),
    413: error("the request body is over the size limit"),
    422: error("the request is malformed, or the engine finds the input invalid"),
    503: error("the database is busy; retry after the Retry-After seconds"),
}


class TokenRequest(_Body):
    username: str = Field(max_length=64)
    password: str = Field(max_length=256)


class TokenResponse(BaseModel):
    token: str
    user: str
    expires_at: datetime | None


class DraftCreate(_Body):
    title: str = Field(max_length=TITLE_MAX)
    body: str = Field(max_length=BODY_MAX)
    channel: str = Field(max_length=32, examples=["website"])
    tags: list[Tag] = Field(default_factory=list, max_length=TAGS_MAX)
    importance: Importance = Importance.NORMAL
    workflow: str | None = Field(default=None, max_length=64, examples=["sanshen"])


class DraftUpdate(_Body):
    title: str | None = Field(default=None, max_length=TITLE_MAX)
    body: str | None = Field(default=None, max_length=BODY_MAX)
    tags: list[Tag] | None = Field(default=None, max_length=TAGS_MAX)
    revision: StrictInt | None = Field(
        default=None,
        ge=1,
        le=2_000_000_000,
        description="The revision this edit started from; if the draft has moved on, 409 `stale_revision`.",
    )
    errors: dict[Annotated[str, Field(max_length=32)], StrictInt] | None = Field(
        default=None,
        max_length=len(ERROR_CATEGORIES),
        description="A proofreader's correction: the errors it fixes, by category (差错率): "
        + ", ".join(k for k in ERROR_CATEGORIES if k != UNCLASSIFIED)
        + ". Without it, each changed place counts as one unclassified error.",
        examples=[{"typo": 2, "punctuation": 1}],
    )


class ChannelUpdate(_Body):
    medium: Medium | None = None
    error_limit: Annotated[float, Strict()] | None = Field(
        default=None,
        description="The office's own 差错率 limit, errors per 10 000 characters; null returns to the medium's "
        "legal limit. Left out, the limit is unchanged.",
    )


class DecisionCreate(_Body):
    step: str = Field(max_length=32, examples=["review1"])
    decision: Decision
    revision: StrictInt = Field(ge=1, le=2_000_000_000)
    comment: str = Field(max_length=COMMENT_MAX, description="审稿意见: the opinion; required, not blank.")
    checklist: dict[Annotated[str, Field(max_length=32)], StrictBool] | None = Field(
        default=None, max_length=CHECKLIST_MAX, examples=[{"language": True, "factual": True}]
    )


class DecisionOut(SignoffView):
    draft_id: int
    draft_state: str


class PublishRequest(_Body):
    channel: str | None = Field(default=None, max_length=32)


class PublicationOut(PublicationView):
    draft_id: int
    title: str


class RetractRequest(_Body):
    reason: str = Field(max_length=REASON_MAX)


class VerifyOut(BaseModel):
    ok: bool
    events: int
    rows: int
    """Sign-off, revision and publication rows found to agree with their events."""
    checkpoints: int
    first_bad: dict[str, int | str] | None
    """`{"record", "reason", "seq"?}`: the first record that does not fit, and why."""


class DraftList(BaseModel):
    total: int
    items: list[DraftSummary]


class PrecheckIn(_Body):
    text: str = Field(max_length=TITLE_MAX + 1 + BODY_MAX)


class OverrideCreate(_Body):
    revision: StrictInt = Field(ge=1, le=2_000_000_000, description="the revision whose findings are overridden")
    findings: list[Annotated[str, Field(max_length=100)]] = Field(
        min_length=1, max_length=200, description="the keys of the blocking findings to override"
    )
    reason: str = Field(max_length=REASON_MAX, description="why each finding may stand (required)")


class RulesetImport(_Body):
    name: str = Field(
        pattern=r"^[a-z][a-z0-9_-]{0,31}$", description="the ruleset's name; a new import is its next version"
    )
    kind: Literal["terms", "names"] = "terms"
    severity: Literal["block", "warn"] | None = Field(
        default=None, description="default: block for names, warn for terms"
    )
    category: str = Field(default="词表", max_length=32)
    source: str = Field(default="", max_length=200)
    text: str = Field(
        max_length=4 * 1024 * 1024, description="one term (or name) per line; lines starting # are comments"
    )

"""Pre-checks over HTTP: any text (before submitting), and a draft's stored findings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from review.prechecks.current import rules_in_force
from review.prechecks.imports import import_word_list, imported_in_force
from review.prechecks.records import override_findings, precheck_view
from review.views import readable_draft
from web.api.deps import CurrentActor, DatabaseDep
from web.api.drafts import ERRORS, DraftId
from web.api.schemas import OverrideCreate, PrecheckIn, RulesetImport, error

router = APIRouter(tags=["prechecks"])


class FindingOut(BaseModel):
    rule: str
    severity: str
    category: str
    start: int = Field(description="offset of the first character, in characters of the text sent")
    end: int = Field(description="offset just past the last character")
    text: str
    suggestion: str
    source: str
    key: str = Field(description="names this finding within this exact text, for an override")


class RulesetVersion(BaseModel):
    ruleset: str
    version: int


class PrecheckOut(BaseModel):
    fingerprint: str = Field(description="SHA-256 over the rulesets in force: a result names the rules it ran")
    rulesets: list[RulesetVersion]
    blocking: int
    findings: list[FindingOut]


@router.post("/precheck", response_model=PrecheckOut)
def precheck(body: PrecheckIn, _actor: CurrentActor, database: DatabaseDep) -> PrecheckOut:
    """Run the pre-checks on any text; nothing is stored. Evidence for people, never a decision."""
    with database.read() as session:
        rules = rules_in_force(session)
    findings = rules.scan(body.text)
    return PrecheckOut(
        fingerprint=rules.fingerprint,
        rulesets=[RulesetVersion(**v) for v in rules.versions],
        blocking=sum(1 for f in findings if f.severity == "block"),
        findings=[FindingOut(**f.as_json()) for f in findings],
    )


class OverrideOut(BaseModel):
    user: str
    name: str
    role: str
    reason: str
    at: datetime


class DraftFindingOut(FindingOut):
    part: str = Field(description="title or body")
    line: int = Field(description="the line of the part, from 1")
    column: int = Field(description="the character of the line, from 1")
    override: OverrideOut | None


class DraftPrecheckOut(BaseModel):
    revision: int
    content_hash: str
    fingerprint: str
    rulesets: list[RulesetVersion]
    stored: bool = Field(description="false if the rules changed since the text was checked; a decision stores it")
    blocking: int
    open_blocking: int = Field(
        description="blocking findings no override covers: approval from the gate step on, "
        "and publishing, are refused while any remain"
    )
    warnings: int
    gate_step: str | None
    overriding_roles: list[str]
    findings: list[DraftFindingOut] = Field(description='offsets count characters of title + "\\n" + body')


def _draft_precheck(session: Any, actor: Any, draft_id: int) -> DraftPrecheckOut:
    view = precheck_view(session, readable_draft(session, actor, draft_id))
    return DraftPrecheckOut.model_validate(view, from_attributes=True)


@router.get("/drafts/{draft_id}/precheck", response_model=DraftPrecheckOut, responses=ERRORS)
def draft_precheck(draft_id: DraftId, actor: CurrentActor, database: DatabaseDep) -> DraftPrecheckOut:
    """The pre-check of the draft's current text, with the overrides given for it."""
    with database.read() as session:
        return _draft_precheck(session, actor, draft_id)


@router.post(
    "/drafts/{draft_id}/precheck/overrides", status_code=201, response_model=DraftPrecheckOut, responses=ERRORS
)
def override(draft_id: DraftId, body: OverrideCreate, actor: CurrentActor, database: DatabaseDep) -> DraftPrecheckOut:
    """Let blocking findings of the current text stand, with a reason: a reviewer at 复审 or above (R24)."""
    with database.write() as session:
        override_findings(
            session, actor=actor, draft_id=draft_id, revision=body.revision, keys=body.findings, reason=body.reason
        )
    with database.read() as session:
        return _draft_precheck(session, actor, draft_id)


class RulesetOut(BaseModel):
    ruleset: str
    version: int
    label_zh: str
    rules: int
    terms: int
    imported: bool


class RulesetsOut(BaseModel):
    fingerprint: str
    rulesets: list[RulesetOut]


def _rulesets(session: Any) -> RulesetsOut:
    rules = rules_in_force(session)
    imported = {spec.ruleset for spec in imported_in_force(session)}
    return RulesetsOut(
        fingerprint=rules.fingerprint,
        rulesets=[
            RulesetOut(
                ruleset=spec.ruleset,
                version=spec.version,
                label_zh=spec.label.zh,
                rules=len(spec.rules),
                terms=sum(len(rule.terms) + len(rule.names) for rule in spec.rules),
                imported=spec.ruleset in imported,
            )
            for spec in rules.rulesets
        ],
    )


@router.get("/rulesets", response_model=RulesetsOut)
def rulesets(_actor: CurrentActor, database: DatabaseDep) -> RulesetsOut:
    """The rulesets in force: the shipped files and the newest version of each imported word list."""
    with database.read() as session:
        return _rulesets(session)


@router.post("/rulesets", status_code=201, response_model=RulesetsOut, responses={403: error("needs the admin role")})
def import_ruleset(body: RulesetImport, actor: CurrentActor, database: DatabaseDep) -> RulesetsOut:
    """Import a word list as the next version of a ruleset (admin); it is in force from the next check."""
    with database.write() as session:
        import_word_list(session, actor=actor, **body.model_dump())
    with database.read() as session:
        return _rulesets(session)

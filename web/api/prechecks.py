"""Pre-checks over HTTP: any text (before submitting), and a draft's stored findings."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from review.prechecks.current import rules_in_force
from web.api.deps import CurrentActor
from web.api.schemas import PrecheckIn

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
def precheck(body: PrecheckIn, _actor: CurrentActor) -> PrecheckOut:
    """Run the pre-checks on any text; nothing is stored. Evidence for people, never a decision."""
    rules = rules_in_force()
    findings = rules.scan(body.text)
    return PrecheckOut(
        fingerprint=rules.fingerprint,
        rulesets=[RulesetVersion(**v) for v in rules.versions],
        blocking=sum(1 for f in findings if f.severity == "block"),
        findings=[FindingOut(**f.as_json()) for f in findings],
    )

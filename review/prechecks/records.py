"""Pre-checks bound to a draft: stored per exact text and ruleset fingerprint, gating approval and
publishing while a blocking finding stands, overridden only by a reviewer at 复审 or above with a reason.

- `record_precheck` runs in the transaction of every new revision (and of a decision or a release, if
  the rules changed since), so each sign-off can name the result its signer saw.
- `open_blocks` are the blocking findings of a text that no override covers. An override names one
  finding (`rule@start-end`) in one exact text: a new revision needs its own.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_
from sqlmodel import Session, col, select

from review import clock
from review.actors import Actor
from review.content import REASON_MAX, clean_text
from review.db import lock_draft
from review.enums import ROLE_LABELS, DraftState, EventKind
from review.errors import Conflict, Forbidden, Invalid
from review.memo import prime, remember
from review.models import Draft, PrecheckOverride, PrecheckResult
from review.prechecks.current import rules_in_force
from review.prechecks.scan import CompiledRules
from review.trail import append_event, canonical_json, iso_utc
from review.users import refresh_actor
from review.workflows.registry import compiled
from review.workflows.spec import WorkflowSpec

MAX_KEYS = 200


def checked_text(draft: Draft) -> str:
    """What the rules run on: the text the content hash is taken of. Offsets count its characters."""
    return f"{draft.title}\n{draft.body}"


def _stored(session: Session, draft: Draft, fingerprint: str) -> PrecheckResult | None:
    """The stored result for the current text and rules, read with the text's overrides."""
    rows = session.exec(
        select(PrecheckResult, PrecheckOverride)
        .outerjoin(
            PrecheckOverride,
            and_(
                col(PrecheckOverride.draft_id) == col(PrecheckResult.draft_id),
                col(PrecheckOverride.content_hash) == col(PrecheckResult.content_hash),
            ),
        )
        .where(
            PrecheckResult.draft_id == draft.id,
            PrecheckResult.content_hash == draft.content_hash,
            PrecheckResult.fingerprint == fingerprint,
        )
        .order_by(col(PrecheckOverride.id))
    ).all()
    if not rows:
        return None
    prime(session, _overrides_key(draft), {o.finding_key: o for _, o in rows if o is not None})
    return rows[0][0]


def _overrides_key(draft: Draft) -> tuple[str, int | None, str]:
    return ("precheck_overrides", draft.id, draft.content_hash)


def record_precheck(session: Session, draft: Draft) -> PrecheckResult:
    """The result of the rules in force on the draft's current text, run and stored if it is not yet."""
    assert draft.id is not None
    rules = rules_in_force(session)
    stored = _stored(session, draft, rules.fingerprint)
    if stored is not None:
        return stored
    findings = [finding.as_json() for finding in rules.scan(checked_text(draft))]
    result = PrecheckResult(
        draft_id=draft.id,
        revision=draft.revision,
        content_hash=draft.content_hash,
        fingerprint=rules.fingerprint,
        rulesets=rules.versions,
        findings=findings,
        blocking=sum(1 for f in findings if f["severity"] == "block"),
        warnings=sum(1 for f in findings if f["severity"] != "block"),
        created_at=clock.now(),
    )
    session.add(result)
    session.flush()
    append_event(
        session,
        kind=EventKind.PRECHECKED,
        actor=None,
        at=result.created_at,
        draft_id=draft.id,
        payload=prechecked_record(result),
    )
    return result


def findings_digest(findings: list[dict[str, Any]]) -> str:
    return hashlib.sha256(canonical_json(findings).encode()).hexdigest()


def prechecked_record(result: PrecheckResult) -> dict[str, Any]:
    """What the trail records of a stored result, so that one inserted or changed behind it is found."""
    return {
        "precheck_id": result.id,
        "revision": result.revision,
        "content_hash": result.content_hash,
        "fingerprint": result.fingerprint,
        "rulesets": result.rulesets,
        "findings_sha256": findings_digest(result.findings),
        "blocking": result.blocking,
        "warnings": result.warnings,
    }


def overrides_of(session: Session, draft: Draft) -> dict[str, PrecheckOverride]:
    """The overrides given for the draft's current text, by finding key."""

    def load() -> dict[str, PrecheckOverride]:
        rows = session.exec(
            select(PrecheckOverride)
            .where(PrecheckOverride.draft_id == draft.id, PrecheckOverride.content_hash == draft.content_hash)
            .order_by(col(PrecheckOverride.id))
        ).all()
        return {row.finding_key: row for row in rows}

    return dict(remember(session, _overrides_key(draft), load))


def open_blocks(session: Session, draft: Draft, result: PrecheckResult) -> list[dict[str, Any]]:
    overridden = overrides_of(session, draft)
    return [f for f in result.findings if f["severity"] == "block" and f["key"] not in overridden]


def describe_blocks(blocks: list[dict[str, Any]]) -> str:
    shown = "; ".join(f"「{f['text']}」 ({f['rule']}, characters {f['start']}–{f['end']})" for f in blocks[:5])
    more = f" and {len(blocks) - 5} more" if len(blocks) > 5 else ""
    return f"{len(blocks)} blocking pre-check finding(s) not overridden: {shown}{more}"


def require_no_open_blocks(session: Session, draft: Draft, *, doing: str) -> PrecheckResult:
    """Refuse `doing` while a blocking finding stands; return the result that was checked."""
    result = record_precheck(session, draft)
    blocks = open_blocks(session, draft, result)
    if blocks:
        raise Conflict(
            f"{doing} is refused: the text has {describe_blocks(blocks)}. Correct the text, or a reviewer at "
            "复审 or above overrides each finding with a written reason",
            code="precheck_blocked",
            rule="R24",
        )
    return result


def signoff_reference(session: Session, draft: Draft, result: PrecheckResult) -> dict[str, Any]:
    """What a sign-off records of the pre-check its signer saw."""
    return {
        "id": result.id,
        "findings_sha256": findings_digest(result.findings),
        "fingerprint": result.fingerprint,
        "blocking": result.blocking,
        "warnings": result.warnings,
        "overridden": sorted(overrides_of(session, draft)),
    }


@dataclass(frozen=True)
class OverrideOutcome:
    result: PrecheckResult
    overrides: list[PrecheckOverride]


def _overriding_role(spec: WorkflowSpec, actor: Actor) -> str:
    roles = sorted(spec.overriding_roles() & actor.roles)
    if not roles:
        allowed = "、".join(ROLE_LABELS[role][0] for role in sorted(spec.overriding_roles())) or "none"
        raise Forbidden(
            f"only a reviewer at 复审 or above ({allowed}) may override a blocking pre-check finding",
            code="missing_role",
            rule="R24",
        )
    return roles[-1].value


def override_findings(
    session: Session,
    *,
    actor: Actor,
    draft_id: int,
    revision: int,
    keys: Iterable[str],
    reason: str,
) -> OverrideOutcome:
    """Let blocking findings of the current text stand, each recorded with the reason (R24)."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        raise Invalid("name at least one finding to override", code="invalid_findings")
    if len(wanted) > MAX_KEYS or any(not isinstance(k, str) or len(k) > 100 for k in wanted):
        raise Invalid(f"name at most {MAX_KEYS} findings, each by its key", code="invalid_findings")
    reason = clean_text(reason, what="the reason for the override", code="override_reason_required", limit=REASON_MAX)
    draft = lock_draft(session, draft_id)
    actor = refresh_actor(session, actor)
    wf = compiled(session, draft.workflow_version_id)
    role = _overriding_role(wf.spec, actor)
    if draft.author_id == actor.id:
        raise Forbidden(
            "the author may not override pre-check findings on their own draft (R4)", code="author_cannot_override"
        )
    if draft.state in (DraftState.PUBLISHED, DraftState.RETRACTED):
        raise Conflict(f"draft {draft_id} is already {draft.state}", code=f"already_{draft.state}")
    if revision != draft.revision:
        raise Conflict(
            f"revision {revision} is not the current one: the draft is at revision {draft.revision}; "
            "read the current findings and override again",
            code="stale_revision",
        )
    result = record_precheck(session, draft)
    blocking = {f["key"]: f for f in result.findings if f["severity"] == "block"}
    unknown = [key for key in wanted if key not in blocking]
    if unknown:
        raise Invalid(
            f"{', '.join(unknown[:5])}: not a blocking finding of revision {draft.revision}; "
            "overrides name blocking findings by their key",
            code="invalid_findings",
        )
    already = overrides_of(session, draft)
    repeated = [key for key in wanted if key in already]
    if repeated:
        raise Conflict(
            f"{', '.join(repeated[:5])}: already overridden by {already[repeated[0]].full_name}",
            code="already_overridden",
        )
    at = clock.now()
    assert draft.id is not None
    rows = [
        PrecheckOverride(
            draft_id=draft.id,
            revision=draft.revision,
            content_hash=draft.content_hash,
            finding_key=key,
            rule=blocking[key]["rule"],
            user_id=actor.id,
            username=actor.username,
            full_name=actor.full_name,
            role=role,
            reason=reason,
            at=at,
        )
        for key in wanted
    ]
    session.add_all(rows)
    session.flush()
    append_event(
        session,
        kind=EventKind.PRECHECK_OVERRIDDEN,
        actor=actor,
        at=at,
        draft_id=draft.id,
        payload={
            "name": actor.full_name,
            "role": role,
            "revision": draft.revision,
            "content_hash": draft.content_hash,
            "precheck_id": result.id,
            "fingerprint": result.fingerprint,
            "reason": reason,
            "overrides": [override_record(row, blocking[row.finding_key]) for row in rows],
        },
    )
    return OverrideOutcome(result=result, overrides=rows)


def override_record(row: PrecheckOverride, finding: dict[str, Any]) -> dict[str, Any]:
    return {
        "override_id": row.id,
        "key": row.finding_key,
        "rule": row.rule,
        "text": finding["text"],
        "at": iso_utc(row.at),
    }


@dataclass(frozen=True)
class PrecheckView:
    """The pre-check of a draft's current text as pages and the API show it."""

    revision: int
    content_hash: str
    fingerprint: str
    rulesets: list[dict[str, Any]]
    stored: bool
    """False when the rules changed since the text was last checked: the findings are fresh, and the
    next decision or release stores them."""
    findings: list[dict[str, Any]]
    """Each finding, with `part` (title or body), `line` and `column` in it (1-based) and `override` (or None)."""
    blocking: int
    open_blocking: int
    warnings: int
    gate_step: str | None
    overriding_roles: list[str]


_FRESH: OrderedDict[tuple[str, str], list[dict[str, Any]]] = OrderedDict()
_FRESH_SIZE = 64


def _fresh_findings(rules: CompiledRules, content_hash: str, text: str) -> list[dict[str, Any]]:
    """Findings not stored yet (the rules changed since the text was checked; a published draft is never
    checked again): kept per text and fingerprint, so that each page view does not scan again."""
    key = (content_hash, rules.fingerprint)
    found = _FRESH.get(key)
    if found is None:
        found = [f.as_json() for f in rules.scan(text)]
        _FRESH[key] = found
        while len(_FRESH) > _FRESH_SIZE:
            _FRESH.popitem(last=False)
    return found


def precheck_view(session: Session, draft: Draft) -> PrecheckView:
    rules = rules_in_force(session)
    stored = _stored(session, draft, rules.fingerprint)
    text = checked_text(draft)
    found = stored.findings if stored is not None else _fresh_findings(rules, draft.content_hash, text)
    overridden = overrides_of(session, draft)
    findings = []
    body_start = len(draft.title) + 1
    for finding in found:
        part, start = ("title", 0) if finding["start"] < body_start else ("body", body_start)
        line_start = max(text.rfind("\n", start, finding["start"]) + 1, start)
        row = overridden.get(finding["key"]) if finding["severity"] == "block" else None
        findings.append(
            {
                **finding,
                "part": part,
                "line": text.count("\n", start, finding["start"]) + 1,
                "column": finding["start"] - line_start + 1,
                "override": None if row is None else override_summary(row),
            }
        )
    spec = compiled(session, draft.workflow_version_id).spec
    blocking = sum(1 for f in findings if f["severity"] == "block")
    return PrecheckView(
        revision=draft.revision,
        content_hash=draft.content_hash,
        fingerprint=rules.fingerprint,
        rulesets=rules.versions,
        stored=stored is not None,
        findings=findings,
        blocking=blocking,
        open_blocking=sum(1 for f in findings if f["severity"] == "block" and f["override"] is None),
        warnings=len(findings) - blocking,
        gate_step=spec.gate_step(),
        overriding_roles=sorted(role.value for role in spec.overriding_roles()),
    )


def override_summary(row: PrecheckOverride) -> dict[str, Any]:
    return {"user": row.username, "name": row.full_name, "role": row.role, "reason": row.reason, "at": row.at}


def may_override(session: Session, actor: Actor, draft: Draft) -> bool:
    """Whether the override form is offered: the actor holds a role that may, on another's unreleased draft."""
    if draft.author_id == actor.id or draft.state in (DraftState.PUBLISHED, DraftState.RETRACTED):
        return False
    return bool(compiled(session, draft.workflow_version_id).spec.overriding_roles() & actor.roles)

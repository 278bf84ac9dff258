"""Decisions: approve, return (退改) or reject (退稿) the active step of a draft.

A decision names the step and the revision it is about (invariant 4). Checked in this order, each
refusal changing nothing: the input itself (opinion, checklist); the draft exists; the step is the
active one; the actor may sign it (role, qualification, R4, R3/R16, once only); the revision is the
current one; an approval attests the step's checks (R9) and does not leave a later step with nobody
who could sign it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from review import clock
from review.actors import Actor
from review.content import COMMENT_MAX, clean_text
from review.db import lock_draft
from review.enums import CHECK_LABELS, CORRECTING_KINDS, HEHONG, Decision, EventKind, RunOutcome, StepKind, StepStatus
from review.errorrate import error_report
from review.errors import Conflict, Invalid
from review.hehong import checks_to_attest, previous_round
from review.models import Signoff
from review.prechecks.records import record_precheck, require_no_open_blocks, signoff_reference
from review.rules import approvals_of, check_signer, find_unfillable, load_candidates, step_name
from review.runs import require_run, run_corrections, run_signoffs, run_steps
from review.trail import append_event, iso_utc
from review.users import refresh_actor
from review.workflows.registry import compiled
from review.workflows.spec import StepSpec

CHECKLIST_MAX = 50
_CHECK_KEY = re.compile(r"[a-z][a-z0-9_]{0,31}")
_EVENT_OF = {
    Decision.APPROVE: EventKind.DECIDED,
    Decision.APPROVE_WITH_CHANGES: EventKind.DECIDED,
    Decision.RETURN: EventKind.RETURNED,
    Decision.REJECT: EventKind.REJECTED,
}
_OUTCOME_OF = {Decision.RETURN: RunOutcome.RETURNED, Decision.REJECT: RunOutcome.REJECTED}


def parse_decision(value: str) -> Decision:
    try:
        return Decision(value)
    except ValueError:
        raise Invalid(
            f"unknown decision {value!r}; use approve, return or reject (or, at a read-through, "
            "approve_with_changes for 改后付印)",
            code="unknown_decision",
        ) from None


def clean_checklist(checklist: Mapping[str, Any] | None) -> dict[str, bool]:
    """Check keys to booleans. Checks beyond the step's required ones may be attested too, if the
    workflow knows them (六关, or a check its definition declares): `decide` refuses any other."""
    if checklist is None:
        return {}
    if len(checklist) > CHECKLIST_MAX:
        raise Invalid(f"a checklist has at most {CHECKLIST_MAX} keys", code="invalid_checklist")
    cleaned = {}
    for key, value in checklist.items():
        if not isinstance(key, str) or not _CHECK_KEY.fullmatch(key):
            raise Invalid(
                f"checklist key {str(key)[:40]!r} is not valid: use lowercase letters, digits and '_'",
                code="invalid_checklist",
            )
        if not isinstance(value, bool):
            raise Invalid(f"checklist value for {key!r} must be true or false", code="invalid_checklist")
        cleaned[key] = value
    return cleaned


def signoff_record(signoff: Signoff) -> dict[str, Any]:
    """A sign-off as the trail and exports show it: who, in what role, what it means, on which text, and
    the pre-check result its signer saw (sign-offs made before pre-checks existed have none)."""
    record: dict[str, Any] = {
        "signoff_id": signoff.id,
        "run_id": signoff.run_id,
        "user_id": signoff.user_id,
        "step": signoff.step_id,
        "step_kind": signoff.step_kind,
        "step_label": {"zh": signoff.step_label_zh, "en": signoff.step_label_en},
        "meaning": f"{signoff.step_label_zh} {signoff.decision}",
        "user": signoff.username,
        "name": signoff.full_name,
        "role": signoff.role,
        "qualifications": signoff.qualifications,
        "decision": signoff.decision,
        "comment": signoff.comment,
        "checklist": signoff.checklist,
        "revision": signoff.revision,
        "content_hash": signoff.content_hash,
        "at": iso_utc(signoff.at),
    }
    if signoff.precheck is not None:
        record["precheck"] = signoff.precheck
    if signoff.errors is not None:
        record["errors"] = signoff.errors
    return record


def decide(
    session: Session,
    *,
    actor: Actor,
    draft_id: int,
    step: str,
    decision: str,
    revision: int,
    comment: str,
    checklist: Mapping[str, Any] | None = None,
) -> Signoff:
    verdict = parse_decision(decision)
    comment = clean_text(comment, what="the opinion (审稿意见)", code="comment_required", limit=COMMENT_MAX)
    checks = clean_checklist(checklist)
    draft = lock_draft(session, draft_id)
    actor = refresh_actor(session, actor)
    wf = compiled(session, draft.workflow_version_id)
    spec_step = wf.step(step)
    if spec_step is None:
        known = ", ".join(s.id for s in wf.spec.steps)
        raise Invalid(f"workflow {wf.name!r} has no step {step!r}; its steps are {known}", code="unknown_step")
    if draft.state != step:
        active = wf.step(draft.state)
        if active is not None:
            raise Conflict(
                f"{step_name(spec_step)} is not the active step; the draft is at {step_name(active)}",
                code="wrong_step",
            )
        raise Conflict(f"the draft is {draft.state!r}, not under review", code="not_under_review")
    run = require_run(session, draft)
    assert run.id is not None
    assert draft.id is not None
    signoffs = run_signoffs(session, run.id)
    corrections = run_corrections(session, draft)
    role = check_signer(
        wf.spec, spec_step, actor, author_id=draft.author_id, signoffs=signoffs, corrections=corrections
    )
    if revision != draft.revision:
        seen = "is stale" if revision < draft.revision else "does not exist yet"
        raise Conflict(
            f"revision {revision} {seen}: the draft is at revision {draft.revision}; "
            "read the current text and decide again",
            code="stale_revision",
        )
    unknown = sorted(key for key in checks if key not in CHECK_LABELS and key not in wf.spec.checks)
    if unknown:
        raise Invalid(
            f"{', '.join(unknown)} {'is not a check' if len(unknown) == 1 else 'are not checks'} this workflow "
            f"knows; it knows {', '.join(sorted({*CHECK_LABELS, *wf.spec.checks}))}",
            code="invalid_checklist",
        )
    states = {state.step_id: state for state in run_steps(session, run.id)}
    correctors = {user_id for step_id, user_id in corrections if step_id == step}
    with_changes = any(s.step_id == step and s.decision == Decision.APPROVE_WITH_CHANGES for s in signoffs)
    _check_readthrough(
        spec_step,
        verdict,
        corrected=actor.id in correctors,
        others=bool(correctors - {actor.id}),
        with_changes=with_changes,
    )
    quorum = spec_step.quorum + (1 if with_changes or verdict is Decision.APPROVE_WITH_CHANGES else 0)
    if verdict is Decision.APPROVE_WITH_CHANGES or verdict is Decision.APPROVE:
        missing = [key for key in checks_to_attest(session, draft, wf, step) if checks.get(key) is not True]
        if missing:
            named = ", ".join(f"{wf.spec.check_label(key)[0]} ({key})" for key in missing)
            if HEHONG in missing and (earlier := previous_round(session, draft, wf, step)) is not None:
                named += (
                    f" — 核红: check that the corrections {earlier.label[0]} made (revision "
                    f"{earlier.from_revision} → {earlier.to_revision}) were applied correctly (R19)"
                )
            raise Invalid(
                f"approving {step_name(spec_step)} needs these checks attested: {named}", code="missing_checks"
            )
        remaining = [
            s.model_copy(update={"quorum": quorum}) if s.id == step else s
            for s in wf.ordered({i for i, state in states.items() if state.position >= states[step].position})
        ]
        refusal = find_unfillable(
            wf.spec,
            remaining,
            candidates=load_candidates(session, remaining),
            author_id=draft.author_id,
            approvals=[*approvals_of(signoffs), (step, actor.id)],
            corrections=corrections,
        )
        if refusal is not None:
            raise Conflict(
                f"if you sign, {refusal.message}; let another eligible person sign instead",
                code="would_strand",
                rule=refusal.rule,
            )

    approving = verdict in (Decision.APPROVE, Decision.APPROVE_WITH_CHANGES)
    if approving and wf.spec.gated(step):
        checked = require_no_open_blocks(session, draft, doing=f"approving {step_name(spec_step)}")
    else:
        checked = record_precheck(session, draft)
    slot = sum(1 for s in signoffs if s.step_id == step) + 1
    if slot > quorum:
        raise Conflict(f"{step_name(spec_step)} already has its decision; reload the draft", code="concurrent_decision")
    errors = None
    if approving and spec_step.kind in CORRECTING_KINDS and (report := error_report(session, draft, wf)) is not None:
        errors = report.record(step)
    at = clock.now()
    signoff = Signoff(
        draft_id=draft.id,
        run_id=run.id,
        step_id=step,
        step_kind=spec_step.kind.value,
        step_label_zh=spec_step.label.zh,
        step_label_en=spec_step.label.en,
        slot=slot,
        quorum=quorum,
        distinct_group=wf.spec.distinct_group(step),
        user_id=actor.id,
        username=actor.username,
        full_name=actor.full_name,
        role=role.value,
        qualifications=sorted(actor.qualifications),
        decision=verdict.value,
        comment=comment,
        checklist=checks,
        revision=draft.revision,
        content_hash=draft.content_hash,
        precheck=signoff_reference(session, draft, checked),
        errors=errors,
        at=at,
    )
    session.add(signoff)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(
            f"someone else decided on {step_name(spec_step)} at the same moment; reload the draft",
            code="concurrent_decision",
        ) from None

    # 改后付印 is not yet an approval: the step waits for someone to check the corrections (R20).
    approvals = sum(1 for s in [*signoffs, signoff] if s.step_id == step and s.decision == Decision.APPROVE)
    trigger = Decision.APPROVE if approving else verdict
    new_state = wf.fire(draft, trigger.value, steps=frozenset(states), approvals=approvals)
    if new_state != step:
        current = states[step]
        if approving:
            current.status, current.completed_at = StepStatus.SIGNED.value, at
            if new_state in states:
                states[new_state].status, states[new_state].activated_at = StepStatus.ACTIVE.value, at
            else:
                run.outcome, run.ended_at = RunOutcome.APPROVED.value, at
        else:
            current.status = StepStatus.PENDING.value
            run.outcome, run.ended_at = _OUTCOME_OF[verdict].value, at
            if verdict is Decision.REJECT:
                for state in states.values():
                    if state.status == StepStatus.PENDING and state.position > current.position:
                        state.status = StepStatus.SKIPPED.value
        session.add_all([*states.values(), run])
        draft.state_since = at
    draft.updated_at = at
    session.add(draft)
    append_event(
        session,
        kind=_EVENT_OF[verdict],
        actor=actor,
        at=at,
        draft_id=draft.id,
        payload={**signoff_record(signoff), "cycle": run.cycle, "state": new_state},
    )
    return signoff


def _check_readthrough(step: StepSpec, verdict: Decision, *, corrected: bool, others: bool, with_changes: bool) -> None:
    """付印 and 改后付印 (R20): a read-through whose reader corrected the text is signed 改后付印 by that
    reader, and then approved by someone else who checks those corrections; one that corrected nothing is
    signed 付印. `corrected`: the signer corrected the text in this step; `others`: someone else did."""
    if verdict is Decision.APPROVE_WITH_CHANGES:
        if step.kind is not StepKind.READTHROUGH:
            raise Invalid(
                f"approve_with_changes (改后付印) ends a read-through (通读); {step_name(step)} is approved, "
                "returned or rejected",
                code="unknown_decision",
            )
        if with_changes:
            raise Conflict(
                f"{step_name(step)} is already signed 改后付印; reload the draft", code="concurrent_decision"
            )
        if not corrected:
            raise Invalid(
                f"改后付印 means you corrected the text in {step_name(step)}: "
                + (
                    "someone else did, and they sign it (R20)"
                    if others
                    else "make the corrections first, or sign 付印 (approve) if the text needs none (R20)"
                ),
                code="no_corrections",
                rule="R20",
            )
    elif (
        verdict is Decision.APPROVE and step.kind is StepKind.READTHROUGH and (corrected or others) and not with_changes
    ):
        raise Invalid(
            f"the text was corrected in {step_name(step)}: sign 改后付印 (approve_with_changes), and someone else "
            "checks the corrections before release (R20)",
            code="corrections_unchecked",
            rule="R20",
        )

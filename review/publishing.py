"""Publishing (发布) and retraction (撤稿).

Publishing does not trust the draft's `approved` state alone. It re-derives, from the rows, that the
text going out is fully signed off (invariant 1, R1, R2, R22):

- the text is re-hashed and must equal the current revision's hash;
- every step of the current cycle, and every step that applies to the draft *for the channel it
  goes to*, has its quorum of approvals in that cycle, and the last step's approvals are on exactly
  this revision and hash;
- a read-through signed 改后付印 also has another person's approval of that revision (R20);
- every revision since the cycle began is a correction made inside a proofread or read-through step
  of this cycle (R18): anything else would have voided the cycle's sign-offs.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from review import clock
from review.actors import Actor
from review.content import REASON_MAX, clean_text, content_hash
from review.db import lock_draft
from review.drafts import require_channel
from review.enums import ERROR_RATE, Decision, DraftState, EventKind, Role, StepKind, StepStatus
from review.errorrate import error_report
from review.errors import Conflict, Forbidden
from review.models import Draft, Publication, Revision, Signoff, WorkflowRun
from review.prechecks.records import record_precheck, require_no_open_blocks, signoff_reference
from review.rules import step_name
from review.runs import require_run, run_corrections, run_signoffs, run_steps
from review.trail import append_event
from review.users import refresh_actor
from review.workflows.compiler import CompiledWorkflow, DraftFacts
from review.workflows.registry import compiled


def require_publisher(actor: Actor) -> None:
    if not actor.has(Role.PUBLISHER):
        raise Forbidden("publishing and retracting need the publisher role (发布)", code="missing_role")


def _refuse(message: str) -> Conflict:
    return Conflict(f"not fully signed off: {message}", code="not_signed_off", rule="R1")


def verify_signoffs(session: Session, draft: Draft, run: WorkflowRun, wf: CompiledWorkflow, channel: str) -> None:
    """Raise unless every applicable step of the current cycle is signed on the text that goes out."""
    assert run.id is not None
    digest = content_hash(draft.title, draft.body)
    revision = session.exec(
        select(Revision).where(col(Revision.draft_id) == draft.id, col(Revision.number) == draft.revision)
    ).one()
    if digest != draft.content_hash or digest != revision.content_hash:
        raise _refuse(f"the text no longer matches revision {draft.revision} (hash {digest[:12]}…)")
    later = session.exec(
        select(Revision).where(col(Revision.draft_id) == draft.id, col(Revision.number) > run.started_revision)
    ).all()
    for rev in later:
        if rev.cycle != run.cycle or rev.step_id is None:
            raise _refuse(f"revision {rev.number} was not made inside a proofread step of this cycle")
    status = {state.step_id: state.status for state in run_steps(session, run.id)}
    steps = wf.ordered({s.id for s in wf.applicable_steps(DraftFacts.of(draft, channel=channel))} | set(status))
    if not steps:
        raise _refuse("no step applies to this draft")
    approvals: dict[str, list[tuple[int, str]]] = {}
    with_changes: dict[str, Signoff] = {}
    signoffs = run_signoffs(session, run.id)
    for signoff in signoffs:
        if signoff.decision == Decision.APPROVE:
            approvals.setdefault(signoff.step_id, []).append((signoff.revision, signoff.content_hash))
        elif signoff.decision == Decision.APPROVE_WITH_CHANGES:
            with_changes[signoff.step_id] = signoff
    for step in steps:
        signed = approvals.get(step.id, [])
        if status.get(step.id) != StepStatus.SIGNED or len(signed) < step.quorum:
            raise _refuse(f"{step_name(step)} is not signed for channel {channel!r}")
        if any(number < run.started_revision for number, _ in signed):
            raise _refuse(f"{step_name(step)} was signed on a revision older than this cycle")
        reader = with_changes.get(step.id)
        correctors = {user for step_id, user in run_corrections(session, draft) if step_id == step.id}
        if step.kind is StepKind.READTHROUGH and correctors and (reader is None or reader.user_id not in correctors):
            raise _refuse(f"{step_name(step)} corrected the text but its reader did not sign 改后付印 (R20)")
        if reader is not None and not any(
            s.step_id == step.id
            and s.decision == Decision.APPROVE
            and s.user_id != reader.user_id
            and s.revision == reader.revision
            for s in signoffs
        ):
            raise _refuse(f"{step_name(step)} was signed 改后付印 and nobody else checked its corrections (R20)")
    if channel != draft.channel:
        _require_error_rate_seen(session, draft, wf, channel, signoffs)
    last = steps[-1]
    if any((number, signed_hash) != (draft.revision, digest) for number, signed_hash in approvals[last.id]):
        raise _refuse(f"the last step {step_name(last)} did not sign revision {draft.revision}, the text going out")


def _require_error_rate_seen(
    session: Session, draft: Draft, wf: CompiledWorkflow, channel: str, signoffs: list[Signoff]
) -> None:
    """Publishing to a channel other than the draft's own: its limit may be stricter than the one 终审
    saw. Over it, 终审 must have acknowledged the excess (R21); otherwise choose the draft's own channel."""
    report = error_report(session, draft, wf, channel=channel)
    if report is None or report.verdict != "over" or report.final_review is None:
        return
    if not any(
        s.step_id == report.final_review and s.decision == Decision.APPROVE and s.checklist.get(ERROR_RATE)
        for s in signoffs
    ):
        assert report.final is not None
        raise Conflict(
            f"for channel {channel!r} the last proofread's error rate ({report.final.rate:g} per 10 000) is over its "
            f"limit ({report.channel.limit:g}), and the final review did not acknowledge an excess; publish it to "
            f"{draft.channel!r}, whose limit the final review was shown",
            code="error_rate_unacknowledged",
            rule="R21",
        )


def publish(session: Session, *, actor: Actor, draft_id: int, channel: str | None = None) -> Publication:
    draft = lock_draft(session, draft_id)
    actor = refresh_actor(session, actor)
    require_publisher(actor)
    target = channel or draft.channel
    require_channel(session, target)
    if draft.state in (DraftState.PUBLISHED, DraftState.RETRACTED):
        raise Conflict(f"draft {draft_id} is already {draft.state}", code=f"already_{draft.state}")
    if draft.state != DraftState.APPROVED:
        wf = compiled(session, draft.workflow_version_id)
        active = wf.step(draft.state)
        where = f"it is waiting for {step_name(active)}" if active else f"it is {draft.state!r}"
        raise Conflict(f"draft {draft_id} is not fully signed off: {where}", code="not_signed_off")
    wf = compiled(session, draft.workflow_version_id)
    run = require_run(session, draft)
    verify_signoffs(session, draft, run, wf, target)
    if wf.spec.overriding_roles():
        checked = require_no_open_blocks(session, draft, doing=f"publishing draft {draft_id}")
    else:  # no reviewer could ever override: the findings are recorded, not enforced (docs/prechecks.md)
        checked = record_precheck(session, draft)
    wf.fire(draft, "publish")
    at = clock.now()
    assert draft.id is not None
    assert run.id is not None
    publication = Publication(
        draft_id=draft.id,
        run_id=run.id,
        channel=target,
        revision=draft.revision,
        content_hash=draft.content_hash,
        title=draft.title,
        body=draft.body,
        published_by=actor.id,
        published_at=at,
    )
    session.add(publication)
    draft.state_since = draft.updated_at = at
    session.add(draft)
    session.flush()
    append_event(
        session,
        kind=EventKind.PUBLISHED,
        actor=actor,
        at=at,
        draft_id=draft.id,
        payload={
            "publication_id": publication.id,
            "name": actor.full_name,
            "channel": target,
            "revision": draft.revision,
            "content_hash": draft.content_hash,
            "cycle": run.cycle,
            "precheck": signoff_reference(session, draft, checked),
        },
    )
    return publication


def retract(session: Session, *, actor: Actor, draft_id: int, reason: str) -> Draft:
    """撤稿: the publication is withdrawn with a reason; the text and its whole trail stay (R25)."""
    reason = clean_text(reason, what="the reason for retraction", code="reason_required", limit=REASON_MAX)
    draft = lock_draft(session, draft_id)
    actor = refresh_actor(session, actor)
    require_publisher(actor)
    if draft.state != DraftState.PUBLISHED:
        raise Conflict(
            f"draft {draft_id} is {draft.state!r}; only a published draft can be retracted",
            code="not_published",
        )
    wf = compiled(session, draft.workflow_version_id)
    wf.fire(draft, "retract")
    at = clock.now()
    publications = session.exec(
        select(Publication).where(col(Publication.draft_id) == draft_id, col(Publication.retracted_at).is_(None))
    ).all()
    for publication in publications:
        publication.retracted_at, publication.retracted_by, publication.retract_reason = at, actor.id, reason
    session.add_all(publications)
    draft.state_since = draft.updated_at = at
    session.add(draft)
    append_event(
        session,
        kind=EventKind.RETRACTED,
        actor=actor,
        at=at,
        draft_id=draft.id,
        payload={
            "reason": reason,
            "publications": [p.id for p in publications],
            "revision": draft.revision,
            "name": actor.full_name,
        },
    )
    return draft


def retraction_reasons(session: Session, draft_ids: list[int]) -> dict[int, str]:
    """Each retracted draft's most recent reason for retraction (撤稿理由)."""
    rows = session.exec(
        select(Publication.draft_id, Publication.retract_reason)
        .where(col(Publication.draft_id).in_(draft_ids), col(Publication.retract_reason).is_not(None))
        .order_by(col(Publication.id))
    ).all()
    return {draft_id: reason for draft_id, reason in rows if reason is not None}

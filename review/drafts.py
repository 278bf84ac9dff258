"""Drafts (稿件): create, revise, submit.

A revision is an exact title + body with its hash. Who may change the text:

- the author, while the draft is a `draft` or `returned` (退改); after a return the next submission
  starts a new cycle in which every step signs again (R10);
- the proofreader who may sign the active proofread step: a correction inside the step (R18). It is a
  new revision attributed to them; the steps after it sign the corrected text.

Nobody else, and nobody while a review step is active: a reviewer returns the draft instead.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from sqlmodel import Session, col, select

from review import clock
from review.actors import Actor
from review.content import clean_body, clean_tags, clean_title, content_hash, parse_choice
from review.db import lock_draft
from review.enums import (
    CORRECTING_KINDS,
    Decision,
    DraftState,
    EventKind,
    Importance,
    Role,
    RunOutcome,
    StepKind,
    StepStatus,
)
from review.errorrate import UNCLASSIFIED, changed_places, clean_errors
from review.errors import Conflict, Forbidden, Invalid
from review.models import Channel, Draft, Revision, StepState, WorkflowRun
from review.prechecks.records import record_precheck
from review.rules import check_draft_signer, find_unfillable, load_candidates, step_name
from review.runs import require_run, run_corrections, run_signoffs, steps_ever_applied
from review.trail import append_event
from review.users import refresh_actor
from review.workflows.compiler import DraftFacts
from review.workflows.registry import compiled, latest_version

DEFAULT_WORKFLOW = "sanshen"


def require_channel(session: Session, key: str) -> Channel:
    channel = session.get(Channel, key)
    if channel is None or not channel.active:
        known = ", ".join(session.exec(select(Channel.key).where(col(Channel.active)).order_by(Channel.key)))
        raise Invalid(f"unknown channel {key!r}; channels are: {known}", code="unknown_channel")
    return channel


def require_author(actor: Actor) -> None:
    if not actor.has(Role.AUTHOR):
        raise Forbidden("creating drafts needs the author role (采编)", code="missing_role")


def create_draft(
    session: Session,
    *,
    actor: Actor,
    title: str,
    body: str,
    channel: str,
    tags: Iterable[str] = (),
    importance: str = Importance.NORMAL.value,
    workflow: str | None = None,
) -> Draft:
    title, body, tag_list = clean_title(title), clean_body(body), clean_tags(tags)
    level = parse_choice(Importance, importance, what="importance", code="unknown_importance")
    actor = refresh_actor(session, actor)
    require_author(actor)
    require_channel(session, channel)
    version = latest_version(session, workflow or DEFAULT_WORKFLOW)
    assert version.id is not None
    at = clock.now()
    digest = content_hash(title, body)
    draft = Draft(
        author_id=actor.id,
        channel=channel,
        importance=level.value,
        tags=tag_list,
        workflow_version_id=version.id,
        state=DraftState.DRAFT.value,
        revision=1,
        title=title,
        body=body,
        content_hash=digest,
        created_at=at,
        updated_at=at,
        state_since=at,
    )
    session.add(draft)
    session.flush()
    assert draft.id is not None
    session.add(
        Revision(
            draft_id=draft.id,
            number=1,
            title=title,
            body=body,
            content_hash=digest,
            author_id=actor.id,
            cycle=0,
            created_at=at,
        )
    )
    append_event(
        session,
        kind=EventKind.CREATED,
        actor=actor,
        at=at,
        draft_id=draft.id,
        payload={
            "name": actor.full_name,
            "title": title,
            "channel": channel,
            "tags": tag_list,
            "importance": level.value,
            "workflow": version.name,
            "workflow_version": version.version,
            "revision": 1,
            "content_hash": digest,
        },
    )
    record_precheck(session, draft)
    return draft


def _change_size(old: str, new: str) -> tuple[int, int]:
    """Lines added and removed: the size of a revision's diff, for the trail."""
    added = removed = 0
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), n=0, lineterm=""):
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    return added, removed


def revise_draft(
    session: Session,
    *,
    actor: Actor,
    draft_id: int,
    title: str | None = None,
    body: str | None = None,
    tags: Iterable[str] | None = None,
    expected_revision: int | None = None,
    errors: Mapping[str, Any] | None = None,
) -> Draft:
    """Save an edit. A save that changes nothing creates nothing and voids nothing.

    `expected_revision` is the revision the editor started from: if another save came first, the
    edit is refused rather than silently overwriting it. `errors` counts, by category, the errors a
    proofreader's correction fixes (差错率, R21); a correction without them counts each changed place
    as one unclassified error.
    """
    new_title = clean_title(title) if title is not None else None
    new_body = clean_body(body) if body is not None else None
    new_tags = clean_tags(tags) if tags is not None else None
    error_counts = clean_errors(errors)
    draft = lock_draft(session, draft_id)
    actor = refresh_actor(session, actor)
    if expected_revision is not None and expected_revision != draft.revision:
        raise Conflict(
            f"revision {expected_revision} is stale: the draft is at revision {draft.revision}; "
            "read the new text, then edit it",
            code="stale_revision",
        )
    wf = compiled(session, draft.workflow_version_id)
    correction_step = None
    if draft.state in (DraftState.DRAFT, DraftState.RETURNED):
        if actor.id != draft.author_id:
            raise Forbidden(
                "only the author edits a draft before it is submitted or after it is returned",
                code="not_author",
            )
    elif (step := wf.step(draft.state)) is not None:
        if actor.id == draft.author_id or step.kind not in CORRECTING_KINDS:
            raise (Conflict if actor.id == draft.author_id else Forbidden)(
                f"the draft is under review at {step_name(step)}; only a proofreader corrects text inside a "
                "proofread or read-through step, and the author edits after a return (退改)",
                code="not_editable",
            )
        run = require_run(session, draft)
        assert run.id is not None
        if any(
            s.step_id == step.id and s.decision == Decision.APPROVE_WITH_CHANGES for s in run_signoffs(session, run.id)
        ):
            raise Conflict(
                f"{step_name(step)} was signed 改后付印: its corrections are being checked; if they are wrong, "
                "return the draft (R20)",
                code="not_editable",
            )
        check_draft_signer(session, wf.spec, step, actor, draft)
        others = {user for step_id, user in run_corrections(session, draft) if step_id == step.id} - {actor.id}
        if step.kind is StepKind.READTHROUGH and others:
            raise Conflict(
                f"another proofreader already corrected the text in {step_name(step)}: a read-through has one "
                "reader, who signs 改后付印 for their corrections; return the draft instead (R20)",
                code="not_editable",
            )
        if new_tags is not None and new_tags != draft.tags:
            raise Forbidden("a proofreader corrects the text; only the author changes tags", code="not_author")
        correction_step = step.id
    else:
        raise Conflict(f"a draft in state {draft.state!r} can no longer be edited", code="not_editable")
    if error_counts is not None and correction_step is None:
        raise Invalid(
            "error counts (差错) are recorded on a proofreader's corrections inside a proofread step, "
            "not on the author's edits",
            code="invalid_errors",
        )

    at = clock.now()
    title_out = new_title if new_title is not None else draft.title
    body_out = new_body if new_body is not None else draft.body
    digest = content_hash(title_out, body_out)
    if error_counts and digest == draft.content_hash:
        raise Invalid(
            "the text is unchanged: errors are counted on the correction that fixes them", code="invalid_errors"
        )
    if new_tags is not None and new_tags != draft.tags:
        append_event(
            session,
            kind=EventKind.RETAGGED,
            actor=actor,
            at=at,
            draft_id=draft.id,
            payload={"name": actor.full_name, "tags": new_tags, "previous_tags": draft.tags},
        )
        draft.tags = new_tags
        draft.updated_at = at
    if digest != draft.content_hash:
        assert draft.id is not None
        added, removed = _change_size(f"{draft.title}\n{draft.body}", f"{title_out}\n{body_out}")
        if correction_step is not None and not error_counts:
            error_counts = {UNCLASSIFIED: changed_places(draft.title, draft.body, title_out, body_out)}
        payload = {
            "revision": draft.revision + 1,
            "previous_revision": draft.revision,
            "content_hash": digest,
            "previous_hash": draft.content_hash,
            "title": title_out,
            "lines_added": added,
            "lines_removed": removed,
            "step": correction_step,
            "cycle": draft.cycle,
            "name": actor.full_name,
        }
        if correction_step is not None:
            payload["errors"] = error_counts
        draft.revision += 1
        draft.title, draft.body, draft.content_hash = title_out, body_out, digest
        draft.updated_at = at
        session.add(
            Revision(
                draft_id=draft.id,
                number=draft.revision,
                title=title_out,
                body=body_out,
                content_hash=digest,
                author_id=actor.id,
                cycle=draft.cycle,
                step_id=correction_step,
                errors=error_counts,
                created_at=at,
            )
        )
        append_event(session, kind=EventKind.REVISED, actor=actor, at=at, draft_id=draft.id, payload=payload)
        session.add(draft)
        record_precheck(session, draft)
    session.add(draft)
    return draft


def submit_draft(session: Session, *, actor: Actor, draft_id: int) -> Draft:
    """Start a cycle through the steps that apply to the draft, in order, from the first.

    The steps that apply are those whose `when` holds now, plus every step that applied in an earlier
    cycle: removing a tag after a return cannot shed a step (the committee that returned a
    `specialist` draft sees it again).
    """
    draft = lock_draft(session, draft_id)
    actor = refresh_actor(session, actor)
    if actor.id != draft.author_id:
        raise Forbidden("only the author submits a draft", code="not_author")
    if draft.state not in (DraftState.DRAFT, DraftState.RETURNED):
        raise Conflict(
            f"the draft is {draft.state!r}; only a new or returned draft can be submitted", code="not_submittable"
        )
    wf = compiled(session, draft.workflow_version_id)
    step_ids = {s.id for s in wf.applicable_steps(DraftFacts.of(draft))} | steps_ever_applied(session, draft)
    steps = wf.ordered(step_ids)
    refusal = find_unfillable(
        wf.spec, steps, candidates=load_candidates(session, steps), author_id=draft.author_id, approvals=[]
    )
    if refusal is not None:
        raise refusal
    at = clock.now()
    assert draft.id is not None
    draft.cycle += 1
    run = WorkflowRun(
        draft_id=draft.id,
        cycle=draft.cycle,
        workflow_version_id=wf.version_id,
        started_revision=draft.revision,
        outcome=RunOutcome.IN_PROGRESS.value,
        started_at=at,
    )
    session.add(run)
    session.flush()
    assert run.id is not None
    first = wf.fire(draft, "submit", steps=frozenset(step_ids))
    for position, step in enumerate(steps):
        active = step.id == first
        session.add(
            StepState(
                run_id=run.id,
                step_id=step.id,
                position=position,
                status=(StepStatus.ACTIVE if active else StepStatus.PENDING).value,
                distinct_group=wf.spec.distinct_group(step.id),
                activated_at=at if active else None,
            )
        )
    draft.state_since = at
    draft.updated_at = at
    session.add(draft)
    append_event(
        session,
        kind=EventKind.SUBMITTED,
        actor=actor,
        at=at,
        draft_id=draft.id,
        payload={
            "name": actor.full_name,
            "cycle": draft.cycle,
            "revision": draft.revision,
            "content_hash": draft.content_hash,
            "steps": [step.id for step in steps],
            "active_step": first,
            "labels": {step.id: [step.label.zh, step.label.en] for step in steps},
        },
    )
    return draft

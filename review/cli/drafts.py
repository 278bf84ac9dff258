"""`sanshen draft …`, `decide`, `publish`, `retract`, `queue`, `trail`: the engine at a terminal."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import click

from review.actors import Actor
from review.cli.base import App, acting, cli, fail
from review.decisions import decide
from review.drafts import create_draft, revise_draft, submit_draft
from review.enums import CHECK_LABELS, Decision, Importance, StepStatus
from review.errorrate import ERROR_CATEGORIES, UNCLASSIFIED
from review.publishing import publish, retract
from review.queue import queue_for
from review.trail import iso_utc
from review.views import DraftView, draft_trail, draft_view, list_drafts

STATUS_MARK = {
    StepStatus.SIGNED: "✓",
    StepStatus.ACTIVE: "▶",
    StepStatus.PENDING: "·",
    StepStatus.SKIPPED: "–",
}


def _read_body(body: str | None, body_file: Path | None) -> str | None:
    if body is not None and body_file is not None:
        raise click.UsageError("give --body or --body-file, not both")
    if body_file is None:
        return body
    try:
        return sys.stdin.read() if str(body_file) == "-" else body_file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        fail(f"{body_file} is not UTF-8 text")
    except OSError as error:
        fail(f"cannot read {body_file}: {error.strerror}")


def _parse_errors(items: tuple[str, ...]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        category, sep, number = item.partition("=")
        if not sep or not re.fullmatch(r"[0-9]{1,5}", number.strip()):
            raise click.UsageError(f"--error {item!r}: write CATEGORY=N, e.g. typo=2")
        counts[category.strip()] = counts.get(category.strip(), 0) + int(number)
    return counts


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


def _print_draft(view: DraftView, *, with_body: bool) -> None:
    click.echo(f"稿件 draft {view.id}: {view.title}")
    click.echo(f"  state {view.state}   revision {view.revision}   sha256 {view.content_hash}")
    click.echo(f"  channel {view.channel}   importance {view.importance}   tags {', '.join(view.tags) or '-'}")
    click.echo(
        f"  author {view.author} ({view.author_name})   workflow {view.workflow} v{view.workflow_version}"
        f"   cycle {view.cycle}"
    )
    click.echo("  steps:")
    for step in view.steps:
        quorum = f" (quorum {step.quorum})" if step.quorum > 1 else ""
        click.echo(f"    {STATUS_MARK[StepStatus(step.status)]} {step.id:<10} {step.label}{quorum}  {step.status}")
        for s in step.signoffs:
            checks = ",".join(k for k, v in s.checklist.items() if v)
            click.echo(
                f"        {s.meaning} — {s.name} ({s.user}, {s.role}) on revision {s.revision}"
                f" sha256 {s.content_hash[:12]}… at {iso_utc(s.at)}" + (f" checks {checks}" if checks else "")
            )
            click.echo(f"          “{s.comment}”")
    if (rate := view.error_rate) is not None and (rate.counts or rate.verdict != "pending"):
        limit = "no limit" if rate.limit is None else f"limit {rate.limit:g}"
        click.echo(f"  差错率 error rate ({rate.medium}, {limit} per 10000, {rate.characters} characters):")
        for r in rate.rounds:
            counts = ", ".join(f"{k} {n}" for k, n in r.counts.items()) or "none"
            click.echo(f"    {r.step:<12} {r.labels.zh:<6} {r.rate:>8g}/10000  errors {r.errors:g} ({counts})")
        flagged = f", flagged to {rate.flagged_to}" if rate.flagged_to else ""
        click.echo(f"    verdict {rate.verdict}{flagged}")
    for p in view.publications:
        retracted = f"; retracted {iso_utc(p.retracted_at)}: {p.retract_reason}" if p.retracted_at else ""
        click.echo(
            f"  published to {p.channel} by {p.published_by} at {iso_utc(p.published_at)}, revision "
            f"{p.revision}{retracted}"
        )
    if with_body:
        click.echo("")
        click.echo(view.body)


def _show(app: App, actor: Actor, draft_id: int, *, as_json: bool, with_body: bool = False) -> None:
    with app.database().read() as session:
        view = draft_view(session, actor, draft_id)
    if as_json:
        _echo_json(view.model_dump(mode="json"))
    else:
        _print_draft(view, with_body=with_body)


@cli.group()
def draft() -> None:
    """Drafts (稿件): create, edit, submit, show, list."""


@draft.command("create")
@click.option("--title", required=True)
@click.option("--body", help="The text; or use --body-file.")
@click.option(
    "--body-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Read the text from a file (- for stdin).",
)
@click.option("--channel", required=True, help="website (门户网站), wechat (微信公众号), bulletin (内部简报) …")
@click.option("--tag", "tags", multiple=True, help="A tag, e.g. specialist; repeatable.")
@click.option("--importance", type=click.Choice([i.value for i in Importance]), default=Importance.NORMAL.value)
@click.option("--workflow", help="Workflow key or name (default: sanshen, 三审三校).")
@click.option("--json", "as_json", is_flag=True, help="Print the draft as JSON.")
@acting
def draft_create(
    app: App,
    *,
    actor: Actor,
    title: str,
    body: str | None,
    body_file: Path | None,
    channel: str,
    tags: tuple[str, ...],
    importance: str,
    workflow: str | None,
    as_json: bool,
) -> None:
    """Write a new draft (needs the author role)."""
    text = _read_body(body, body_file)
    if text is None:
        raise click.UsageError("give the text with --body or --body-file")
    with app.database().write() as session:
        created = create_draft(
            session,
            actor=actor,
            title=title,
            body=text,
            channel=channel,
            tags=tags,
            importance=importance,
            workflow=workflow,
        )
    assert created.id is not None
    if as_json:
        _show(app, actor, created.id, as_json=True)
    else:
        click.echo(f"draft {created.id} created at revision 1 (sha256 {created.content_hash})")


@draft.command("edit")
@click.argument("draft_id", type=int)
@click.option("--title")
@click.option("--body")
@click.option("--body-file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--tag", "tags", multiple=True, help="Replace the tags (repeatable).")
@click.option(
    "--error",
    "errors",
    multiple=True,
    metavar="CATEGORY=N",
    help="A proofreader's correction: the errors it fixes, e.g. typo=2 (repeatable; categories: "
    + ", ".join(k for k in ERROR_CATEGORIES if k != UNCLASSIFIED)
    + "). Without it each changed place counts as one unclassified error.",
)
@acting
def draft_edit(
    app: App,
    draft_id: int,
    *,
    actor: Actor,
    title: str | None,
    body: str | None,
    body_file: Path | None,
    tags: tuple[str, ...],
    errors: tuple[str, ...],
) -> None:
    """Save a new revision: the author before submitting or after a return, a proofreader at their step."""
    text = _read_body(body, body_file)
    counts = _parse_errors(errors) if errors else None
    with app.database().write() as session:
        edited = revise_draft(
            session,
            actor=actor,
            draft_id=draft_id,
            title=title,
            body=text,
            tags=list(tags) if tags else None,
            errors=counts,
        )
    click.echo(f"draft {draft_id} is at revision {edited.revision} (sha256 {edited.content_hash})")


@draft.command("submit")
@click.argument("draft_id", type=int)
@acting
def draft_submit(app: App, draft_id: int, *, actor: Actor) -> None:
    """Send the draft into its workflow (the author only)."""
    with app.database().write() as session:
        submitted = submit_draft(session, actor=actor, draft_id=draft_id)
    click.echo(f"draft {draft_id} submitted (cycle {submitted.cycle}); waiting for {submitted.state}")


@draft.command("show")
@click.argument("draft_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the draft as JSON (the API's shape).")
@click.option("--body/--no-body", "with_body", default=True, help="Print the text too (default: yes).")
@acting
def draft_show(app: App, draft_id: int, *, actor: Actor, as_json: bool, with_body: bool) -> None:
    """A draft with its steps and every sign-off of its current cycle."""
    _show(app, actor, draft_id, as_json=as_json, with_body=with_body)


@draft.command("list")
@click.option("--state", help="Only drafts in this state (draft, returned, approved, published, or a step id).")
@click.option("--mine", is_flag=True, help="Only my own drafts.")
@click.option("--limit", type=click.IntRange(1, 1000), default=50)
@acting
def draft_list(app: App, *, actor: Actor, state: str | None, mine: bool, limit: int) -> None:
    """Drafts I may read, most recently changed first."""
    with app.database().read() as session:
        total, rows = list_drafts(session, actor, state=state, mine=mine, limit=limit)
    for row in rows:
        click.echo(f"{row.id:>6}  {row.state:<10} r{row.revision:<3} {row.channel:<9} {row.author:<12} {row.title}")
    click.echo(f"({len(rows)} of {total})")


@cli.command("decide")
@click.argument("draft_id", type=int)
@click.option("--step", required=True, help="The step you decide on, e.g. review1.")
@click.option("--decision", type=click.Choice([d.value for d in Decision]), required=True)
@click.option("--revision", type=int, required=True, help="The revision you read (see `draft show`).")
@click.option("--comment", required=True, help="Your opinion (审稿意见); required.")
@click.option(
    "--check",
    "checks",
    multiple=True,
    metavar="KEY",
    help=f"A check you attest, repeatable: {', '.join(f'{k} ({v[0]})' for k, v in CHECK_LABELS.items())}.",
)
@acting
def decide_command(
    app: App,
    draft_id: int,
    *,
    actor: Actor,
    step: str,
    decision: str,
    revision: int,
    comment: str,
    checks: tuple[str, ...],
) -> None:
    """Approve, return (退改) or reject (退稿) the active step of a draft."""
    with app.database().write() as session:
        signoff = decide(
            session,
            actor=actor,
            draft_id=draft_id,
            step=step,
            decision=decision,
            revision=revision,
            comment=comment,
            checklist=dict.fromkeys(checks, True),
        )
    click.echo(
        f"{signoff.step_label_zh} {signoff.decision} signed by {signoff.full_name} ({signoff.username}) on revision "
        f"{signoff.revision}, sha256 {signoff.content_hash[:12]}…"
    )


@cli.command("publish")
@click.argument("draft_id", type=int)
@click.option("--channel", help="Publish to this channel instead of the draft's own.")
@acting
def publish_command(app: App, draft_id: int, *, actor: Actor, channel: str | None) -> None:
    """Release a fully signed-off draft (needs the publisher role)."""
    with app.database().write() as session:
        publication = publish(session, actor=actor, draft_id=draft_id, channel=channel)
    click.echo(
        f"draft {draft_id} published to {publication.channel}: revision {publication.revision}, "
        f"sha256 {publication.content_hash}"
    )


@cli.command("retract")
@click.argument("draft_id", type=int)
@click.option("--reason", required=True, help="Why it is withdrawn (required, kept in the trail).")
@acting
def retract_command(app: App, draft_id: int, *, actor: Actor, reason: str) -> None:
    """Withdraw a published draft (撤稿); the text and its trail are kept."""
    with app.database().write() as session:
        retract(session, actor=actor, draft_id=draft_id, reason=reason)
    click.echo(f"draft {draft_id} retracted")


@cli.command("queue")
@click.option("--json", "as_json", is_flag=True)
@acting
def queue_command(app: App, *, actor: Actor, as_json: bool) -> None:
    """What I may act on now, oldest waiting first."""
    with app.database().read() as session:
        items = queue_for(session, actor)
    if as_json:
        _echo_json([item.model_dump(mode="json") for item in items])
        return
    if items:
        click.echo(f"{'draft':>6}  {'step':<8} {'rev':<4} {'waiting since (UTC)':<27}  title")
    for item in items:
        click.echo(
            f"{item.draft_id:>6}  {item.step_label:<8} r{item.revision:<3} {iso_utc(item.waiting_since):<27}"
            f"  {item.title}"
        )
    click.echo(f"({len(items)} waiting)")


def _event_detail(kind: str, payload: dict[str, Any]) -> str:
    """One line saying what an event recorded."""
    if kind == "revised":
        where = f"correction in {payload['step']}" if payload.get("step") else "edited by the author"
        size = f"+{payload['lines_added']} −{payload['lines_removed']} lines"
        errors = ", ".join(f"{k} {n}" for k, n in (payload.get("errors") or {}).items())
        return f"{where}: {size}, sha256 {payload['content_hash'][:12]}…" + (f", errors {errors}" if errors else "")
    if kind == "submitted":
        return f"cycle {payload['cycle']}: {' → '.join(payload['steps'])}"
    if kind == "published":
        return f"to {payload['channel']}, sha256 {payload['content_hash'][:12]}…"
    if kind == "prechecked":
        return f"{payload['blocking']} blocking, {payload['warnings']} warnings, rules {payload['fingerprint'][:12]}…"
    if kind == "precheck_overridden":
        found = ", ".join(f"「{o['text']}」 {o['rule']}" for o in payload["overrides"])
        return f"{found}: {payload['reason']}"
    return str(payload.get("meaning") or payload.get("reason") or payload.get("title") or "")


@cli.command("trail")
@click.argument("draft_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@acting
def trail_command(app: App, draft_id: int, *, actor: Actor, as_json: bool) -> None:
    """A draft's events, oldest first."""
    with app.database().read() as session:
        events = draft_trail(session, actor, draft_id)
    if as_json:
        _echo_json([event.model_dump(mode="json") for event in events])
        return
    for event in events:
        payload = event.payload
        detail = _event_detail(event.kind, payload)
        revision = f" r{payload['revision']}" if "revision" in payload else ""
        click.echo(f"#{event.seq:<6} {iso_utc(event.at)}  {event.kind:<10} {event.actor or '-':<12}{revision} {detail}")

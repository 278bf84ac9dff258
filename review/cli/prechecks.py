"""`sanshen precheck FILE`: the pre-publication checks on any text, before it is submitted (CONTRACT §3)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Literal

import click

from review.actors import Actor
from review.cli.base import App, acting, cli, fail
from review.prechecks.current import rules_in_force
from review.prechecks.imports import ListKind, import_word_list
from review.prechecks.records import override_findings, precheck_view
from review.views import readable_draft


def read_text(file: Path) -> str:
    """The file's text exactly as it is (no newline translation: offsets count its characters)."""
    try:
        return file.read_bytes().decode("utf-8")
    except OSError as error:
        fail(f"cannot read {file}: {error.strerror}")
    except UnicodeDecodeError as error:
        fail(f"{file} is not UTF-8 text (byte {error.start} is not valid UTF-8)")


@cli.command("precheck")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of findings instead of lines.")
@click.option(
    "--no-database",
    is_flag=True,
    help="Run only the shipped rulesets, without the word lists imported into the database.",
)
@click.pass_obj
def precheck(app: App, file: Path, as_json: bool, no_database: bool) -> None:
    """Run the pre-checks (保密关, 文字关 …) on a UTF-8 text file.

    Offsets count characters of the file exactly as it is (a BOM or a CR counts). Exit 0 when nothing
    blocks, 1 when a `block` finding exists.
    """
    text = read_text(file)
    if no_database:
        rules = rules_in_force()
    else:
        with app.database().read() as session:
            rules = rules_in_force(session)
    findings = rules.scan(text)
    if as_json:
        keys = ("rule", "severity", "start", "end", "text", "suggestion", "category", "source")
        click.echo(json.dumps([{k: f.as_json()[k] for k in keys} for f in findings], ensure_ascii=False, indent=2))
    else:
        for finding in findings:
            line = text.count("\n", 0, finding.start) + 1
            column = finding.start - (text.rfind("\n", 0, finding.start) + 1) + 1
            suggestion = f" → {finding.suggestion}" if finding.suggestion else ""
            click.echo(
                f"{file}:{line}:{column}: {finding.severity:<5} {finding.rule} [{finding.start},{finding.end}) "
                f"「{finding.text}」{suggestion}"
            )
        blocks = sum(1 for f in findings if f.severity == "block")
        click.echo(
            f"{file}: {len(findings)} finding(s), {blocks} blocking; rulesets "
            + ", ".join(f"{v['ruleset']} v{v['version']}" for v in rules.versions),
            err=True,
        )
    if any(f.severity == "block" for f in findings):
        raise SystemExit(1)


@cli.command("findings")
@click.argument("draft_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@acting
def findings_command(app: App, draft_id: int, *, actor: Actor, as_json: bool) -> None:
    """The pre-check findings on a draft's current text, with the overrides given for it."""
    with app.database().read() as session:
        view = precheck_view(session, readable_draft(session, actor, draft_id))
    if as_json:
        click.echo(json.dumps(dataclasses.asdict(view), ensure_ascii=False, indent=2, default=str))
        return
    for f in view.findings:
        given = f["override"]
        overridden = f"  overridden by {given['user']}: {given['reason']}" if given else ""
        click.echo(
            f"{f['severity']:<5} {f['part']} {f['line']}:{f['column']} 「{f['text']}」 {f['rule']} "
            f"→ {f['suggestion']}  [{f['key']}]{overridden}"
        )
    click.echo(
        f"draft {draft_id} revision {view.revision}: {view.blocking} blocking ({view.open_blocking} not overridden), "
        f"{view.warnings} warnings",
        err=True,
    )


@cli.command("override")
@click.argument("draft_id", type=int)
@click.option("--revision", type=int, required=True, help="The revision whose findings you override.")
@click.option("--finding", "keys", multiple=True, required=True, help="A blocking finding's key (see `findings`).")
@click.option("--reason", required=True, help="Why the finding may stand (required, kept in the trail).")
@acting
def override_command(
    app: App, draft_id: int, *, actor: Actor, revision: int, keys: tuple[str, ...], reason: str
) -> None:
    """Let blocking pre-check findings stand, with a reason: a reviewer at 复审 or above (R24)."""
    with app.database().write() as session:
        outcome = override_findings(
            session, actor=actor, draft_id=draft_id, revision=revision, keys=keys, reason=reason
        )
    click.echo(f"draft {draft_id}: {len(outcome.overrides)} finding(s) overridden on revision {revision}")


@cli.group("ruleset")
def ruleset() -> None:
    """Pre-check rulesets: import an office's own word list, list what is in force."""


@ruleset.command("import")
@click.argument("name")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--kind",
    type=click.Choice(["terms", "names"]),
    default="terms",
    show_default=True,
    help="terms: words to flag; names: leaders' names, whose same-sounding misspellings are flagged.",
)
@click.option("--severity", type=click.Choice(["block", "warn"]), help="Default: block for names, warn for terms.")
@click.option("--category", default="词表", show_default=True)
@click.option("--source", default="", help="Where the list comes from, shown with each finding.")
@click.option("--as", "username", help="An administrator; without it, the server's own terminal acts.")
@click.pass_obj
def ruleset_import(
    app: App,
    name: str,
    file: Path,
    kind: ListKind,
    severity: Literal["block", "warn"] | None,
    category: str,
    source: str,
    username: str | None,
) -> None:
    """Import FILE (UTF-8, one term per line; # comments) as the next version of ruleset NAME."""
    text = read_text(file)
    actor = app.authenticate(username, None) if username else None
    with app.database().write() as session:
        row = import_word_list(
            session, actor=actor, name=name, text=text, kind=kind, severity=severity, category=category, source=source
        )
    click.echo(f"ruleset {row.name} v{row.version}: {row.terms} {kind} imported; in force from the next check")


@ruleset.command("list")
@click.pass_obj
def ruleset_list(app: App) -> None:
    """The rulesets in force, shipped and imported, with their versions."""
    with app.database().read() as session:
        rules = rules_in_force(session)
    for spec in rules.rulesets:
        count = sum(len(rule.terms) + len(rule.names) for rule in spec.rules)
        click.echo(
            f"{spec.ruleset:<16} v{spec.version:<3} {len(spec.rules):>3} rule(s) {count:>7} term(s)  {spec.label.zh}"
        )
    click.echo(f"fingerprint {rules.fingerprint}")

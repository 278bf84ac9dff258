"""`sanshen precheck FILE`: the pre-publication checks on any text, before it is submitted (CONTRACT §3)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from review.cli.base import cli, fail
from review.prechecks.current import rules_in_force


@cli.command("precheck")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of findings instead of lines.")
def precheck(file: Path, as_json: bool) -> None:
    """Run the pre-checks (保密关, 文字关 …) on a UTF-8 text file.

    Offsets count characters of the file exactly as it is (a BOM or a CR counts). Exit 0 when nothing
    blocks, 1 when a `block` finding exists.
    """
    try:
        text = file.read_bytes().decode("utf-8")
    except OSError as error:
        fail(f"cannot read {file}: {error.strerror}")
    except UnicodeDecodeError as error:
        fail(f"{file} is not UTF-8 text (byte {error.start} is not valid UTF-8)")
    rules = rules_in_force()
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

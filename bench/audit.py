"""Audit benchmark: verify speed and export memory on a trail of a million events.

    .venv/bin/python -m bench.audit [--events 1000000] [--workdir DIR]

Builds a SQLite database whose trail is real in every respect the verifier checks — drafts, revisions,
runs, sign-offs and a hash-chained event for each — quickly, by bulk inserts rather than the engine's
commands. Then it times, as whole processes, in one run:

- `sanshen audit verify` on the database (chain, head, and every row against its event);
- `sanshen audit export -o FILE` (JSON Lines, signed), and its peak memory;
- `sanshen audit verify FILE` (the export: signature and chain);
- the baseline, measured in the same run: `docs/verify-export.py FILE`, the standard-library checker
  of the same chain, which does the least verification can do.

Writes bench/results/audit.json and audit.md.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import command_env
from review.config import PROJECT_DIR
from review.content import content_hash
from review.decisions import signoff_record
from review.keys import ensure_signing_key, load_signing_key
from review.models import Signoff
from review.trail import canonical_json, event_hash, event_record, head_bytes

STEPS = [
    ("proof1", "proofread", "一校", "First proofread", "proofreader", {}),
    ("review1", "review", "初审", "First review", "reviewer1", {"language": True, "factual": True}),
    ("proof2", "proofread", "二校", "Second proofread", "proofreader", {}),
    ("review2", "review", "复审", "Second review", "reviewer2", {"factual": True, "policy": True, "secrecy": True}),
    ("proof3", "proofread", "三校", "Third proofread", "proofreader", {}),
    ("review3", "review", "终审", "Final review", "reviewer3", {"political": True, "legal": True, "secrecy": True}),
]
EVENTS_PER_DRAFT = 2 + len(STEPS)
BODY = "各区县人民政府，市政府各部门：为切实做好年末岁初安全生产工作，请于12月15日前完成自查自纠。" * 8
RESULTS = PROJECT_DIR / "bench" / "results"


def sanshen(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("sanshen")), *args]


LAUNCHER = """
import json, os, sys, time
started = time.perf_counter()
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ)
_, status, usage = os.wait4(pid, 0)
print(json.dumps({"seconds": time.perf_counter() - started, "exit": os.waitstatus_to_exitcode(status),
                  "peak_rss_kb": usage.ru_maxrss, "cpu_seconds": usage.ru_utime + usage.ru_stime}))
"""


def timed(command: list[str], env: dict[str, str]) -> dict[str, float]:
    """Run a command to completion; its wall time and its peak resident memory, from the kernel.

    A child's peak includes the memory of the process it was forked from, so the command is started by a
    small launcher (`python3 -S`, a few MB), not by this process.
    """
    launched = subprocess.run(
        [sys.executable, "-S", "-c", LAUNCHER, *command], env=env, capture_output=True, text=True, check=True
    )
    figures = json.loads(launched.stdout.splitlines()[-1])
    if figures["exit"] != 0:
        raise SystemExit(f"{' '.join(command)} failed (exit {figures['exit']})")
    return {
        "seconds": round(figures["seconds"], 2),
        "peak_rss_mb": round(figures["peak_rss_kb"] / 1024, 1),
        "cpu_seconds": round(figures["cpu_seconds"], 2),
    }


def build(database: Path, events: int, env: dict[str, str]) -> None:
    """A migrated database with `events` events (the shipped workflow's registration among them)."""
    subprocess.run(sanshen("init"), env=env, check=True, capture_output=True)
    connection = sqlite3.connect(database)
    connection.execute("PRAGMA synchronous=OFF")
    head = connection.execute("SELECT seq, hash FROM chain_head").fetchone()
    seq, previous = head
    users = _users(connection)
    drafts = (events - seq) // EVENTS_PER_DRAFT
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for batch in _batches(drafts, 2000):
        rows: dict[str, list[tuple[Any, ...]]] = {t: [] for t in ("drafts", "revisions", "runs", "signoffs", "events")}
        for draft_id in batch:
            at = start + timedelta(seconds=draft_id * 60)
            title = f"关于开展安全生产大检查的通知（第{draft_id}号）"
            digest = content_hash(title, BODY)
            rows["drafts"].append(
                (
                    draft_id,
                    users["author"],
                    "website",
                    "normal",
                    "[]",
                    1,
                    "approved",
                    1,
                    1,
                    title,
                    BODY,
                    digest,
                    _ts(at),
                    _ts(at),
                    _ts(at),
                )
            )
            rows["revisions"].append((draft_id, draft_id, 1, title, BODY, digest, users["author"], 0, None, _ts(at)))
            rows["runs"].append((draft_id, draft_id, 1, 1, 1, "approved", _ts(at), _ts(at)))
            payloads: list[tuple[str, str, int | None, dict[str, Any], datetime]] = [
                (
                    "created",
                    "author",
                    draft_id,
                    {
                        "title": title,
                        "channel": "website",
                        "tags": [],
                        "importance": "normal",
                        "workflow": "三审三校",
                        "workflow_version": 1,
                        "revision": 1,
                        "content_hash": digest,
                    },
                    at,
                ),
                (
                    "submitted",
                    "author",
                    draft_id,
                    {
                        "cycle": 1,
                        "revision": 1,
                        "content_hash": digest,
                        "steps": [s[0] for s in STEPS],
                        "active_step": "proof1",
                    },
                    at,
                ),
            ]
            for index, (step, kind, zh, en, role, checks) in enumerate(STEPS):
                signed_at = at + timedelta(seconds=index + 1)
                signoff_id = (draft_id - 1) * len(STEPS) + index + 1
                signoff = Signoff(
                    id=signoff_id,
                    draft_id=draft_id,
                    run_id=draft_id,
                    step_id=step,
                    step_kind=kind,
                    step_label_zh=zh,
                    step_label_en=en,
                    slot=1,
                    quorum=1,
                    distinct_group="review1+review2+review3" if kind == "review" else "proof1+proof2+proof3",
                    user_id=users[step],
                    username=step,
                    full_name=f"{zh}人",
                    role=role,
                    qualifications=[],
                    decision="approve",
                    comment="同意。",
                    checklist=checks,
                    revision=1,
                    content_hash=digest,
                    at=signed_at,
                )
                rows["signoffs"].append(
                    (
                        signoff_id,
                        draft_id,
                        draft_id,
                        step,
                        kind,
                        zh,
                        en,
                        1,
                        1,
                        signoff.distinct_group,
                        users[step],
                        step,
                        f"{zh}人",
                        role,
                        "[]",
                        "approve",
                        "同意。",
                        json.dumps(checks),
                        1,
                        digest,
                        _ts(signed_at),
                    )
                )
                payloads.append(
                    (
                        "decided",
                        step,
                        draft_id,
                        {
                            **signoff_record(signoff),
                            "cycle": 1,
                            "state": STEPS[index + 1][0] if index < 5 else "approved",
                        },
                        signed_at,
                    )
                )
            for kind, actor, draft, payload, moment in payloads:
                seq += 1
                record = event_record(seq=seq, at=moment, actor=actor, kind=kind, draft_id=draft, payload=payload)
                digest_event = event_hash(previous, record)
                rows["events"].append(
                    (
                        seq,
                        _ts(moment),
                        users[actor],
                        actor,
                        kind,
                        draft,
                        canonical_json(payload),
                        previous,
                        digest_event,
                    )
                )
                previous = digest_event
        _insert(connection, rows)
    signature = load_signing_key(Path(env["SANSHEN_HOME"])).sign(head_bytes(seq, previous))
    connection.execute(
        "UPDATE chain_head SET seq = ?, hash = ?, signature = ?",
        (seq, previous, base64.b64encode(signature).decode()),
    )
    connection.commit()
    connection.close()


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _batches(count: int, size: int) -> Iterator[range]:
    for first in range(1, count + 1, size):
        yield range(first, min(first + size, count + 1))


def _users(connection: sqlite3.Connection) -> dict[str, int]:
    ids = {}
    for name in ["author", *[s[0] for s in STEPS]]:
        cursor = connection.execute(
            "INSERT INTO users (username, full_name, password_hash, active, created_at) VALUES (?, ?, 'x', 1, ?)",
            (name, name, _ts(datetime(2026, 1, 1, tzinfo=UTC))),
        )
        ids[name] = cursor.lastrowid or 0
    return ids


def _insert(connection: sqlite3.Connection, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    statements = {
        "drafts": "INSERT INTO drafts (id, author_id, channel, importance, tags, workflow_version_id, state, cycle, "
        "revision, title, body, content_hash, created_at, updated_at, state_since) VALUES "
        "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        "revisions": "INSERT INTO revisions (id, draft_id, number, title, body, content_hash, author_id, cycle, "
        "step_id, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
        "runs": "INSERT INTO workflow_runs (id, draft_id, cycle, workflow_version_id, started_revision, outcome, "
        "started_at, ended_at) VALUES (?,?,?,?,?,?,?,?)",
        "signoffs": "INSERT INTO signoffs (id, draft_id, run_id, step_id, step_kind, step_label_zh, step_label_en, "
        "slot, quorum, distinct_group, user_id, username, full_name, role, qualifications, decision, comment, "
        "checklist, revision, content_hash, at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        "events": "INSERT INTO events (seq, at, actor_id, actor, kind, draft_id, payload, prev_hash, hash) VALUES "
        "(?,?,?,?,?,?,?,?,?)",
    }
    for table, statement in statements.items():
        connection.executemany(statement, rows[table])
    connection.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/sanshen-bench-audit"))
    arguments = parser.parse_args()
    workdir: Path = arguments.workdir
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    database = workdir / "trail.db"
    env = command_env(f"sqlite:///{database}", workdir)
    ensure_signing_key(workdir / "home")
    started = time.perf_counter()
    build(database, arguments.events, env)
    built = time.perf_counter() - started
    export = workdir / "trail.jsonl"
    figures = {
        "verify_database": timed(sanshen("audit", "verify"), env),
        "export_jsonl": timed(sanshen("audit", "export", "-o", str(export)), env),
        "verify_export": timed(sanshen("audit", "verify", str(export)), env),
        "baseline_stdlib_verify_export": timed(
            [sys.executable, str(PROJECT_DIR / "docs" / "verify-export.py"), str(export)], env
        ),
    }
    with export.open("rb") as exported:
        count = sum(1 for _ in exported) - 1  # the last line is the manifest
    for figure in figures.values():
        figure["events_per_second"] = round(count / figure["seconds"])
    baseline = figures["baseline_stdlib_verify_export"]["seconds"]
    ratios = {name: round(f["seconds"] / baseline, 2) for name, f in figures.items()}
    result: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} · {os.cpu_count()} cores · Python {platform.python_version()} · SQLite "
        f"{sqlite3.sqlite_version}",
        "events": count,
        "export_bytes": export.stat().st_size,
        "build_seconds": round(built, 1),
        "figures": figures,
        "ratios_to_baseline": ratios,
        "goals": {"export_peak_rss_mb": 200},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "audit.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    lines = [
        f"# Audit benchmark — {count:,} events ({export.stat().st_size / 1e6:.0f} MB as JSON Lines)",
        "",
        f"{result['machine']}, {result['when']}. Built in {built:.0f} s by bulk inserts.",
        "",
        "| command | seconds | events/s | peak RSS MB | time ÷ baseline |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, figure in figures.items():
        lines.append(
            f"| {name} | {figure['seconds']} | {figure['events_per_second']:,} | {figure['peak_rss_mb']} | "
            f"{ratios[name]} |"
        )
    lines += [
        "",
        "Baseline: `docs/verify-export.py` on the export (standard library: hash and link every line).",
        "Goal (issue 5): the export of a million events streams with peak RSS under 200 MB.",
    ]
    (RESULTS / "audit.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

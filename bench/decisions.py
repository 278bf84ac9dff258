"""Decisions per second: the engine's `decide` against the raw-sqlite3 floor, and the same over HTTP.

The floor is the least any implementation must write per decision, done with the standard library on
a copy of the same database, in the same run: `BEGIN; UPDATE` the draft's state; `INSERT` the sign-off;
`INSERT` the event; `COMMIT` — at sqlite3's defaults (synchronous FULL, the engine's setting too) and
in the database's WAL journal. The engine does everything a decision needs besides: the actor's
current roles, the rules (R3, R4, R16, quorum, stale revision, strand check), the pre-check gate, the
step states, and a hash-chained, signed trail event.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench.common import Connection, command_env, percentiles, server
from bench.seed import STEPS, Staff, approve, checklists, engine_drafts, make_staff, prepare
from review import clock
from review.db import Database


def measure_engine(workdir: Path, drafts: int) -> dict[str, Any]:
    path = workdir / "engine.db"
    url = f"sqlite:///{path}"
    database = prepare(url, workdir / "home")
    staff = make_staff(database)
    ids = engine_drafts(database, staff, drafts)
    checks = checklists(database, ids[0])
    database.dispose()
    _checkpoint(path)
    shutil.copyfile(path, workdir / "floor.db")
    floor = raw_floor(workdir / "floor.db", staff, ids)

    database = Database(url)
    statements: list[str] = []

    @event.listens_for(database.engine, "before_cursor_execute")
    def _count(_c: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    latencies = []
    per_decision = []
    started = time.perf_counter()
    for step in STEPS:
        for draft_id in ids:
            statements.clear()
            begun = time.perf_counter()
            approve(database, staff, draft_id, step, checks)
            latencies.append(time.perf_counter() - begun)
            per_decision.append(sum(1 for s in statements if not s.startswith("BEGIN")))
    elapsed = time.perf_counter() - started
    database.dispose()
    engine = {
        "decisions": len(latencies),
        "seconds": round(elapsed, 2),
        "decisions_per_second": round(len(latencies) / elapsed, 1),
        "statements_per_decision": round(sum(per_decision) / len(per_decision), 1),
        "statements_max": max(per_decision),
        **percentiles(latencies),
    }
    return {
        "floor": floor,
        "engine": engine,
        "ratio_to_floor": round(engine["decisions_per_second"] / floor["decisions_per_second"], 3),
    }


def raw_floor(path: Path, staff: Staff, ids: list[int]) -> dict[str, Any]:
    connection = sqlite3.connect(path, isolation_level=None)
    seq = connection.execute("SELECT seq FROM chain_head").fetchone()[0]
    run_of = dict(connection.execute("SELECT draft_id, id FROM workflow_runs"))
    latencies = []
    started = time.perf_counter()
    for step in STEPS:
        for draft_id in ids:
            begun = time.perf_counter()
            now = clock.now().strftime("%Y-%m-%d %H:%M:%S.%f")
            signer = staff.signer(step, draft_id).actor
            seq += 1
            connection.execute("BEGIN")
            connection.execute(
                "UPDATE drafts SET state = ?, updated_at = ?, state_since = ? WHERE id = ?", (step, now, now, draft_id)
            )
            connection.execute(
                "INSERT INTO signoffs (draft_id, run_id, step_id, step_kind, step_label_zh, step_label_en, slot, "
                "quorum, distinct_group, user_id, username, full_name, role, qualifications, decision, comment, "
                "checklist, revision, content_hash, at) VALUES (?, ?, ?, 'review', '审', 'Review', 1, 1, NULL, ?, ?, "
                "?, 'reviewer1', '[]', 'approve', '同意。', '{}', 1, ?, ?)",
                (draft_id, run_of[draft_id], step, signer.id, signer.username, signer.full_name, "0" * 64, now),
            )
            connection.execute(
                "INSERT INTO events (seq, at, actor_id, actor, kind, draft_id, payload, prev_hash, hash) "
                "VALUES (?, ?, ?, ?, 'decided', ?, '{}', ?, ?)",
                (
                    seq,
                    now,
                    signer.id,
                    signer.username,
                    draft_id,
                    "0" * 64,
                    hashlib.sha256(str(seq).encode()).hexdigest(),
                ),
            )
            connection.execute("COMMIT")
            latencies.append(time.perf_counter() - begun)
    elapsed = time.perf_counter() - started
    synchronous = connection.execute("PRAGMA synchronous").fetchone()[0]
    journal = connection.execute("PRAGMA journal_mode").fetchone()[0]
    connection.close()
    return {
        "decisions": len(latencies),
        "seconds": round(elapsed, 2),
        "decisions_per_second": round(len(latencies) / elapsed, 1),
        "statements_per_decision": 3,
        "synchronous": {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[synchronous],
        "journal_mode": journal,
        **percentiles(latencies),
    }


def _checkpoint(path: Path) -> None:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


def measure_http(workdir: Path, drafts: int, workers: tuple[int, ...], clients: int) -> dict[str, Any]:
    """Decisions through `sanshen serve` (token auth, loopback), with 1 and several worker processes."""
    path = workdir / "http.db"
    url = f"sqlite:///{path}"
    database = prepare(url, workdir / "home")
    staff = make_staff(database)
    batches = [engine_drafts(database, staff, drafts) for _ in workers]
    checks = checklists(database, batches[0][0])
    database.dispose()
    env = command_env(url, workdir)
    figures = {}
    for count, ids in zip(workers, batches, strict=True):
        with server(env, workers=count) as port:
            figures[f"{count}_worker{'s' if count > 1 else ''}"] = asyncio.run(
                decide_over_http(port, staff, ids, checks, clients)
            )
    return figures


@dataclass
class Tally:
    """What the clients saw: each request's latency, each status's count, each (draft, step) answered 201."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    created: list[tuple[int, str]] = field(default_factory=list)

    def figures(self, elapsed: float) -> dict[str, Any]:
        return {
            "decisions": len(self.latencies),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "seconds": round(elapsed, 2),
            "decisions_per_second": round(self.statuses.get(201, 0) / elapsed, 1),
            **percentiles(self.latencies),
        }


async def walk(
    connection: Connection, staff: Staff, share: list[int], checks: dict[str, dict[str, bool]], tally: Tally
) -> None:
    """Walk each draft of `share` through the six steps over HTTP, each step approved by its signer."""
    for draft_id in share:
        for step in STEPS:
            body = {"step": step, "decision": "approve", "revision": 1, "comment": "同意。", "checklist": checks[step]}
            token = staff.signer(step, draft_id).token
            begun = time.perf_counter()
            status, _ = await connection.request(
                "POST", f"/api/v1/drafts/{draft_id}/decisions", headers={"Authorization": f"Bearer {token}"}, body=body
            )
            tally.latencies.append(time.perf_counter() - begun)
            tally.statuses[status] = tally.statuses.get(status, 0) + 1
            if status == 201:
                tally.created.append((draft_id, step))
    await connection.close()


async def decide_over_http(
    port: int, staff: Staff, ids: list[int], checks: dict[str, dict[str, bool]], clients: int
) -> dict[str, Any]:
    """`clients` connections, each walking its share of the drafts through all six steps."""
    tally = Tally()
    cpu = time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(walk(Connection(port), staff, ids[i::clients], checks, tally) for i in range(clients)))
    elapsed = time.perf_counter() - started
    return {
        "clients": clients,
        **tally.figures(elapsed),
        "load_generator_cpu_share": round((time.process_time() - cpu) / elapsed / 2, 3),
    }

"""PostgreSQL scale-out: 1, 2 and 4 `sanshen serve` processes sharing one database, 32 clients.

Each process listens on a port of its own (as servers behind a load balancer would); the clients
spread over them round robin, each walking its share of the drafts through the six steps. Then the
database is checked for anomalies: a step signed twice, a step skipped, a draft not approved, a 201
without its sign-off or a sign-off without its 201, and `sanshen audit verify` on the whole trail.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.common import Connection, command_env, sanshen_command, server
from bench.decisions import Tally, walk
from bench.seed import STEPS, Staff, checklists, engine_drafts, make_staff, prepare

ADMIN_URL = os.environ.get("SANSHEN_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
DATABASE = "sanshen_bench_scaleout"


def _admin(*statements: str) -> None:
    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()


def measure(workdir: Path, *, processes: tuple[int, ...], drafts: int, clients: int) -> dict[str, Any]:
    _admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)", f"CREATE DATABASE {DATABASE}")
    url = make_url(ADMIN_URL).set(database=DATABASE).render_as_string(hide_password=False)
    database = prepare(url, workdir / "home")
    staff = make_staff(database)
    batches = [engine_drafts(database, staff, drafts) for _ in processes]
    checks = checklists(database, batches[0][0])
    with database.read() as session:
        version = session.execute(text("SHOW server_version")).scalar_one()
    database.dispose()
    env = command_env(url, workdir)
    runs = {}
    for count, ids in zip(processes, batches, strict=True):
        with ExitStack() as stack:
            ports = [stack.enter_context(server(env)) for _ in range(count)]
            runs[count] = asyncio.run(_load(ports, staff, ids, checks, clients))
        runs[count]["anomalies"] = _anomalies(url, ids, runs[count].pop("created"))
    verified = subprocess.run(sanshen_command("audit", "verify"), env=env, capture_output=True, text=True)
    base = runs[processes[0]]["decisions_per_second"]
    result = {
        "postgresql": version,
        "clients": clients,
        "drafts_per_run": drafts,
        "runs": {
            f"{count}_process{'es' if count > 1 else ''}": {
                **figures,
                "ratio_to_1_process": round(figures["decisions_per_second"] / base, 2),
            }
            for count, figures in runs.items()
        },
        "audit_verify": "ok" if verified.returncode == 0 else verified.stdout[-500:] + verified.stderr[-500:],
    }
    _admin(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    return result


async def _load(
    ports: list[int], staff: Staff, ids: list[int], checks: dict[str, dict[str, bool]], clients: int
) -> dict[str, Any]:
    tally = Tally()
    started = time.perf_counter()
    await asyncio.gather(
        *(walk(Connection(ports[i % len(ports)]), staff, ids[i::clients], checks, tally) for i in range(clients))
    )
    return {**tally.figures(time.perf_counter() - started), "created": tally.created}


def _anomalies(url: str, ids: list[int], created: list[tuple[int, str]]) -> dict[str, int]:
    """What must never happen, counted from the database."""
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT draft_id, step_id, id FROM signoffs WHERE draft_id = ANY(:ids) ORDER BY id"),
            {"ids": ids},
        ).all()
        states: dict[int, str] = {
            draft_id: state
            for draft_id, state in connection.execute(
                text("SELECT id, state FROM drafts WHERE id = ANY(:ids)"), {"ids": ids}
            )
        }
    engine.dispose()
    seen: dict[int, list[str]] = {}
    for draft_id, step, _ in rows:
        seen.setdefault(draft_id, []).append(step)
    expected = list(STEPS)
    answered = sorted(created)
    stored = sorted((draft_id, step) for draft_id, step, _ in rows)
    return {
        "double_signoffs": sum((len(steps) - len(set(steps)) for steps in seen.values()), 0),
        "skipped_or_out_of_order": sum(1 for draft_id in ids if seen.get(draft_id, []) != expected),
        "not_approved": sum(1 for draft_id in ids if states.get(draft_id) != "approved"),
        "answered_201_without_signoff": len(set(answered) - set(stored)),
        "signoff_without_201": len(set(stored) - set(answered)),
    }

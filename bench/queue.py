"""The queue (待办) and a decision as the database grows: 1 000, 10 000 and 100 000 drafts.

Each size is a database of its own, built in bulk (bench.seed.bulk_drafts): drafts spread evenly over
the six steps of the default workflow, signed up to their step by 50 signers. Then, against a real
`sanshen serve`:

- `GET /api/v1/queue?limit=50` (a screenful) with each signer's token, round robin;
- the queue page `GET /queue` with each signer's browser session;

and, in process, the engine's `decide` on drafts spread over the whole database.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from bench.common import Connection, percentiles, server
from bench.seed import STEPS, Staff, bulk_drafts, checklists, make_staff, prepare
from review.db import Database
from review.decisions import decide
from review.models import Draft
from review.sessions import open_session

SESSION_COOKIE = "sanshen_session"


def measure_size(workdir: Path, size: int, *, requests: int, decisions: int) -> dict[str, Any]:
    path = workdir / f"queue-{size}.db"
    url = f"sqlite:///{path}"
    started = time.perf_counter()
    database = prepare(url, workdir / "home")
    staff = make_staff(database)
    bulk_drafts(path, database, staff, size - len(STEPS))
    built = time.perf_counter() - started
    signers = [p for people in staff.signers.values() for p in people]
    cookies = []
    with database.write() as session:
        for person in signers:
            secret, _ = open_session(session, actor=person.actor, hours=8)
            cookies.append(secret)
    env = {**os.environ, "SANSHEN_DATABASE_URL": url, "SANSHEN_HOME": str(workdir / "home")}
    with server(env) as port:
        api, page, sizes = asyncio.run(_queue_requests(port, staff, cookies, requests))
    decision = _decisions(database, staff, decisions)
    database.dispose()
    return {
        "drafts": size,
        "build_seconds": round(built, 1),
        "queue_api": {**percentiles(api), "requests": len(api), "mean_items": round(sum(sizes) / len(sizes), 1)},
        "queue_page": {**percentiles(page), "requests": len(page)},
        "decision": decision,
    }


async def _queue_requests(
    port: int, staff: Staff, cookies: list[str], requests: int
) -> tuple[list[float], list[float], list[int]]:
    signers = [p for people in staff.signers.values() for p in people]
    connection = Connection(port)
    api: list[float] = []
    page: list[float] = []
    sizes: list[int] = []
    for warm in range(len(signers)):
        await connection.request(
            "GET", "/api/v1/queue?limit=50", headers={"Authorization": f"Bearer {signers[warm].token}"}
        )
    for index in range(requests):
        person = signers[index % len(signers)]
        begun = time.perf_counter()
        status, body = await connection.request(
            "GET", "/api/v1/queue?limit=50", headers={"Authorization": f"Bearer {person.token}"}
        )
        api.append(time.perf_counter() - begun)
        if status != 200:
            raise SystemExit(f"GET /api/v1/queue answered {status}: {body[:200]!r}")
        sizes.append(body.count(b'"draft_id"'))
        begun = time.perf_counter()
        status, body = await connection.request(
            "GET", "/queue", headers={"Cookie": f"{SESSION_COOKIE}={cookies[index % len(cookies)]}"}
        )
        page.append(time.perf_counter() - begun)
        if status != 200:
            raise SystemExit(f"GET /queue answered {status}: {body[:200]!r}")
    await connection.close()
    return api, page, sizes


def _decisions(database: Database, staff: Staff, count: int) -> dict[str, Any]:
    """Decide the active step of `count` drafts spread over the whole database."""
    with database.read() as session:
        rows = session.exec(
            select(Draft.id, Draft.state).where(col(Draft.state).in_(STEPS)).order_by(col(Draft.id))
        ).all()
    picked = [rows[i * len(rows) // count] for i in range(count)]
    assert picked[0][0] is not None
    checks = checklists(database, picked[0][0])
    latencies = []
    for draft_id, state in picked:
        assert draft_id is not None
        begun = time.perf_counter()
        with database.write() as session:
            decide(
                session,
                actor=staff.signer(state, draft_id).actor,
                draft_id=draft_id,
                step=state,
                decision="approve",
                revision=1,
                comment="同意。",
                checklist=checks[state],
            )
        latencies.append(time.perf_counter() - begun)
    return {**percentiles(latencies), "decisions": len(latencies)}

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
import time
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from bench.common import Connection, command_env, percentiles, server
from bench.seed import STEPS, Staff, approve, bulk_drafts, checklists, make_staff, prepare
from review.db import Database
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
    env = command_env(url, workdir)
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
        api_answer = await _timed_get(
            connection, "/api/v1/queue?limit=50", api, Authorization=f"Bearer {signers[index % len(signers)].token}"
        )
        sizes.append(api_answer.count(b'"draft_id"'))
        await _timed_get(connection, "/queue", page, Cookie=f"{SESSION_COOKIE}={cookies[index % len(cookies)]}")
    await connection.close()
    return api, page, sizes


async def _timed_get(connection: Connection, path: str, into: list[float], **headers: str) -> bytes:
    begun = time.perf_counter()
    status, body = await connection.request("GET", path, headers=headers)
    into.append(time.perf_counter() - begun)
    if status != 200:
        raise SystemExit(f"GET {path} answered {status}: {body[:200]!r}")
    return body


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
        approve(database, staff, draft_id, state, checks)
        latencies.append(time.perf_counter() - begun)
    return {**percentiles(latencies), "decisions": len(latencies)}

"""The real thing: `sanshen serve` as a separate process, driven over HTTP on loopback.

A draft goes through all six steps and is published; then several eligible signers race one step,
many times: exactly one 201 each time, the rest 409. On PostgreSQL the race also runs against two
server processes sharing the database, which must behave exactly as one.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2
import pytest

from review.db import Database
from tests.conftest import home_with_key
from tests.factories import make_user, newsroom
from tests.web.conftest import bearer

SANSHEN = str(Path(sys.executable).with_name("sanshen"))
STEPS = [
    ("proof1", []),
    ("review1", ["language", "factual"]),
    ("proof2", []),
    ("review2", ["factual", "policy", "secrecy"]),
    ("proof3", []),
    ("review3", ["political", "legal", "secrecy"]),
]
RACERS = 6
ROUNDS = 10


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """One `sanshen serve` process; stopped when the test ends."""

    def __init__(self, db_url: str, home: Path, *, workers: int = 1) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "SANSHEN_DATABASE_URL": db_url,
            "SANSHEN_HOME": str(home),
            "SANSHEN_PASSWORD_PROFILE": "cheapest",
        }
        self.log = home / f"serve-{self.port}.log"
        self.process = subprocess.Popen(
            [SANSHEN, "serve", "--port", str(self.port), "--workers", str(workers)],
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"sanshen serve exited: {self.log.read_text()}")
            try:
                if httpx2.get(f"{self.url}/api/v1/openapi.json", timeout=1).status_code == 200:
                    return
            except httpx2.TransportError:
                time.sleep(0.2)
        raise AssertionError(f"sanshen serve did not come up: {self.log.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def start_server(db_url: str, tmp_path: Path) -> Iterator[Any]:
    home = tmp_path / "home"
    home_with_key(home)
    servers: list[Server] = []

    def start(workers: int = 1) -> Server:
        servers.append(Server(db_url, home, workers=workers))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def decision(step: str, checks: list[str], revision: int = 1) -> dict[str, Any]:
    return {
        "step": step,
        "decision": "approve",
        "revision": revision,
        "comment": "同意。",
        "checklist": dict.fromkeys(checks, True),
    }


def test_a_draft_through_all_six_steps_and_published_over_http(db: Database, start_server: Any) -> None:
    room = newsroom(db)
    server = start_server()
    with httpx2.Client(base_url=f"{server.url}/api/v1", timeout=30) as http:
        login = http.post("/auth/token", json={"username": "alice", "password": "correct-horse-battery"})
        assert login.status_code == 200
        author = {"Authorization": f"Bearer {login.json()['token']}"}
        created = http.post(
            "/drafts",
            headers=author,
            json={
                "title": "关于开展安全生产检查的通知",
                "body": "各单位：请于本月底前完成自查。",
                "channel": "website",
            },
        )
        assert created.status_code == 201
        draft_id = created.json()["id"]
        assert http.post(f"/drafts/{draft_id}/submit", headers=author).json()["state"] == "proof1"
        for step, checks in STEPS:
            signer = bearer(db, getattr(room, step).username)
            early = http.post(f"/drafts/{draft_id}/publish", headers=bearer(db, room.publisher.username))
            assert early.status_code == 409
            signed = http.post(f"/drafts/{draft_id}/decisions", headers=signer, json=decision(step, checks))
            assert signed.status_code == 201, signed.text
        published = http.post(f"/drafts/{draft_id}/publish", headers=bearer(db, room.publisher.username))
        assert published.status_code == 201
        draft = http.get(f"/drafts/{draft_id}", headers=author).json()
        assert draft["state"] == "published"
        assert published.json()["content_hash"] == draft["steps"][-1]["signoffs"][0]["content_hash"]
        assert [s["signoffs"][0]["user"] for s in draft["steps"]] == ["pat", "rui", "peng", "ren", "ping", "rong"]


def race_one_step(db: Database, urls: list[str]) -> list[list[int]]:
    """ROUNDS drafts; on each, RACERS proofreaders approve 一校 at once, spread over the servers."""
    room = newsroom(db)
    racers = [bearer(db, make_user(db, f"racer{n}", "proofreader").username) for n in range(RACERS)]
    author = bearer(db, room.author.username)
    outcomes = []
    with httpx2.Client(timeout=60) as http:
        for _ in range(ROUNDS):
            base = urls[0]
            draft_id = http.post(
                f"{base}/api/v1/drafts",
                headers=author,
                json={"title": "抢签测试", "body": "正文。", "channel": "website"},
            ).json()["id"]
            http.post(f"{base}/api/v1/drafts/{draft_id}/submit", headers=author)
            barrier = threading.Barrier(RACERS)

            def approve(n: int, d: int = draft_id, start: threading.Barrier = barrier) -> int:
                start.wait()
                response = http.post(
                    f"{urls[n % len(urls)]}/api/v1/drafts/{d}/decisions", headers=racers[n], json=decision("proof1", [])
                )
                return response.status_code

            with ThreadPoolExecutor(RACERS) as pool:
                outcomes.append(sorted(pool.map(approve, range(RACERS))))
            shown = http.get(f"{base}/api/v1/drafts/{draft_id}", headers=author).json()
            assert shown["state"] == "review1"
            assert len(shown["steps"][0]["signoffs"]) == 1
    return outcomes


def test_eligible_signers_racing_one_step_over_http_get_one_201_and_the_rest_409(
    db: Database, start_server: Any
) -> None:
    server = start_server()
    outcomes = race_one_step(db, [server.url])
    assert outcomes == [[201] + [409] * (RACERS - 1)] * ROUNDS


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_two_servers_sharing_postgresql_behave_as_one(db: Database, start_server: Any) -> None:
    servers = [start_server(workers=2), start_server()]
    outcomes = race_one_step(db, [s.url for s in servers])
    assert outcomes == [[201] + [409] * (RACERS - 1)] * ROUNDS
    with httpx2.Client(timeout=30) as http:
        auditor = bearer(db, make_user(db, "audit2", "auditor").username)
        verified = http.get(f"{servers[1].url}/api/v1/audit/verify", headers=auditor).json()
    assert verified["ok"] is True

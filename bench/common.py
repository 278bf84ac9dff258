"""What the benchmarks share: the machine's description, percentiles, results files, a `sanshen serve`
process, and a lean HTTP/1.1 client for load (keep-alive, one connection per simulated client)."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from review.config import PROJECT_DIR

RESULTS = PROJECT_DIR / "bench" / "results"


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{platform.node()} · {os.cpu_count()} cores · {memory:.0f} GiB · Linux {platform.release()} · "
        f"Python {platform.python_version()} · SQLite {sqlite3.sqlite_version}"
    )


def percentiles(seconds: Sequence[float]) -> dict[str, float]:
    """p50, p95 and p99 in milliseconds."""
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return {
        "p50_ms": round(cuts[49] * 1000, 2),
        "p95_ms": round(cuts[94] * 1000, 2),
        "p99_ms": round(cuts[98] * 1000, 2),
    }


def write_json(name: str, result: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def command_env(url: str, workdir: Path) -> dict[str, str]:
    """The environment a `sanshen` command or server of a benchmark runs with."""
    return {**os.environ, "SANSHEN_DATABASE_URL": url, "SANSHEN_HOME": str(workdir / "home")}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def sanshen_command(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("sanshen")), *args]


@contextmanager
def server(env: dict[str, str], *, workers: int = 1, port: int | None = None) -> Iterator[int]:
    """`sanshen serve` on a free loopback port, ready when this yields the port; stopped after."""
    port = port or free_port()
    process = subprocess.Popen(
        sanshen_command("serve", "--port", str(port), "--workers", str(workers)),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not _answers(port):
            if process.poll() is not None:
                raise SystemExit(f"sanshen serve exited: {process.stderr.read().decode() if process.stderr else ''}")
            if time.monotonic() > deadline:
                raise SystemExit("sanshen serve did not answer within 60 s")
            time.sleep(0.1)
        # Every worker must be up before timing starts, not only the first to bind.
        time.sleep(0.5 * workers)
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
            connection.sendall(b"GET /api/v1/openapi.json HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
            return connection.recv(12).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


class Connection:
    """One keep-alive HTTP/1.1 connection. Reads responses by Content-Length, as Sanshen sends them."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, body: Any = None
    ) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        payload = b"" if body is None else json.dumps(body).encode()
        lines = [f"{method} {path} HTTP/1.1", "Host: bench", f"Content-Length: {len(payload)}"]
        if body is not None:
            lines.append("Content-Type: application/json")
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()
            self.writer = None

"""The engine's one source of the current time (UTC). Call it as `clock.now()` so tests can move it."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)

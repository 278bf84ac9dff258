"""Log-in throttling (21 CFR 11.300(d)): after too many failed log-ins for one account, or from one
address, within a window, further attempts are refused — without checking the password — until the
oldest of those failures leaves the window.

Failures are rows in `login_failures`, so every server process sharing the database sees them. A
refused attempt is not itself counted (an attacker could otherwise keep an account locked for ever by
trying once a minute); a successful log-in forgets its account's failures. Attempts that race each
other may each pass the check before the others are recorded: the limits hold within the handful of
requests that can be in flight at once.
"""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from review import clock
from review.actors import Actor
from review.db import Database
from review.errors import Forbidden, SanshenError
from review.models import LoginFailure
from review.users import log_in

WINDOW = timedelta(minutes=15)
PER_ACCOUNT = 5
"""Failed log-ins one account may have within the window."""
PER_ADDRESS = 20
"""Failed log-ins one address may make within the window, whatever names it tries."""


class Throttled(SanshenError):
    """Too many failed log-ins: try again after `retry_after` seconds."""

    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _key(username: str) -> str:
    """The name as the failures record it: no NUL (the database refuses one), at most 64 characters."""
    return username.replace("\x00", "").strip()[:64]


def check_throttle(session: Session, *, username: str, address: str) -> int:
    """Refuse the attempt if the account or the address has used up its failures in the window; else
    the account's failures in the window."""
    now = clock.now()
    since = now - WINDOW
    counts = []
    for column, value, limit, what in (
        (LoginFailure.username, _key(username), PER_ACCOUNT, "for this account"),
        (LoginFailure.address, address[:64], PER_ADDRESS, "from this address"),
    ):
        count, oldest = session.exec(
            select(func.count(), func.min(LoginFailure.at)).where(col(column) == value, col(LoginFailure.at) > since)
        ).one()
        if count >= limit and oldest is not None:
            wait = max(1, math.ceil((oldest + WINDOW - now).total_seconds()))
            raise Throttled(
                f"too many failed log-ins {what} ({count} in {WINDOW.seconds // 60} minutes); "
                f"try again in {math.ceil(wait / 60)} minute(s)",
                retry_after=wait,
            )
        counts.append(count)
    return counts[0]


def throttled_log_in(database: Database, *, username: str, password: str, address: str) -> Actor:
    """`users.log_in`, refused while throttled; a failure is recorded, a success forgets the account's."""
    with database.read() as session:
        failures = check_throttle(session, username=username, address=address)
    try:
        with database.read() as session:
            actor = log_in(session, username=username, password=password)
    except Forbidden:
        with database.write() as session:
            session.add(LoginFailure(username=_key(username), address=address[:64], at=clock.now()))
        raise
    if failures:
        with database.write() as session:
            session.exec(delete(LoginFailure).where(col(LoginFailure.username) == _key(username)))
    return actor

"""Log-in throttling: per account and per address, over a window, every server process alike."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import func, select

from review import clock
from review.db import Database
from review.errors import Forbidden
from review.models import LoginFailure
from review.throttle import PER_ACCOUNT, PER_ADDRESS, WINDOW, Throttled, throttled_log_in
from tests.factories import PASSWORD, make_user


def attempt(db: Database, username: str, password: str, address: str = "10.0.0.1") -> str:
    try:
        throttled_log_in(db, username=username, password=password, address=address)
    except Throttled as throttled:
        waits = 0 < throttled.retry_after <= WINDOW.total_seconds()
        return "throttled" if waits else f"throttled, but Retry-After is {throttled.retry_after}"
    except Forbidden as refused:
        return refused.code
    return "ok"


def failures(db: Database) -> int:
    with db.read() as session:
        return int(session.exec(select(func.count()).select_from(LoginFailure)).one())


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> list[timedelta]:
    """The clock, moved by appending to the list."""
    start = clock.now()
    moved = [timedelta(0)]
    monkeypatch.setattr(clock, "now", lambda: start + moved[-1])
    return moved


def test_an_account_is_throttled_after_its_failures_until_the_oldest_leaves_the_window(
    db: Database, frozen: list[timedelta]
) -> None:
    make_user(db, "alice", "author")
    for minute in range(PER_ACCOUNT):
        frozen.append(timedelta(minutes=minute))
        assert attempt(db, "alice", "wrong-password-x") == "wrong_password"
    assert attempt(db, "alice", PASSWORD) == "throttled"  # even the right password is not checked
    assert attempt(db, "alice", "wrong-password-x", address="10.9.9.9") == "throttled"  # from anywhere
    assert failures(db) == PER_ACCOUNT  # refused attempts are not counted
    frozen.append(WINDOW + timedelta(seconds=1))  # the first failure has left the window
    assert attempt(db, "alice", PASSWORD) == "ok"
    assert failures(db) == 0  # a success forgets the account's failures
    assert attempt(db, "alice", "wrong-password-x") == "wrong_password"
    assert attempt(db, "alice", PASSWORD) == "ok"


def test_an_address_is_throttled_after_its_failures_whatever_names_it_tries(db: Database) -> None:
    make_user(db, "bob", "author")
    for number in range(PER_ADDRESS):
        assert attempt(db, f"nobody{number}", "wrong-password-x") == "wrong_password"
    assert attempt(db, "bob", PASSWORD) == "throttled"
    assert attempt(db, "bob", PASSWORD, address="10.0.0.2") == "ok"


def test_a_name_no_user_has_is_throttled_like_any_other(db: Database) -> None:
    for number in range(PER_ACCOUNT):
        assert attempt(db, "ghost", f"guess-number-{number}") == "wrong_password"
    assert attempt(db, "ghost", "guess-number-x") == "throttled"
    assert failures(db) == PER_ACCOUNT

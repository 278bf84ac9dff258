"""Answers kept for the rest of a transaction's reading phase.

A command asks the same questions several times (the rules, 核红, 差错率, the strand check, the pre-check
gate and the sign-off's record of it), so each answer is kept in the session until something is
written: the first flush or write statement forgets them all. Commands read before they write, so
they read each row once.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession

_MEMO = "sanshen_read_memo"
T = TypeVar("T")


@event.listens_for(OrmSession, "after_flush")
def _forget_after_flush(session: OrmSession, _context: Any) -> None:
    session.info.pop(_MEMO, None)


@event.listens_for(OrmSession, "do_orm_execute")
def _forget_after_write(state: ORMExecuteState) -> None:
    if not state.is_select:
        state.session.info.pop(_MEMO, None)


def remember(session: OrmSession, key: tuple[Hashable, ...], load: Callable[[], T]) -> T:
    """`load()`'s answer, loaded once until the session next writes."""
    memo: dict[tuple[Hashable, ...], Any] = session.info.setdefault(_MEMO, {})
    if key not in memo:
        memo[key] = load()
    return memo[key]  # type: ignore[no-any-return]


def prime(session: OrmSession, key: tuple[Hashable, ...], value: Any) -> None:
    """Keep an answer read along with something else, so that asking for it reads nothing."""
    session.info.setdefault(_MEMO, {})[key] = value

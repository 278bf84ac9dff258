"""Engines, transactions and the draft lock.

Every command runs in one write transaction that starts by locking the draft it changes (STYLE habit
3). The lock has two mechanisms behind one helper:

- SQLite: a write transaction opens with `BEGIN IMMEDIATE`, which takes the database's write lock at
  once, so a read-modify-write cannot interleave with another writer (pysqlite's default would not
  even BEGIN before the first write, and a deferred BEGIN fails instead of waiting);
- PostgreSQL: `SELECT … FOR UPDATE` on the draft row (`with_for_update()` is silently dropped on
  SQLite, which is why the IMMEDIATE transaction is needed there).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, and_, event
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, create_engine, select

from review.errors import Invalid, NotFound
from review.memo import prime
from review.models import Draft, WorkflowRun
from review.runs import run_key

WRITE_OPTION = "sanshen_write"
MAX_ID = 2**31 - 1
"""Ids are 32-bit on PostgreSQL; a larger number names nothing (and must not reach the database)."""


def _refuse_nul(_conn: Connection, _cursor: Any, _statement: str, parameters: Any, _context: Any, _many: bool) -> None:
    """No text with a NUL character reaches the database. PostgreSQL cannot store or even compare it
    (it fails the statement); SQLite could, and must behave the same. Commands check their text
    first; this keeps any lookup a check missed (a channel key, a username) from becoming a 500.

    The parameters come in several shapes (a dict, a tuple, a list of either for executemany, a flat
    list for a batched insert), so every level is walked."""
    if _holds_nul(parameters):
        raise Invalid("text may not contain the NUL character (U+0000)", code="invalid_text")


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return any(_holds_nul(item) for item in value)
    return False


def make_engine(url: str, *, busy_timeout_ms: int = 10_000) -> Engine:
    """The one engine factory: the app, the CLI, Alembic and the tests all build engines here."""
    engine = _make_engine(url, busy_timeout_ms)
    event.listen(engine, "before_cursor_execute", _refuse_nul)
    return engine


def _make_engine(url: str, busy_timeout_ms: int) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": busy_timeout_ms / 1000})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy's begin hook, not pysqlite, decide when and how a transaction starts.
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            for pragma in (
                "journal_mode=WAL",
                f"busy_timeout={busy_timeout_ms}",
                "foreign_keys=ON",
                # A REPLACE's implicit delete then fires the append-only tables' DELETE triggers.
                "recursive_triggers=ON",
                # FULL: a committed sign-off survives a power cut, not only a process crash.
                "synchronous=FULL",
            ):
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            write = conn.get_execution_options().get(WRITE_OPTION, False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        connect_args={"options": f"-c lock_timeout={busy_timeout_ms}"},
    )


POSTGRES_WRITERS = 2
"""Write transactions one process runs at once on PostgreSQL (more wait their turn in the process)."""


class WriterSlots:
    """How many of this process's threads may be inside a write transaction at once; a thread already
    inside may open another (re-entrant).

    SQLite has one writer at a time: the threads of a process queue here, in turn, rather than in
    SQLite's busy handler, which polls with growing sleeps (up to 100 ms each) — eight clients deciding
    at once through one server had a p95 of 440 ms that way (bench/). On PostgreSQL, a transaction
    holds the trail's chain-head lock from its event to its commit; with dozens of request threads
    sharing one interpreter lock, the holder waited for the others and every writer queued behind it.
    """

    def __init__(self, slots: int) -> None:
        self._slots = threading.BoundedSemaphore(slots)
        self._depth = threading.local()

    def __enter__(self) -> None:
        depth = getattr(self._depth, "value", 0)
        if depth == 0:
            self._slots.acquire()
        self._depth.value = depth + 1

    def __exit__(self, *_: object) -> None:
        self._depth.value -= 1
        if self._depth.value == 0:
            self._slots.release()


class Database:
    """Opens the two kinds of transaction the engine uses. Holds no state but the engine."""

    def __init__(self, url: str, *, busy_timeout_ms: int = 10_000) -> None:
        self.url = url
        self.engine = make_engine(url, busy_timeout_ms=busy_timeout_ms)
        self._write_engine = self.engine.execution_options(**{WRITE_OPTION: True})
        self._writers = WriterSlots(1 if self.dialect == "sqlite" else POSTGRES_WRITERS)
        # A read sees one snapshot throughout (SQLite's read transactions already do): an export's
        # manifest and a verification's chain head then match the events read with them.
        self._read_engine = (
            self.engine.execution_options(isolation_level="REPEATABLE READ")
            if self.engine.dialect.name == "postgresql"
            else self.engine
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        with self._writers, Session(self._write_engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A transaction for reading, on one snapshot. Loaded rows stay usable after it ends."""
        with Session(self._read_engine, expire_on_commit=False) as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def lock_draft(session: Session, draft_id: int) -> Draft:
    """Lock the draft for the rest of the transaction and return it fresh from the database.

    On SQLite its current run comes in the same statement, so the command's first question about its
    cycle reads nothing more: the write transaction already holds the database, so both rows are as
    they are now. Not on PostgreSQL, where a statement that waited for the draft's lock re-reads the
    draft's row but returns joined rows from the snapshot it started with."""
    if not 1 <= draft_id <= MAX_ID:
        raise NotFound(f"draft {draft_id} does not exist", code="draft_not_found")
    if session.get_bind().dialect.name == "postgresql":
        statement = (
            select(Draft).where(col(Draft.id) == draft_id).with_for_update().execution_options(populate_existing=True)
        )
        draft = session.exec(statement).first()
        if draft is None:
            raise NotFound(f"draft {draft_id} does not exist", code="draft_not_found")
        return draft
    found = session.exec(
        select(Draft, WorkflowRun)
        .outerjoin(
            WorkflowRun, and_(col(WorkflowRun.draft_id) == col(Draft.id), col(WorkflowRun.cycle) == col(Draft.cycle))
        )
        .where(col(Draft.id) == draft_id)
        .execution_options(populate_existing=True)
    ).first()
    if found is None:
        raise NotFound(f"draft {draft_id} does not exist", code="draft_not_found")
    draft, run = found
    if run is not None:
        prime(session, run_key(draft.id, draft.cycle), run)
    return draft

"""Fixtures: every database test runs on SQLite and on PostgreSQL, each test on a database of its own.

A template database is migrated once per backend (with the shipped workflow registered); each test
gets a copy — a file copy on SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL (about 50 ms).
Without a reachable PostgreSQL its half is skipped, unless CI=true, where that is an error.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("SANSHEN_PASSWORD_PROFILE", "cheapest")
# One signing key for the whole run: every process that appends an event signs the chain's head with it.
os.environ["SANSHEN_HOME"] = tempfile.mkdtemp(prefix="sanshen-test-home-")

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from review.config import PROJECT_DIR, get_settings
from review.db import Database
from review.dossier import find_cjk_font
from review.errors import Invalid
from review.keys import KEY_FILE, ensure_signing_key
from review.migrations import upgrade
from review.workflows.registry import load_definitions, register_workflows

SESSION_HOME = Path(os.environ["SANSHEN_HOME"])
ensure_signing_key(SESSION_HOME)
atexit.register(shutil.rmtree, SESSION_HOME, ignore_errors=True)


def home_with_key(home: Path) -> Path:
    """A SANSHEN_HOME of a test's own (its checkpoints stay apart) holding the run's signing key."""
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    shutil.copyfile(SESSION_HOME / KEY_FILE, home / KEY_FILE)
    (home / KEY_FILE).chmod(0o600)
    return home


PG_ADMIN_URL = os.environ.get("SANSHEN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BACKENDS = ["sqlite", "postgresql"]


def _postgres_problem() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
    except Exception as error:
        return f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {str(error).splitlines()[0]}"
    return None


_PG_PROBLEM = _postgres_problem()
if _PG_PROBLEM and os.environ.get("CI") == "true":
    raise pytest.UsageError(f"{_PG_PROBLEM}; CI=true requires PostgreSQL")


def admin_execute(*statements: str) -> None:
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()


def pg_url(database: str) -> str:
    return make_url(PG_ADMIN_URL).set(database=database).render_as_string(hide_password=False)


def _prepare(url: str) -> None:
    upgrade(url)
    database = Database(url)
    with database.write() as session:
        register_workflows(session, load_definitions(PROJECT_DIR / "workflows"))
    database.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    _prepare(f"sqlite:///{path}")
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    if _PG_PROBLEM:
        pytest.skip(_PG_PROBLEM)
    name = f"sanshen_tmpl_{os.getpid()}"
    admin_execute(f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}")
    _prepare(pg_url(name))
    yield name
    admin_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def new_database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated database for one test; dropped when the test ends."""
    if backend == "sqlite":
        path = tmp_path / "sanshen.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    template = request.getfixturevalue("pg_template")
    name = f"sanshen_t_{uuid.uuid4().hex[:12]}"
    admin_execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    request.addfinalizer(lambda: admin_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    return pg_url(name)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return new_database_url(request.param, request, tmp_path)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url, busy_timeout_ms=20_000)
    yield database
    database.dispose()


@pytest.fixture
def sanshen_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The environment a `sanshen` command would see, pointing at this test's database."""
    env = {
        "SANSHEN_DATABASE_URL": db_url,
        "SANSHEN_HOME": str(home_with_key(tmp_path / "home")),
        "SANSHEN_PASSWORD_PROFILE": "cheapest",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield env
    get_settings.cache_clear()


@pytest.fixture
def cjk_font() -> Path:
    """The CJK font PDFs embed; without one the test is skipped (under CI=true it fails)."""
    try:
        return find_cjk_font().path
    except Invalid as missing:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(str(missing))

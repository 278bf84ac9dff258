"""Fixtures for the HTTP API: the app on this test's database, and a newsroom holding tokens."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from review.config import Settings
from review.db import Database
from review.users import create_token
from tests.conftest import home_with_key
from tests.factories import Newsroom, newsroom
from web.app import create_app


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=db_url,
        home=home_with_key(tmp_path / "home"),
        password_profile="cheapest",
        max_body_bytes=1024 * 1024,
    )


@pytest.fixture
def client(settings: Settings, db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(settings, database=db), raise_server_exceptions=False) as test_client:
        yield test_client


@dataclass
class Staff:
    """The newsroom, and an Authorization header for each of its people."""

    room: Newsroom
    headers: dict[str, dict[str, str]]

    def __getitem__(self, who: str) -> dict[str, str]:
        return self.headers[who]


def bearer(db: Database, username: str) -> dict[str, str]:
    with db.write() as session:
        return {"Authorization": f"Bearer {create_token(session, username=username, actor=None)}"}


@pytest.fixture
def staff(db: Database) -> Staff:
    room = newsroom(db)
    names = [
        "author",
        "proof1",
        "proof2",
        "proof3",
        "review1",
        "review2",
        "review3",
        "committee1",
        "committee2",
        "publisher",
        "auditor",
    ]
    return Staff(room, {name: bearer(db, getattr(room, name).username) for name in names})

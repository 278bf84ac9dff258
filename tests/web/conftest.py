"""Fixtures for the HTTP API and the pages: the app on this test's database, a newsroom holding tokens,
and browsers holding a person's session."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from review.config import Settings
from review.db import Database
from review.users import create_token
from tests.conftest import home_with_key
from tests.factories import PASSWORD, Newsroom, make_user, newsroom
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


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A TestClient holding one person's session cookie, as their browser would."""

    def __init__(self, client: TestClient, username: str | None = None) -> None:
        self.client = TestClient(client.app, raise_server_exceptions=False)
        self.csrf = ""
        if username:
            self.log_in(username)

    def log_in(self, username: str, password: str = PASSWORD) -> None:
        response = self.login_post(username, password)
        assert response.status_code == 303, response.text
        self.csrf = self.token_of(self.client.get("/").text)

    def login_post(self, username: str, password: str, next_url: str = "/") -> Response:
        form = self.client.get("/login")
        token = self.token_of(form.text)
        return self.client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": token, "next": next_url},
            follow_redirects=False,
        )

    @staticmethod
    def token_of(html: str) -> str:
        found = CSRF.search(html)
        assert found, "no CSRF token on the page"
        return found.group(1)

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True) -> Response:
        fields = {**(data or {}), **({"csrf_token": self.csrf} if csrf else {})}
        return self.client.post(path, data=fields, follow_redirects=False)


@pytest.fixture
def room(db: Database) -> Newsroom:
    room = newsroom(db)
    make_user(db, "boss", "admin")
    return room


@pytest.fixture
def browser(client: TestClient, room: Newsroom) -> Callable[[str], Browser]:
    return lambda username: Browser(client, username)


def text_of(response: Response) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", response.text))

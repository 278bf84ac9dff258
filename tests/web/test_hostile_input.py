"""Hostile input to the API gets a 4xx JSON error, never a 5xx, and changes nothing stored."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from review.db import Database
from tests.factories import snapshot
from tests.web.conftest import Staff

JSON = {"content-type": "application/json"}


def hostile_requests(draft_id: int) -> dict[str, dict[str, Any]]:
    """Name → request (method, path, body, extra headers, who sends it)."""
    decision = f"/api/v1/drafts/{draft_id}/decisions"
    return {
        "malformed JSON": {"method": "POST", "path": "/api/v1/drafts", "content": b'{"title": "t", "body":'},
        "JSON that is not an object": {"method": "POST", "path": "/api/v1/drafts", "content": b'["t", "b"]'},
        "deeply nested arrays": {"method": "POST", "path": "/api/v1/drafts", "content": b"[" * 100_000},
        "deeply nested objects": {
            "method": "POST",
            "path": decision,
            "content": b'{"checklist":' + b'{"a":' * 50_000 + b"1" + b"}" * 50_001,
        },
        "invalid UTF-8": {
            "method": "POST",
            "path": "/api/v1/drafts",
            "content": b'{"title": "\xff\xfe", "body": "b", "channel": "website"}',
        },
        "NUL byte in the title": {
            "method": "POST",
            "path": "/api/v1/drafts",
            "json": {"title": "标\u0000题", "body": "b", "channel": "website"},
        },
        "NUL byte in the channel": {
            "method": "POST",
            "path": "/api/v1/drafts",
            "json": {"title": "t", "body": "b", "channel": "\u0000"},
        },
        "NUL byte in a username at log-in": {
            "method": "POST",
            "path": "/api/v1/auth/token",
            "json": {"username": "\u0000", "password": "correct-horse-battery"},
        },
        "NUL byte in the opinion": {
            "method": "POST",
            "path": decision,
            "who": "proof1",
            "json": {"step": "proof1", "decision": "approve", "revision": 1, "comment": "同意\u0000"},
        },
        "lone surrogate": {
            "method": "POST",
            "path": "/api/v1/drafts",
            "content": b'{"title": "\\ud800", "body": "b", "channel": "website"}',
        },
        "wrong types": {
            "method": "POST",
            "path": "/api/v1/drafts",
            "json": {"title": 42, "body": ["b"], "channel": None, "tags": "x"},
        },
        "revision as a string": {
            "method": "POST",
            "path": decision,
            "who": "proof1",
            "json": {"step": "proof1", "decision": "approve", "revision": "1", "comment": "ok"},
        },
        "revision as true": {
            "method": "POST",
            "path": decision,
            "who": "proof1",
            "json": {"step": "proof1", "decision": "approve", "revision": True, "comment": "ok"},
        },
        "huge revision": {
            "method": "POST",
            "path": decision,
            "who": "proof1",
            "json": {"step": "proof1", "decision": "approve", "revision": 10**30, "comment": "ok"},
        },
        "checklist of strings": {
            "method": "POST",
            "path": decision,
            "who": "proof1",
            "json": {
                "step": "proof1",
                "decision": "approve",
                "revision": 1,
                "comment": "ok",
                "checklist": {"language": "yes"},
            },
        },
        "a title of a megabyte": {
            "method": "POST",
            "path": "/api/v1/drafts",
            "json": {"title": "标" * 300_000, "body": "b", "channel": "website"},
        },
        "a comment of half a megabyte": {
            "method": "POST",
            "path": decision,
            "who": "proof1",
            "json": {"step": "proof1", "decision": "approve", "revision": 1, "comment": "意" * 200_000},
        },
        "a body of three megabytes": {
            "method": "POST",
            "path": "/api/v1/drafts",
            "json": {"title": "t", "body": "x" * 3_000_000, "channel": "website"},
        },
        "an unknown draft": {"method": "GET", "path": "/api/v1/drafts/987654"},
        "a negative id": {"method": "GET", "path": "/api/v1/drafts/-1"},
        "an id beyond 64 bits": {"method": "GET", "path": "/api/v1/drafts/99999999999999999999999"},
        "SQL in the path": {"method": "GET", "path": "/api/v1/drafts/1%20OR%201=1"},
        "SQL in a path of a write": {"method": "POST", "path": "/api/v1/drafts/1;DROP TABLE drafts/submit"},
        "SQL in a query parameter": {"method": "GET", "path": "/api/v1/drafts?state=x'%20OR%20'1'='1"},
        "SQL in a field": {
            "method": "POST",
            "path": decision,
            "who": "proof1",
            "json": {"step": "proof1' OR '1'='1", "decision": "approve", "revision": 1, "comment": "x"},
        },
        "a bogus token": {"method": "GET", "path": "/api/v1/queue", "headers": {"Authorization": "Bearer ssn_x"}},
        "a token of a megabyte": {
            "method": "GET",
            "path": "/api/v1/queue",
            "headers": {"Authorization": "Bearer " + "a" * 60_000},
        },
        "path traversal in an export filter": {
            "method": "GET",
            "path": "/api/v1/audit/export?draft=../../etc/passwd",
            "who": "auditor",
        },
        "a naive time in an export filter": {
            "method": "GET",
            "path": "/api/v1/audit/export?since=2026-01-01T00:00",
            "who": "auditor",
        },
        "an unknown format": {"method": "GET", "path": "/api/v1/audit/export?format=xml", "who": "auditor"},
        "a queue limit of a million": {"method": "GET", "path": "/api/v1/queue?limit=1000000"},
        "unknown fields": {"method": "PUT", "path": f"/api/v1/drafts/{draft_id}", "json": {"state": "approved"}},
        "a tag list of a thousand": {
            "method": "POST",
            "path": "/api/v1/drafts",
            "json": {"title": "t", "body": "b", "channel": "website", "tags": [f"t{n}" for n in range(1000)]},
        },
    }


@pytest.fixture
def victim(client: TestClient, staff: Staff) -> int:
    """A submitted draft at 一校, the target of the hostile requests."""
    created = client.post(
        "/api/v1/drafts", json={"title": "原标题", "body": "原正文。", "channel": "website"}, headers=staff["author"]
    )
    draft_id: int = created.json()["id"]
    assert client.post(f"/api/v1/drafts/{draft_id}/submit", headers=staff["author"]).status_code == 200
    return draft_id


def test_hostile_requests_get_a_4xx_json_answer_and_change_nothing(
    client: TestClient, staff: Staff, db: Database, victim: int
) -> None:
    requests = hostile_requests(victim)
    before = snapshot(db)
    for name, spec in requests.items():
        headers = {**staff[spec.get("who", "author")], **spec.get("headers", {})}
        if "content" in spec:
            headers |= JSON
        response = client.request(
            spec["method"], spec["path"], headers=headers, content=spec.get("content"), json=spec.get("json")
        )
        assert 400 <= response.status_code < 500, (name, response.status_code, response.text[:300])
        assert "detail" in json.loads(response.text), name
    assert snapshot(db) == before

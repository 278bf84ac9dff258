"""The HTTP API (CONTRACT §4): every endpoint's success and each documented error status."""

from __future__ import annotations

import base64
import csv
import io
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from fastapi.testclient import TestClient
from sqlmodel import select

from review.config import Settings
from review.db import Database, lock_draft
from review.models import Event
from review.users import deactivate_user
from tests.factories import PASSWORD, make_user
from tests.web.conftest import Staff, bearer
from web.app import create_app

CHECKS = {
    "review1": ["language", "factual"],
    "review2": ["factual", "policy", "secrecy"],
    "review3": ["political", "legal", "secrecy"],
}
ORDER = ["proof1", "review1", "proof2", "review2", "proof3", "review3"]


def new_draft(client: TestClient, staff: Staff, **fields: Any) -> dict[str, Any]:
    body = {
        "title": "关于开展安全生产检查的通知",
        "body": "各单位：请于本月底前完成自查。",
        "channel": "website",
    } | fields
    response = client.post("/api/v1/drafts", json=body, headers=staff["author"])
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def decide(client: TestClient, staff: Staff, draft_id: int, step: str, who: str | None = None, **fields: Any) -> Any:
    body = {
        "step": step,
        "decision": "approve",
        "revision": 1,
        "comment": "同意。",
        "checklist": dict.fromkeys(CHECKS.get(step, []), True),
    } | fields
    return client.post(f"/api/v1/drafts/{draft_id}/decisions", json=body, headers=staff[who or step])


def submitted(client: TestClient, staff: Staff, **fields: Any) -> int:
    draft_id: int = new_draft(client, staff, **fields)["id"]
    assert client.post(f"/api/v1/drafts/{draft_id}/submit", headers=staff["author"]).status_code == 200
    return draft_id


def approved(client: TestClient, staff: Staff) -> int:
    draft_id = submitted(client, staff)
    for step in ORDER:
        assert decide(client, staff, draft_id, step).status_code == 201
    return draft_id


def test_log_in_for_a_token_and_log_out_again(client: TestClient, staff: Staff, db: Database) -> None:
    response = client.post("/api/v1/auth/token", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["token"]
    assert response.json()["expires_at"].endswith("Z")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).json()["username"] == "alice"
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    wrong = client.post("/api/v1/auth/token", json={"username": "alice", "password": "not-the-password"})
    assert wrong.status_code == 401
    assert wrong.json()["detail"] == "wrong username or password, or the user is deactivated"
    assert client.post("/api/v1/auth/token", json={"username": "alice"}).status_code == 422
    with db.write() as session:
        deactivate_user(session, username="alice", actor=None)
    assert client.post("/api/v1/auth/token", json={"username": "alice", "password": PASSWORD}).status_code == 401
    assert client.get("/api/v1/me", headers=staff["author"]).status_code == 401


def test_every_endpoint_needs_a_valid_token(client: TestClient) -> None:
    for method, path in [
        ("get", "/api/v1/drafts/1"),
        ("post", "/api/v1/drafts"),
        ("get", "/api/v1/queue"),
        ("put", "/api/v1/drafts/1"),
        ("post", "/api/v1/drafts/1/submit"),
        ("post", "/api/v1/drafts/1/decisions"),
        ("post", "/api/v1/drafts/1/publish"),
        ("post", "/api/v1/drafts/1/retract"),
        ("get", "/api/v1/drafts/1/trail"),
        ("get", "/api/v1/audit/verify"),
        ("get", "/api/v1/audit/export"),
        ("get", "/api/v1/drafts"),
    ]:
        for headers in ({}, {"Authorization": "Bearer ssn_bogus"}, {"Authorization": "Basic YWxpY2U6eA=="}):
            response = client.request(method, path, headers=headers)
            assert response.status_code == 401, (method, path, headers)
            assert response.headers["www-authenticate"] == "Bearer"
            assert "detail" in response.json()


def test_create_show_edit_and_submit_a_draft(client: TestClient, staff: Staff) -> None:
    created = new_draft(client, staff, tags=["Specialist"])
    assert (created["state"], created["revision"], created["author"], created["tags"]) == (
        "draft",
        1,
        "alice",
        ["specialist"],
    )
    assert [s["id"] for s in created["steps"]][-2:] == ["committee", "review3"]
    draft_id = created["id"]
    shown = client.get(f"/api/v1/drafts/{draft_id}", headers=staff["auditor"]).json()
    assert shown["content_hash"] == created["content_hash"]
    edited = client.put(
        f"/api/v1/drafts/{draft_id}", json={"body": "各单位：请于25日前完成自查。", "tags": []}, headers=staff["author"]
    )
    assert edited.status_code == 200
    assert (edited.json()["revision"], edited.json()["tags"]) == (2, [])
    submitted_draft = client.post(f"/api/v1/drafts/{draft_id}/submit", headers=staff["author"])
    assert submitted_draft.status_code == 200
    assert submitted_draft.json()["state"] == "proof1"
    assert [s["status"] for s in submitted_draft.json()["steps"]] == ["active"] + ["pending"] * 5


def test_draft_errors(client: TestClient, staff: Staff) -> None:
    draft_id = submitted(client, staff)
    cases = [
        (
            client.post("/api/v1/drafts", json={"title": "t", "body": "b", "channel": "tv"}, headers=staff["author"]),
            422,
            "unknown_channel",
        ),
        (
            client.post(
                "/api/v1/drafts", json={"title": "t", "body": "b", "channel": "website"}, headers=staff["review1"]
            ),
            403,
            "missing_role",
        ),
        (
            client.post(
                "/api/v1/drafts",
                json={"title": "t", "body": "b", "channel": "website", "colour": "red"},
                headers=staff["author"],
            ),
            422,
            "invalid_request",
        ),
        (client.get("/api/v1/drafts/999999", headers=staff["author"]), 404, "draft_not_found"),
        (
            client.put(f"/api/v1/drafts/{draft_id}", json={"title": "新标题"}, headers=staff["author"]),
            409,
            "not_editable",
        ),
        (
            client.put(f"/api/v1/drafts/{draft_id}", json={"title": "新标题"}, headers=staff["review1"]),
            403,
            "missing_role",
        ),
        (client.put("/api/v1/drafts/999999", json={"title": "x"}, headers=staff["author"]), 404, "draft_not_found"),
        (client.post(f"/api/v1/drafts/{draft_id}/submit", headers=staff["author"]), 409, "not_submittable"),
        (client.post(f"/api/v1/drafts/{draft_id}/submit", headers=staff["proof1"]), 403, "not_author"),
    ]
    for response, status, code in cases:
        assert (response.status_code, response.json()["code"]) == (status, code), response.text


def test_an_author_may_not_read_another_authors_draft(client: TestClient, staff: Staff, db: Database) -> None:
    make_user(db, "bo", "author")
    draft_id = new_draft(client, staff)["id"]
    other = bearer(db, "bo")
    assert client.get(f"/api/v1/drafts/{draft_id}", headers=other).status_code == 403
    assert client.get(f"/api/v1/drafts/{draft_id}/trail", headers=other).status_code == 403
    assert client.get("/api/v1/drafts", headers=other).json() == {"total": 0, "items": []}


def test_the_queue_lists_what_the_caller_may_act_on(client: TestClient, staff: Staff) -> None:
    draft_id = submitted(client, staff)
    [item] = client.get("/api/v1/queue", headers=staff["proof1"]).json()
    assert {k: item[k] for k in ("draft_id", "title", "step", "step_label")} == {
        "draft_id": draft_id,
        "title": "关于开展安全生产检查的通知",
        "step": "proof1",
        "step_label": "一校",
    }
    assert item["waiting_since"].endswith("Z")
    assert item["waiting_seconds"] >= 0
    assert client.get("/api/v1/queue", headers=staff["review1"]).json() == []


def test_decisions_and_their_errors(client: TestClient, staff: Staff) -> None:
    draft_id = submitted(client, staff)
    cases = [
        (decide(client, staff, draft_id, "review1"), 409, "wrong_step"),
        (decide(client, staff, draft_id, "proof1", revision=2), 409, "stale_revision"),
        (decide(client, staff, draft_id, "proof1", who="review1"), 403, "missing_role"),
        (decide(client, staff, draft_id, "proof1", comment="   "), 422, "comment_required"),
        (decide(client, staff, draft_id, "proof1", decision="maybe"), 422, "invalid_request"),
        (decide(client, staff, draft_id, "proof1", revision="1"), 422, "invalid_request"),
        (decide(client, staff, 999999, "proof1"), 404, "draft_not_found"),
    ]
    for response, status, code in cases:
        assert (response.status_code, response.json()["code"]) == (status, code), response.text
    signed = decide(client, staff, draft_id, "proof1")
    assert signed.status_code == 201
    body = signed.json()
    assert (body["step"], body["decision"], body["user"], body["revision"], body["draft_state"]) == (
        "proof1",
        "approve",
        "pat",
        1,
        "review1",
    )
    missing = decide(client, staff, draft_id, "review1", checklist={"language": True})
    assert (missing.status_code, missing.json()["code"]) == (422, "missing_checks")
    again = decide(client, staff, draft_id, "proof1", who="proof2")
    assert (again.status_code, again.json()["code"]) == (409, "wrong_step")


def test_publish_then_retract(client: TestClient, staff: Staff) -> None:
    waiting = submitted(client, staff)
    refused = client.post(f"/api/v1/drafts/{waiting}/publish", headers=staff["publisher"])
    assert (refused.status_code, refused.json()["code"]) == (409, "not_signed_off")
    draft_id = approved(client, staff)
    assert client.post(f"/api/v1/drafts/{draft_id}/publish", headers=staff["author"]).status_code == 403
    assert (
        client.post(
            f"/api/v1/drafts/{draft_id}/publish", json={"channel": "tv"}, headers=staff["publisher"]
        ).status_code
        == 422
    )
    not_yet = client.post(f"/api/v1/drafts/{draft_id}/retract", json={"reason": "x"}, headers=staff["publisher"])
    assert (not_yet.status_code, not_yet.json()["code"]) == (409, "not_published")
    published = client.post(f"/api/v1/drafts/{draft_id}/publish", json={}, headers=staff["publisher"])
    assert published.status_code == 201
    assert (published.json()["channel"], published.json()["revision"]) == ("website", 1)
    draft = client.get(f"/api/v1/drafts/{draft_id}", headers=staff["publisher"]).json()
    assert (
        published.json()["content_hash"] == draft["content_hash"] == draft["steps"][-1]["signoffs"][0]["content_hash"]
    )
    no_reason = client.post(f"/api/v1/drafts/{draft_id}/retract", json={"reason": ""}, headers=staff["publisher"])
    assert (no_reason.status_code, no_reason.json()["code"]) == (422, "reason_required")
    retracted = client.post(
        f"/api/v1/drafts/{draft_id}/retract", json={"reason": "数据有误，撤回更正。"}, headers=staff["publisher"]
    )
    assert retracted.status_code == 200
    assert retracted.json()["state"] == "retracted"
    assert retracted.json()["publications"][0]["retract_reason"] == "数据有误，撤回更正。"
    trail = client.get(f"/api/v1/drafts/{draft_id}/trail", headers=staff["auditor"]).json()
    assert [e["kind"] for e in trail][-2:] == ["published", "retracted"]
    assert len([e for e in trail if e["kind"] == "decided"]) == 6


@pytest.mark.usefixtures("cjk_font")
def test_audit_verify_export_and_public_key(client: TestClient, staff: Staff) -> None:
    draft_id = approved(client, staff)
    assert client.get("/api/v1/audit/verify", headers=staff["author"]).status_code == 403
    verified = client.get("/api/v1/audit/verify", headers=staff["auditor"]).json()
    assert verified["ok"] is True
    assert verified["first_bad"] is None
    assert verified["rows"] == 6 + 1 + 1  # sign-offs, the revision, its pre-check result
    exported = client.get(f"/api/v1/audit/export?format=jsonl&draft={draft_id}", headers=staff["auditor"])
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("application/x-ndjson")
    *lines, manifest = (json.loads(line) for line in exported.text.splitlines())
    assert [e["kind"] for e in lines] == ["created", "prechecked", "submitted"] + ["decided"] * 6
    assert manifest["manifest"]["events"] == len(lines)
    assert all(e["draft_id"] == draft_id for e in lines)
    as_csv = client.get("/api/v1/audit/export?format=csv", headers=staff["auditor"])
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert rows[0] == ["seq", "at", "actor", "kind", "draft_id", "payload", "prev_hash", "hash"]
    assert len(rows) - 1 == verified["events"]
    public = load_pem_public_key(client.get("/api/v1/audit/public-key").text.encode())
    assert isinstance(public, Ed25519PublicKey)
    for response in (exported, as_csv):
        public.verify(base64.b64decode(response.headers["x-sanshen-signature"]), response.content)
    sheet = client.get(f"/api/v1/audit/export?format=pdf&draft={draft_id}", headers=staff["auditor"])
    assert sheet.headers["content-type"] == "application/pdf"
    assert sheet.content.startswith(b"%PDF")
    public.verify(base64.b64decode(sheet.headers["x-sanshen-signature"]), sheet.content)
    assert client.get("/api/v1/audit/export?format=xml", headers=staff["auditor"]).status_code == 422
    assert (
        client.get(
            "/api/v1/audit/export?since=2026-12-01T00:00:00Z&until=2026-11-01T00:00:00Z", headers=staff["auditor"]
        ).status_code
        == 422
    )
    pem = client.get("/api/v1/audit/public-key")
    assert pem.headers["content-type"].startswith("text/plain")
    assert isinstance(load_pem_public_key(pem.text.encode()), Ed25519PublicKey)
    as_json = client.get("/api/v1/audit/public-key", headers={"Accept": "application/json"}).json()
    assert as_json["public_key_pem"] == pem.text


def test_the_openapi_document_lists_the_contract(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {
        "/api/v1/auth/token",
        "/api/v1/drafts",
        "/api/v1/drafts/{draft_id}",
        "/api/v1/drafts/{draft_id}/submit",
        "/api/v1/queue",
        "/api/v1/drafts/{draft_id}/decisions",
        "/api/v1/drafts/{draft_id}/publish",
        "/api/v1/drafts/{draft_id}/retract",
        "/api/v1/drafts/{draft_id}/trail",
        "/api/v1/audit/export",
        "/api/v1/audit/verify",
        "/api/v1/audit/public-key",
    } <= paths.keys()


@pytest.mark.parametrize("size", [2 * 1024 * 1024])
def test_a_body_over_the_limit_is_refused_before_it_is_parsed(client: TestClient, staff: Staff, size: int) -> None:
    body = json.dumps({"title": "t", "body": "字" * size, "channel": "website"})
    response = client.post(
        "/api/v1/drafts", content=body, headers=staff["author"] | {"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json() == {
        "detail": "the request body is larger than the limit of 1048576 bytes",
        "code": "body_too_large",
    }

    def chunks() -> Any:
        for _ in range(size // 65536):
            yield b"x" * 65536

    streamed = client.post("/api/v1/drafts", content=chunks(), headers=staff["author"])
    assert streamed.status_code == 413


def test_who_am_i_and_what_can_i_choose(client: TestClient, staff: Staff) -> None:
    me = client.get("/api/v1/me", headers=staff["review1"]).json()
    assert me == {"username": "rui", "name": "rui 全名", "roles": ["reviewer1"], "qualifications": []}
    channels = client.get("/api/v1/channels", headers=staff["author"]).json()
    assert [(c["key"], c["label_zh"]) for c in channels] == [
        ("bulletin", "内部简报"),
        ("website", "门户网站"),
        ("wechat", "微信公众号"),
    ]
    assert client.get("/api/v1/workflows", headers=staff["author"]).json() == [
        {"key": "publishing", "name": "出版三审三校一读", "version": 1},
        {"key": "sanshen", "name": "三审三校", "version": 1},
    ]


def test_a_database_busy_past_the_timeout_answers_503_with_retry_after(
    settings: Settings, db: Database, staff: Staff
) -> None:
    impatient = settings.model_copy(update={"busy_timeout_ms": 300})
    app = create_app(impatient, database=Database(settings.database_url, busy_timeout_ms=300))
    with TestClient(app, raise_server_exceptions=False) as client:
        draft_id = submitted(client, staff)
        with db.write() as holder:
            lock_draft(holder, draft_id)
            busy = decide(client, staff, draft_id, "proof1")
    assert busy.status_code == 503
    assert busy.headers["retry-after"] == "1"
    assert busy.json() == {"detail": "the database is busy; try again in a moment", "code": "busy"}


def test_every_error_has_a_code_and_says_what_to_do(client: TestClient, staff: Staff) -> None:
    cases = [
        (client.get("/api/v1/queue"), 401, "not_authenticated"),
        (client.get("/api/v1/queue", headers={"Authorization": "Bearer ssn_nope"}), 401, "invalid_token"),
        (
            client.post("/api/v1/auth/token", json={"username": "alice", "password": "nope-nope-nope"}),
            401,
            "wrong_password",
        ),
        (client.get("/api/v1/nowhere"), 404, "not_found"),
        (client.put("/api/v1/queue", headers=staff["author"]), 405, "method_not_allowed"),
    ]
    for response, status, code in cases:
        assert (response.status_code, response.json()["code"]) == (status, code)
    broken = client.post(
        "/api/v1/drafts", content=b'{"title": "x",', headers=staff["author"] | {"content-type": "application/json"}
    )
    assert broken.json()["detail"][0]["msg"].startswith("the body is not valid JSON at character 14")
    form = client.post("/api/v1/drafts", data={"title": "x"}, headers=staff["author"])
    assert form.json()["detail"][0]["msg"] == (
        "send the body as a JSON object, with the header Content-Type: application/json"
    )
    draft_id = submitted(client, staff)
    future = decide(client, staff, draft_id, "proof1", revision=9)
    assert future.json()["detail"].startswith("revision 9 does not exist yet: the draft is at revision 1")
    published = approved(client, staff)
    client.post(f"/api/v1/drafts/{published}/publish", headers=staff["publisher"])
    twice = client.post(f"/api/v1/drafts/{published}/publish", headers=staff["publisher"])
    assert (twice.status_code, twice.json()) == (
        409,
        {"detail": f"draft {published} is already published", "code": "already_published"},
    )


def test_precheck_any_text_returns_findings_with_offsets_and_stores_nothing(
    client: TestClient, staff: Staff, db: Database
) -> None:
    text = "各单位：机密★1年。联系 138****5678 或 13912345678，攻府。"
    with db.read() as session:
        before = len(session.exec(select(Event)).all())
    answer = client.post("/api/v1/precheck", json={"text": text}, headers=staff["author"])
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["blocking"] == 3
    assert len(result["fingerprint"]) == 64
    assert {r["ruleset"] for r in result["rulesets"]} == {"personal-data", "secrecy", "typos", "xinhua"}
    assert [(f["rule"], text[f["start"] : f["end"]]) for f in result["findings"]] == [
        ("secrecy.mark", "机密★"),
        ("secrecy.period", "★1年"),
        ("personal_data.mobile", "13912345678"),
        ("typos.zhengfu", "攻府"),
    ]
    with db.read() as session:
        assert len(session.exec(select(Event)).all()) == before
    too_long = client.post("/api/v1/precheck", json={"text": "字" * 600_000}, headers=staff["author"])
    assert too_long.status_code in (413, 422)
    assert client.post("/api/v1/precheck", json={"text": text}).status_code == 401


def test_a_drafts_precheck_is_shown_and_a_blocking_finding_overridden_over_http(
    client: TestClient, staff: Staff
) -> None:
    body = "各单位：机密★1年。请于本月底前完成自查，联系攻府办公室。"
    draft_id = submitted(client, staff, body=body)
    for step in ORDER[:3]:
        assert decide(client, staff, draft_id, step).status_code == 201
    shown = client.get(f"/api/v1/drafts/{draft_id}/precheck", headers=staff["auditor"])
    assert shown.status_code == 200, shown.text
    result = shown.json()
    assert (result["blocking"], result["open_blocking"], result["warnings"], result["stored"]) == (2, 2, 1, True)
    assert result["gate_step"] == "review2"
    assert result["overriding_roles"] == ["reviewer2", "reviewer3"]
    text = "关于开展安全生产检查的通知\n" + body
    assert [text[f["start"] : f["end"]] for f in result["findings"]] == ["机密★", "★1年", "攻府"]
    first = result["findings"][0]
    assert (first["part"], first["line"], first["column"]) == ("body", 1, 5)
    blocked = decide(client, staff, draft_id, "review2")
    assert blocked.status_code == 409
    assert (blocked.json()["code"], blocked.json()["rule"]) == ("precheck_blocked", "R24")
    keys = [f["key"] for f in result["findings"] if f["severity"] == "block"]
    url = f"/api/v1/drafts/{draft_id}/precheck/overrides"
    good = {"revision": 1, "findings": keys, "reason": "系培训教材中的示例，经保密办确认可以公开。"}
    assert client.post(url, json=good, headers=staff["author"]).status_code == 403
    assert client.post(url, json=good, headers=staff["review1"]).status_code == 403
    assert client.post(url, json=good | {"reason": " "}, headers=staff["review2"]).status_code == 422
    assert client.post(url, json=good | {"findings": []}, headers=staff["review2"]).status_code == 422
    assert client.post(url, json=good | {"findings": ["x@1-2"]}, headers=staff["review2"]).status_code == 422
    assert client.post(url, json=good | {"revision": 2}, headers=staff["review2"]).status_code == 409
    done = client.post(url, json=good, headers=staff["review2"])
    assert done.status_code == 201, done.text
    assert done.json()["open_blocking"] == 0
    assert {f["override"]["user"] for f in done.json()["findings"] if f["severity"] == "block"} == {"ren"}
    assert client.post(url, json=good, headers=staff["review3"]).status_code == 409
    assert decide(client, staff, draft_id, "review2").status_code == 201
    assert client.get("/api/v1/drafts/999/precheck", headers=staff["auditor"]).status_code == 404


def test_an_administrator_imports_a_word_list_over_http(client: TestClient, staff: Staff, db: Database) -> None:
    make_user(db, "boss", "admin")
    admin = bearer(db, "boss")
    body = {"name": "local", "text": "内部通报\n", "severity": "block", "source": "本单位保密规定"}
    assert client.post("/api/v1/rulesets", json=body, headers=staff["review3"]).status_code == 403
    assert client.post("/api/v1/rulesets", json=body | {"name": "Bad"}, headers=admin).status_code == 422
    assert client.post("/api/v1/rulesets", json=body | {"text": "\n"}, headers=admin).status_code == 422
    imported = client.post("/api/v1/rulesets", json=body, headers=admin)
    assert imported.status_code == 201, imported.text
    local = next(r for r in imported.json()["rulesets"] if r["ruleset"] == "local")
    assert (local["version"], local["terms"], local["imported"]) == (1, 1, True)
    listed = client.get("/api/v1/rulesets", headers=staff["author"]).json()
    assert listed["fingerprint"] == imported.json()["fingerprint"]
    found = client.post("/api/v1/precheck", json={"text": "一份内部通报"}, headers=staff["author"]).json()
    assert [(f["rule"], f["severity"]) for f in found["findings"]] == [("local.list", "block")]

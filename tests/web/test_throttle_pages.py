"""Log-in throttling through the log-in page and the token endpoint: 429 with Retry-After."""

from __future__ import annotations

from fastapi.testclient import TestClient

from review.throttle import PER_ACCOUNT, WINDOW
from tests.factories import PASSWORD
from tests.web.conftest import Browser, Staff, text_of


def test_the_log_in_page_refuses_an_account_after_its_failures_and_says_when_to_try_again(
    client: TestClient, staff: Staff
) -> None:
    visitor = Browser(client)
    for _ in range(PER_ACCOUNT):
        assert visitor.login_post("alice", "not-the-password").status_code == 401
    throttled = visitor.login_post("alice", PASSWORD)
    assert throttled.status_code == 429
    assert 0 < int(throttled.headers["Retry-After"]) <= WINDOW.total_seconds()
    assert "登录失败次数过多" in text_of(throttled)
    assert "sanshen_session" not in throttled.cookies
    assert Browser(client).login_post("pat", PASSWORD).status_code == 303  # other accounts are unaffected


def test_the_token_endpoint_answers_429_with_retry_after_after_an_accounts_failures(
    client: TestClient, staff: Staff
) -> None:
    for _ in range(PER_ACCOUNT):
        wrong = client.post("/api/v1/auth/token", json={"username": "alice", "password": "not-the-password"})
        assert wrong.status_code == 401
    throttled = client.post("/api/v1/auth/token", json={"username": "alice", "password": PASSWORD})
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "too_many_attempts"
    assert 0 < int(throttled.headers["Retry-After"]) <= WINDOW.total_seconds()
    assert client.post("/api/v1/auth/token", json={"username": "pat", "password": PASSWORD}).status_code == 200

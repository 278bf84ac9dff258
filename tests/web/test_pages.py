"""The web pages over HTTP, on both databases: log-in, CSRF, refusals shown on the page, roles, language.

The same walk a browser makes (tests/web/test_browser.py drives a real one) is made here with forms
posted as a browser would post them, so every refusal can be checked with the database's state.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import col, select

from review.config import PROJECT_DIR
from review.db import Database
from review.models import Event, WebSession
from tests.factories import (
    PASSWORD,
    Newsroom,
    act,
    approve_through,
    get_draft,
    make_user,
    new_draft,
    published_draft,
    snapshot,
    submitted_draft,
)
from tests.web.conftest import Browser, text_of
from web.pages import desk, pages
from web.pages.base import SESSION_COOKIE

CHECKS = {
    "review1": ["language", "factual"],
    "review2": ["factual", "policy", "secrecy"],
    "review3": ["political", "legal", "secrecy"],
}


def decide_form(step: str, revision: int, decision: str = "approve", **extra: object) -> dict[str, object]:
    form: dict[str, object] = {"step": step, "revision": revision, "decision": decision, "comment": "同意。"}
    if decision == "approve":
        form |= {f"check_{key}": "on" for key in CHECKS.get(step, [])}
    return form | extra


def test_log_in_refuses_a_wrong_password_or_a_deactivated_account_with_a_message(
    client: TestClient, room: Newsroom, db: Database
) -> None:
    visitor = Browser(client)
    assert visitor.get("/").url.path == "/login"
    wrong = visitor.login_post("alice", "not-the-password")
    assert wrong.status_code == 401
    assert "用户名或密码错误" in text_of(wrong)
    assert 'value="alice"' in wrong.text
    Browser(client, "boss").post("/admin/users/rui/deactivate")
    deactivated = visitor.login_post("rui", PASSWORD)
    assert deactivated.status_code == 401
    assert "此账号已停用" in text_of(deactivated)  # said only to someone who knows the password
    assert "此账号已停用" not in text_of(visitor.login_post("rui", "a-wrong-password"))
    assert SESSION_COOKIE not in deactivated.cookies
    with db.read() as session:
        assert not session.exec(select(WebSession)).all()[1:]  # only the admin's session was opened


def test_the_login_form_needs_its_own_csrf_cookie_and_next_stays_on_this_site(
    client: TestClient, room: Newsroom
) -> None:
    visitor = Browser(client)
    forged = visitor.client.post(
        "/login", data={"username": "alice", "password": PASSWORD, "csrf_token": "guess"}, follow_redirects=False
    )
    assert forged.status_code == 403
    assert "此表单已过期" in text_of(forged)
    for target, landing in (("/queue", "/queue"), ("//evil.example/x", "/"), ("https://evil.example", "/")):
        response = Browser(client).login_post("alice", PASSWORD, target)
        assert response.headers["location"] == landing


def test_log_out_ends_the_session_on_the_server(client: TestClient, room: Newsroom) -> None:
    alice = Browser(client, "alice")
    cookie = alice.client.cookies[SESSION_COOKIE]
    assert alice.post("/logout").status_code == 303
    replay = TestClient(client.app, cookies={SESSION_COOKIE: cookie})
    assert replay.get("/", follow_redirects=False).headers["location"] == "/login?next=%2F"


def _form_routes(routes: list[Any]) -> list[str]:
    """Every page that takes a form post (FastAPI keeps included routers as branches: walk them)."""
    found: list[str] = []
    for route in routes:
        if isinstance(route, APIRoute) and "POST" in route.methods and route.path != "/login":
            found.append(route.path)
        elif hasattr(route, "original_router"):
            found += _form_routes(route.original_router.routes)
    return found


def test_every_form_without_its_csrf_token_is_refused_and_changes_nothing(
    client: TestClient, room: Newsroom, db: Database, browser: Callable[[str], Browser]
) -> None:
    draft_id = submitted_draft(db, room)
    paths = _form_routes(pages.routes)
    assert len(paths) >= 12
    people = [browser(who) for who in ("alice", "pat", "pub", "boss")]
    before = snapshot(db)
    for person in people:
        for path in paths:
            url = path.replace("{draft_id}", str(draft_id)).replace("{username}", "pat")
            for headers in ({}, {"X-CSRF-Token": "forged"}):
                response = person.client.post(
                    url,
                    data={**decide_form("proof1", 1), "title": "x", "body": "y"},
                    headers=headers,
                    follow_redirects=False,
                )
                assert response.status_code == 403, (url, response.status_code)
                assert "此表单已过期" in text_of(response)
    assert snapshot(db) == before


def test_a_decision_on_a_stale_revision_is_refused_on_the_page(
    db: Database, room: Newsroom, browser: Callable[[str], Browser]
) -> None:
    draft_id = submitted_draft(db, room)
    pat = browser("pat")
    page = pat.get(f"/drafts/{draft_id}")
    assert 'name="revision" value="1"' in page.text
    saved = pat.post(
        f"/drafts/{draft_id}/edit",
        {"title": "关于开展安全生产检查的通知", "body": "各单位：\n请于本月底前完成自查自纠。", "revision": 1},
    )
    assert saved.headers["location"] == f"/drafts/{draft_id}?done=saved"
    stale = pat.post(f"/drafts/{draft_id}/decision", decide_form("proof1", 1, comment="校对完毕。"))
    assert stale.status_code == 409
    shown = text_of(stale)
    assert "打开本页后文本已有改动" in shown
    assert "revision 1 is stale" not in shown  # the engine's English detail is for English pages
    assert "校对完毕。" in shown  # the opinion typed is kept
    assert 'name="revision" value="2"' in stale.text  # the form now signs the new text
    assert get_draft(db, draft_id).state == "proof1"
    again = pat.client.post(
        f"/drafts/{draft_id}/edit?lang=en",
        data={"title": "t", "body": "typed from the old text", "revision": 1, "csrf_token": pat.csrf},
    )
    assert again.status_code == 409  # an edit from the old text is refused too, and shows the new text
    shown = text_of(again)
    assert "revision 1 is stale" in shown
    assert "The text as it is now (revision 2)" in shown
    assert "请于本月底前完成自查自纠。" in shown
    assert "typed from the old text" in shown
    assert 'name="revision" value="2"' in again.text
    assert get_draft(db, draft_id).revision == 2


def test_an_approval_without_the_required_checks_is_refused_and_keeps_what_was_typed(
    db: Database, room: Newsroom, browser: Callable[[str], Browser]
) -> None:
    draft_id = submitted_draft(db, room)
    act(db, room.proof1, draft_id)
    rui = browser("rui")
    form = decide_form("review1", 1, comment="事实已核。") | {"check_language": "on"}
    form.pop("check_factual")
    refused = rui.post(f"/drafts/{draft_id}/decision", form)
    assert refused.status_code == 422
    shown = text_of(refused)
    assert "须勾选本环节要求的全部核查项" in shown
    assert "事实已核。" in shown
    assert re.search(r'name="check_language" checked', refused.text)
    assert get_draft(db, draft_id).state == "review1"
    done = rui.post(f"/drafts/{draft_id}/decision", decide_form("review1", 1))
    assert done.headers["location"] == f"/drafts/{draft_id}?done=decided"
    assert get_draft(db, draft_id).state == "proof2"


def test_html_in_a_draft_is_shown_as_text(db: Database, room: Newsroom, browser: Callable[[str], Browser]) -> None:
    alice = browser("alice")
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    created = alice.post(
        "/drafts/new", {"title": f"标题{hostile}", "body": f"正文{hostile}", "channel": "website", "tags": "a"}
    )
    location = created.headers["location"]
    page = alice.get(location.split("?")[0])
    assert "<script>alert" not in page.text
    assert "<img src=x" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("alice", "/publish"),
        ("alice", "/audit"),
        ("alice", "/audit/verify"),
        ("alice", "/admin/users"),
        ("alice", "/admin/users/pat"),
        ("rui", "/drafts/new"),
        ("pub", "/admin/users"),
        ("aud", "/publish"),
    ],
)
def test_pages_of_another_role_are_refused(browser: Callable[[str], Browser], who: str, path: str) -> None:
    response = browser(who).get(path)
    assert response.status_code == 403
    assert "无权访问" in text_of(response)


def test_an_author_cannot_open_or_act_on_another_authors_draft(
    db: Database, room: Newsroom, browser: Callable[[str], Browser]
) -> None:
    draft_id = submitted_draft(db, room)
    make_user(db, "bob", "author")
    bob = browser("bob")
    assert bob.get(f"/drafts/{draft_id}").status_code == 403
    assert bob.get(f"/drafts/{draft_id}/trail").status_code == 403
    assert bob.post(f"/drafts/{draft_id}/decision", decide_form("proof1", 1)).status_code == 403
    assert get_draft(db, draft_id).state == "proof1"


def test_a_draft_goes_through_every_step_by_the_pages_alone(
    db: Database, room: Newsroom, browser: Callable[[str], Browser]
) -> None:
    alice = browser("alice")
    created = alice.post(
        "/drafts/new",
        {
            "title": "关于做好冬季供暖保障工作的通知",
            "body": "各区县：\n确保供暖。",
            "channel": "website",
            "tags": "民生，供暖",
        },
    )
    draft_id = int(created.headers["location"].split("/")[2].split("?")[0])
    assert sorted(get_draft(db, draft_id).tags) == sorted(["民生", "供暖"])
    assert alice.post(f"/drafts/{draft_id}/submit").status_code == 303
    pat = browser("pat")
    assert f'href="/drafts/{draft_id}"' in pat.get("/queue").text
    pat.post(f"/drafts/{draft_id}/decision", decide_form("proof1", 1))
    rui = browser("rui")
    returned = rui.post(f"/drafts/{draft_id}/decision", decide_form("review1", 1, "return", comment="请补充供暖时间。"))
    assert returned.status_code == 303
    page = alice.get(f"/drafts/{draft_id}")
    assert "稿件已退回修改" in text_of(page)
    assert "请补充供暖时间。" in text_of(page)
    alice.post(
        f"/drafts/{draft_id}/edit",
        {
            "title": "关于做好冬季供暖保障工作的通知",
            "body": "各区县：\n11月15日起确保供暖。",
            "tags": "民生",
            "revision": 1,
        },
    )
    changed = alice.get(f"/drafts/{draft_id}")
    assert "<ins>11月15日起</ins>" in changed.text  # what changed since the return
    alice.post(f"/drafts/{draft_id}/submit")
    for step, who in [
        ("proof1", "pat"),
        ("review1", "rui"),
        ("proof2", "peng"),
        ("review2", "ren"),
        ("proof3", "ping"),
        ("review3", "rong"),
    ]:
        page = browser(who).get(f"/drafts/{draft_id}")
        assert f'name="step" value="{step}"' in page.text, step
        answer = browser(who).post(f"/drafts/{draft_id}/decision", decide_form(step, 2))
        assert answer.status_code == 303, (step, text_of(answer))
    pub = browser("pub")
    assert f'action="/drafts/{draft_id}/publish"' in pub.get("/publish").text
    assert pub.post(f"/drafts/{draft_id}/publish", {"channel": "website"}).status_code == 303
    assert get_draft(db, draft_id).state == "published"
    trail = text_of(browser("aud").get(f"/drafts/{draft_id}/trail"))
    for expected in ("请补充供暖时间。", "初审 退改", "终审 同意", "法律关", "发布", "pat 全名"):
        assert expected in trail, expected
    with db.read() as session:
        kinds = [
            e.kind for e in session.exec(select(Event).where(col(Event.draft_id) == draft_id).order_by(col(Event.seq)))
        ]
    assert kinds.count("decided") == 7
    assert kinds[-1] == "published"


def test_a_proofreaders_correction_is_a_revision_in_their_name(
    db: Database, room: Newsroom, browser: Callable[[str], Browser]
) -> None:
    draft_id = submitted_draft(db, room)
    pat = browser("pat")
    form = pat.get(f"/drafts/{draft_id}/edit")
    assert "您正在一校环节校改文本" in text_of(form)
    assert 'name="tags"' not in form.text
    pat.post(
        f"/drafts/{draft_id}/edit",
        {"title": "关于开展安全生产检查的通知", "body": "各单位：\n请于本月底前完成自查工作。", "revision": 1},
    )
    with db.read() as session:
        event = session.exec(select(Event).where(col(Event.kind) == "revised")).one()
    assert (event.actor, '"step":"proof1"' in event.payload) == ("pat", True)
    assert browser("alice").get(f"/drafts/{draft_id}/edit").status_code == 409


def test_a_publisher_publishes_and_retracts_with_a_reason(
    db: Database, room: Newsroom, browser: Callable[[str], Browser]
) -> None:
    draft_id = submitted_draft(db, room)
    approve_through(db, room, draft_id)
    pub = browser("pub")
    pub.post(f"/drafts/{draft_id}/publish", {"channel": "wechat"})
    no_reason = pub.post(f"/drafts/{draft_id}/retract", {"reason": "  "})
    assert no_reason.status_code == 422
    assert "请填写撤稿理由" in text_of(no_reason)
    pub.post(f"/drafts/{draft_id}/retract", {"reason": "数据有误。"})
    page = text_of(pub.get(f"/drafts/{draft_id}"))
    assert "数据有误。" in page
    assert get_draft(db, draft_id).state == "retracted"


def test_the_admin_manages_users_and_each_change_is_recorded(
    db: Database, room: Newsroom, browser: Callable[[str], Browser]
) -> None:
    boss = browser("boss")
    added = boss.post(
        "/admin/users",
        {
            "username": "lin",
            "full_name": "林校对",
            "roles": ["proofreader"],
            "qualifications": "senior",
            "password": "a-long-passphrase-1",
        },
    )
    assert added.headers["location"] == "/admin/users?done=added"
    boss.post("/admin/users/lin/roles", {"roles": ["proofreader", "reviewer1"]})
    boss.post("/admin/users/lin/qualifications", {"qualifications": "senior, legal"})
    differ = boss.post("/admin/users/lin/password", {"password": "another-passphrase-2", "password_again": "x"})
    assert differ.status_code == 422
    boss.post(
        "/admin/users/lin/password", {"password": "another-passphrase-2", "password_again": "another-passphrase-2"}
    )
    lin = Browser(boss.client)
    lin.client.cookies.clear()
    lin.log_in("lin", "another-passphrase-2")
    boss.post("/admin/users/lin/deactivate")
    assert lin.get("/", follow_redirects=False).status_code == 303  # their session ended
    own = boss.post("/admin/users/boss/roles", {"roles": ["auditor"]})
    assert own.status_code == 409
    taken = boss.post(
        "/admin/users",
        {"username": "lin", "full_name": "又一个", "roles": ["author"], "password": "a-long-passphrase-3"},
    )
    assert taken.status_code == 409
    assert "用户名永不重复使用" in text_of(taken)
    with db.read() as session:
        kinds = [e.kind for e in session.exec(select(Event).order_by(col(Event.seq)))][-5:]
    assert kinds == [
        "user_created",
        "user_roles_changed",
        "user_qualifications_changed",
        "password_reset",
        "user_deactivated",
    ]


def test_the_language_follows_the_switch_or_the_browser(client: TestClient, room: Newsroom) -> None:
    alice = Browser(client, "alice")
    assert "我的稿件" in alice.get("/").text
    english = alice.get("/?lang=en")
    assert "My drafts" in english.text
    assert 'lang="en"' in english.text
    assert "My drafts" in alice.get("/drafts").text  # the choice is kept in a cookie
    visitor = TestClient(client.app)
    assert "Log in" in visitor.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).text
    assert "登录" in visitor.get("/login", headers={"Accept-Language": "zh-TW"}).text


def test_the_queue_refreshes_as_a_fragment_and_every_page_is_complete_for_its_role(
    db: Database, room: Newsroom, browser: Callable[[str], Browser]
) -> None:
    draft_id = published_draft(db, room, tags=["specialist"])
    waiting = submitted_draft(db, room)
    pat = browser("pat")
    rows = pat.get("/queue?part=rows", headers={"HX-Request": "true"})
    assert "<html" not in rows.text
    assert f'href="/drafts/{waiting}"' in rows.text
    assert "<html" in pat.get("/queue?part=rows", headers={"HX-Request": "true", "HX-Boosted": "true"}).text
    pages = {
        "alice": ["/", "/drafts", "/drafts/new", f"/drafts/{draft_id}", f"/drafts/{draft_id}/trail"],
        "pat": ["/", "/queue", f"/drafts/{waiting}", f"/drafts/{waiting}/edit"],
        "pub": ["/", "/publish", f"/drafts/{draft_id}"],
        "aud": ["/", "/audit", "/audit/verify", f"/drafts/{draft_id}/trail", "/drafts"],
        "boss": ["/", "/admin/users", "/admin/users/pat"],
    }
    for who, paths in pages.items():
        person = browser(who)
        for lang in ("zh-CN", "en"):
            for path in paths:
                response = person.get(f"{path}{'&' if '?' in path else '?'}lang={lang}")
                assert response.status_code == 200, (who, path)
                assert response.headers["content-language"] == lang
    verified = browser("aud").get("/audit/verify?part=result", headers={"HX-Request": "true"})
    assert "记录完整无损" in verified.text
    assert "<html" not in verified.text


def test_auditor_downloads_a_signed_bundle_and_a_sheet(
    db: Database, room: Newsroom, browser: Callable[[str], Browser]
) -> None:
    draft_id = published_draft(db, room)
    aud = browser("aud")
    bundle = aud.get(f"/audit/export?format=jsonl&draft={draft_id}")
    assert bundle.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(bundle.content)).namelist()
    assert names == [f"sanshen-trail-draft-{draft_id}.jsonl", f"sanshen-trail-draft-{draft_id}.jsonl.sig"]
    sheet = zipfile.ZipFile(io.BytesIO(aud.get(f"/audit/export?format=pdf&draft={draft_id}").content))
    assert sheet.namelist() == [f"sanshen-trail-draft-{draft_id}.pdf", f"sanshen-trail-draft-{draft_id}.pdf.sig"]
    viewed = aud.get(f"/audit/export?format=pdf&draft={draft_id}&view=true")
    assert viewed.headers["content-type"] == "application/pdf"
    assert viewed.headers["content-disposition"].startswith("inline")
    assert viewed.headers["cache-control"] == "no-store"
    for query, status, says in (
        ("format=jsonl&draft=abc", 422, "请填写稿件编号"),
        ("format=xml", 422, "请从所列格式中选择"),
        ("format=jsonl&since=2026-01-01T00:00:00%2B08:00", 422, "请按 2026-11-01 的格式填写日期"),
        ("format=jsonl&since=2026-02-01&until=2026-01-01", 422, "起始日期须早于截止日期"),
        ("format=jsonl&draft=999999", 404, "没有这篇稿件"),
    ):
        bad = aud.get(f"/audit/export?{query}")
        assert (bad.status_code, says in text_of(bad)) == (status, True), query


def test_the_vendored_htmx_is_the_pinned_release_and_every_static_file_is_served(client: TestClient) -> None:
    """htmx.org@2.0.11 from npm (`npm pack`, package/dist/htmx.min.js): an upgrade must be deliberate."""
    vendored = PROJECT_DIR / "web" / "static" / "vendor" / "htmx-2.0.11.min.js"
    assert hashlib.sha256(vendored.read_bytes()).hexdigest() == (
        "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"
    )
    assert (vendored.parent / "htmx-LICENSE.txt").read_text().startswith("Zero-Clause BSD")
    page = client.get("/login").text
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', page):
        assert client.get(asset).status_code == 200, asset


def test_the_draft_list_pages_and_opens_a_draft_by_number(
    db: Database, room: Newsroom, browser: Callable[[str], Browser]
) -> None:
    ids = [new_draft(db, room.author, title=f"第{n}号通知") for n in range(52)]
    aud = browser("aud")
    first = aud.get("/drafts")
    assert "第 1 / 2 页 · 共 52 篇稿件" in text_of(first)
    assert first.text.count('<td class="num">') == 2 * 50  # the number and the revision of 50 drafts
    second = aud.get("/drafts?page=2")
    assert f'href="/drafts/{ids[0]}"' in second.text
    assert f'href="/drafts/{ids[-1]}"' not in second.text
    assert aud.get(f"/drafts?go={ids[3]}", follow_redirects=False).headers["location"] == f"/drafts/{ids[3]}"
    assert aud.get("/drafts?page=0").status_code == 404


def test_hostile_page_input_is_refused_with_a_page_never_a_server_error(
    db: Database, room: Newsroom, browser: Callable[[str], Browser]
) -> None:
    draft_id = submitted_draft(db, room)
    boss, alice, pat, aud = browser("boss"), browser("alice"), browser("pat"), browser("aud")
    before = snapshot(db)
    answers = [
        Browser(boss.client).login_post("\x00", "x"),
        Browser(boss.client).login_post("a" * 5000, "p" * 100_000),
        boss.get("/admin/users/%00"),
        boss.get("/admin/users/" + "x" * 70),
        boss.post("/admin/users/%00/roles", {"roles": ["author"]}),
        boss.post("/admin/users", {"username": "\x00", "full_name": "\x00", "roles": ["nobody"], "password": ""}),
        alice.post("/drafts/new", {"title": "标\x00题", "body": "b", "channel": "website"}),
        alice.post("/drafts/new", {"title": "t", "body": "b", "channel": "\x00", "importance": "\x00"}),
        alice.post("/drafts/new", {"title": "t", "body": "b", "channel": "\x00", "importance": "normal"}),
        alice.post(f"/drafts/{draft_id}/edit", {"title": "t", "body": "b" * 600_000, "revision": 1}),
        alice.get("/drafts/99999999999"),
        alice.get("/drafts/0"),
        alice.get("/drafts?state=%00&page=-1"),
        alice.get("/drafts?go=" + "9" * 10),
        pat.post(
            f"/drafts/{draft_id}/decision", {"step": "\x00", "decision": "approve", "revision": "x", "comment": ""}
        ),
        pat.post(
            f"/drafts/{draft_id}/decision", {"step": "proof1", "decision": "yes", "revision": 1, "comment": "\x00"}
        ),
        aud.get("/audit/export?format=zip"),
        aud.get("/audit/export?draft=%00&since=yesterday"),
        aud.get("/audit/export?since=2026-02-30"),
        aud.get(f"/drafts/{draft_id}?diff=%00&part=%00&done=%3Cscript%3E"),
    ]
    for answer in answers:
        assert answer.status_code < 500, (answer.request.url, answer.status_code, answer.text[-300:])
        assert "<script>" not in answer.text
    assert snapshot(db) == before


def test_the_next_signer_sees_a_proofreaders_correction_as_a_diff(
    db: Database, room: Newsroom, browser: Callable[[str], Browser]
) -> None:
    draft_id = submitted_draft(db, room)
    approve_through(db, room, draft_id, until="proof2")
    peng = browser("peng")
    body = "各单位：\n请于本月底前完成自查自纠。"
    peng.post(f"/drafts/{draft_id}/edit", {"title": "关于开展安全生产检查的通知", "body": body, "revision": 1})
    assert peng.post(f"/drafts/{draft_id}/decision", decide_form("proof2", 2)).status_code == 303
    page = browser("ren").get(f"/drafts/{draft_id}")
    assert 'id="diff"' in page.text
    assert "<ins>自纠</ins>" in page.text
    assert "第 1 版由 rui 全名 在初审环节签署" in text_of(page)


def test_the_language_switch_stays_on_this_site_and_keeps_the_page(client: TestClient, room: Newsroom) -> None:
    visitor = TestClient(client.app)
    login = visitor.get("/login?next=%2Fqueue")
    assert 'class="lang" href="?next=%2Fqueue&amp;lang=en"' in login.text
    lost = visitor.get("//evil.example/x")
    assert lost.status_code == 404
    assert 'class="lang" href="?lang=en"' in lost.text


def test_checks_count_only_when_ticked_and_only_known_checks_are_recorded(
    db: Database, room: Newsroom, browser: Callable[[str], Browser]
) -> None:
    draft_id = submitted_draft(db, room)
    act(db, room.proof1, draft_id)
    rui = browser("rui")
    off = decide_form("review1", 1) | {"check_factual": "off"}
    assert rui.post(f"/drafts/{draft_id}/decision", off).status_code == 422
    bogus = decide_form("review1", 1) | {"check_bogus": "on"}
    refused = rui.post(f"/drafts/{draft_id}/decision", bogus)
    assert refused.status_code == 422
    assert "只能勾选本流程规定的核查项" in text_of(refused)
    assert "bogus" not in text_of(refused)  # no English detail on a Chinese page
    english = rui.client.post(
        f"/drafts/{draft_id}/decision?lang=en", data={**bogus, "csrf_token": rui.csrf}, follow_redirects=False
    )
    assert "bogus is not a check this workflow knows" in text_of(english)
    assert get_draft(db, draft_id).state == "review1"


def test_a_form_without_a_decision_or_a_channel_is_refused_with_its_reason(
    db: Database, room: Newsroom, browser: Callable[[str], Browser]
) -> None:
    draft_id = submitted_draft(db, room)
    pat = browser("pat")
    page = pat.get(f"/drafts/{draft_id}")
    assert not re.search(r'name="decision" value="\w+" (required )?checked', page.text)  # nothing chosen for you
    undecided = pat.post(f"/drafts/{draft_id}/decision", decide_form("proof1", 1) | {"decision": ""})
    assert (undecided.status_code, "请选择决定" in text_of(undecided)) == (422, True)
    nowhere = browser("alice").post("/drafts/new", {"title": "t", "body": "b", "channel": ""})
    assert (nowhere.status_code, "请从所列渠道中选择" in text_of(nowhere)) == (422, True)


def test_an_oversized_form_gets_a_page_not_json(client: TestClient, browser: Callable[[str], Browser]) -> None:
    alice = browser("alice")
    huge = alice.post("/drafts/new", {"title": "t", "body": "字" * 200_000, "channel": "website"})
    assert huge.status_code == 413
    assert huge.headers["content-type"].startswith("text/html")
    assert "提交的内容过大" in huge.text


def test_log_out_without_a_session_and_two_log_in_tabs_both_work(client: TestClient, room: Newsroom) -> None:
    stale = TestClient(client.app, cookies={SESSION_COOKIE: "expired-or-unknown"})
    answer = stale.post("/logout", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/login")
    visitor = Browser(client)
    first = Browser.token_of(visitor.get("/login").text)
    second = Browser.token_of(visitor.get("/login").text)
    assert first == second
    signed = visitor.client.post(
        "/login",
        data={"username": "alice", "password": PASSWORD, "csrf_token": first, "next": "/logout"},
        follow_redirects=False,
    )
    assert signed.headers["location"] == "/"  # never sent on to /logout
    page = visitor.get("/")
    assert page.headers["cache-control"] == "no-store"


def test_an_administrator_reactivates_an_account_and_reads_its_history(
    db: Database, room: Newsroom, browser: Callable[[str], Browser]
) -> None:
    boss = browser("boss")
    boss.post("/admin/users/pat/roles", {"roles": ["proofreader", "reviewer1"]})
    boss.post("/admin/users/pat/deactivate")
    again = boss.post("/admin/users/pat/reactivate")
    assert again.headers["location"] == "/admin/users/pat?done=reactivated"
    Browser(boss.client).log_in("pat")
    history = text_of(boss.get("/admin/users/pat"))
    for entry in ("创建账号", "角色变更", "校对、初审", "已停用", "重新启用"):
        assert entry in history, entry
    twice = boss.post("/admin/users/pat/reactivate")
    assert twice.status_code == 409


def test_an_auditor_takes_a_checkpoint_and_downloads_it(
    db: Database, room: Newsroom, browser: Callable[[str], Browser]
) -> None:
    published_draft(db, room)
    aud = browser("aud")
    assert "没有检查点时" in text_of(aud.get("/audit/verify"))
    assert aud.post("/audit/checkpoint").headers["location"] == "/audit?done=checkpoint"
    page = aud.get("/audit")
    link = re.search(r'href="(/audit/checkpoints/checkpoint-[^"]+)"', page.text)
    assert link
    saved = aud.get(link.group(1))
    assert saved.json()["checkpoint"]["format"] == "sanshen-checkpoint/1"
    assert "1 个检查点" in text_of(aud.get("/audit/verify"))
    assert aud.get("/audit/checkpoints/..%2Fsigning-key.pem").status_code == 404
    assert browser("alice").post("/audit/checkpoint").status_code == 403


SECRET = "各单位：\n机密★1年\n请于本月底前完成自查，联系电话13912345678。"


def test_the_draft_page_marks_pre_check_findings_and_a_fushen_reviewer_overrides_them(
    browser: Callable[[str], Browser], room: Newsroom, db: Database
) -> None:
    draft_id = submitted_draft(db, room, body=SECRET)
    approve_through(db, room, draft_id, until="review2")
    reviewer = browser("ren")
    page = reviewer.get(f"/drafts/{draft_id}")
    assert page.status_code == 200
    assert '<mark class="mark-block"' in page.text
    shown = text_of(page)
    assert "预检" in shown
    assert "3 条阻断" in shown
    assert "正文第 2 行第 1 字" in shown
    keys = re.findall(r'name="override:([^"]+)"', page.text)
    assert len(keys) == 3
    refused = reviewer.post(f"/drafts/{draft_id}/decision", decide_form("review2", 1))
    assert refused.status_code == 409
    assert "阻断性预检问题" in text_of(refused)
    for who in ("rui", "alice", "pat"):  # 初审, the author, a proofreader: no form, and refused if posted
        other = browser(who)
        assert "override:" not in other.get(f"/drafts/{draft_id}").text
        assert (
            other.post(
                f"/drafts/{draft_id}/overrides", {"revision": 1, f"override:{keys[0]}": "on", "reason": "x"}
            ).status_code
            == 403
        )
    no_reason = reviewer.post(
        f"/drafts/{draft_id}/overrides", {"revision": 1, f"override:{keys[0]}": "on", "reason": ""}
    )
    assert no_reason.status_code == 422
    assert "请填写放行理由" in text_of(no_reason)
    none_ticked = reviewer.post(f"/drafts/{draft_id}/overrides", {"revision": 1, "reason": "理由"})
    assert none_ticked.status_code == 422
    done = reviewer.post(
        f"/drafts/{draft_id}/overrides",
        {"revision": 1, "reason": "经保密办核实，可以公开。", **{f"override:{key}": "on" for key in keys}},
    )
    assert done.status_code == 303
    after = reviewer.get(done.headers["location"])
    assert "放行及其理由已记入审计轨迹" in text_of(after)
    assert "经保密办核实，可以公开。" in text_of(after)
    assert "override:" not in after.text
    assert reviewer.post(f"/drafts/{draft_id}/decision", decide_form("review2", 1)).status_code == 303
    trail = text_of(reviewer.get(f"/drafts/{draft_id}/trail"))
    assert "预检问题放行" in trail
    assert "经保密办核实，可以公开。" in trail


def test_a_clean_text_says_so_and_offers_no_override(
    browser: Callable[[str], Browser], room: Newsroom, db: Database
) -> None:
    draft_id = submitted_draft(db, room)
    page = browser("ren").get(f"/drafts/{draft_id}")
    assert "未发现问题" in text_of(page)
    assert "override:" not in page.text


def test_the_next_proofreader_sees_the_corrections_to_check_and_attests_hehong(
    browser: Callable[[str], Browser], room: Newsroom, db: Database
) -> None:
    draft_id = submitted_draft(db, room, body="各单位：\n请于本月低前完成自查。")
    first = browser("pat")
    form = first.get(f"/drafts/{draft_id}/edit").text
    saved = first.post(
        f"/drafts/{draft_id}/edit",
        {
            "title": "关于开展安全生产检查的通知",
            "body": "各单位：\n请于本月底前完成自查。",
            "revision": 1,
            "csrf_token": Browser.token_of(form),
        },
    )
    assert saved.status_code == 303, saved.text
    approve_through(db, room, draft_id, until="proof2")
    second = browser("peng")
    page = second.get(f"/drafts/{draft_id}")
    assert "核红" in text_of(page)
    assert "<del>低</del>" in page.text
    assert "<ins>底</ins>" in page.text
    assert 'name="check_hehong"' in page.text
    refused = second.post(f"/drafts/{draft_id}/decision", decide_form("proof2", 2))
    assert refused.status_code == 422
    assert "须勾选本环节要求的全部核查项" in text_of(refused)
    signed = second.post(f"/drafts/{draft_id}/decision", decide_form("proof2", 2, check_hehong="on"))
    assert signed.status_code == 303


def test_a_text_with_hundreds_of_findings_shows_every_blocking_one_and_the_first_warnings(
    browser: Callable[[str], Browser], room: Newsroom, db: Database
) -> None:
    draft_id = submitted_draft(db, room, body="各单位：" + "攻府，" * 400 + "\n机密★")
    page = browser("ren").get(f"/drafts/{draft_id}")
    assert page.status_code == 200
    assert "另有 101 条提示未在此显示" in text_of(page)
    assert page.text.count('<mark class="mark-warn"') == 299 * 2  # in the table and in the text
    assert "机密★" in text_of(page)


def test_the_queue_page_shows_fifty_at_a_time_and_home_counts_up_to_its_cap(
    db: Database, room: Newsroom, browser: Callable[[str], Browser], monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [submitted_draft(db, room) for _ in range(desk.QUEUE_PAGE + 1)]
    pat = browser("pat")
    first, second = pat.get("/queue"), pat.get("/queue?page=2")
    assert [f'href="/drafts/{i}"' in first.text for i in ids] == [True] * desk.QUEUE_PAGE + [False]
    assert 'href="/queue?page=2" rel="next"' in first.text
    assert 'rel="prev"' not in first.text
    assert f'href="/drafts/{ids[-1]}"' in second.text
    assert 'href="/queue?page=1" rel="prev"' in second.text
    assert 'rel="next"' not in second.text
    assert "Drafts 51–51" in text_of(pat.get("/queue?page=2&lang=en"))
    assert pat.get("/queue?page=0").status_code == 404
    assert "51 drafts wait for you" in text_of(pat.get("/?lang=en"))
    monkeypatch.setattr(desk, "QUEUE_COUNT_CAP", 50)
    assert "More than 50 drafts wait for you" in text_of(pat.get("/?lang=en"))

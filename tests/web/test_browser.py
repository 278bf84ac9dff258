"""A real browser (Debian's chromium, driven by Playwright) walks the whole life of a draft by the pages.

The author writes and submits; three proofreaders and three reviewers act from their queues — the
初审 returns it once, the author edits and resubmits; one proofreader works with JavaScript off; the
publisher publishes; the auditor reads the complete trail and verifies the record. Along the way:
HTML in the draft never runs, a refusal shows its reason (htmx swaps 4xx answers), the language
switch works, and no page logs a console error (a Content-Security-Policy violation would).
Screenshots of each main page, in zh-CN and in English, go to SANSHEN_SCREENSHOTS (or the test's
temporary folder).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from review.db import Database
from tests.conftest import home_with_key
from tests.factories import PASSWORD, make_user, newsroom
from tests.web.test_server import Server

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
if not CHROMIUM.exists():
    if os.environ.get("CI") == "true":
        raise pytest.UsageError("the browser tests need /usr/bin/chromium (make test installs it)")
    pytest.skip("no /usr/bin/chromium (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright  # noqa: E402

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
REFUSAL = re.compile(r"status of (409|422) |Response Status Error Code (409|422) ")
HOSTILE = '<script>window.__pwned = 1; alert("pwned")</script><img src=x onerror="window.__pwned = 2">'
CHECKS = {
    "review1": ["事实关", "文字关"],
    "review2": ["事实关", "政策关", "保密关"],
    "review3": ["政治关", "法律关", "保密关"],
}


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def server(db: Database, tmp_path: Path, db_url: str) -> Iterator[Server]:
    newsroom(db)
    make_user(db, "boss", "admin")
    running = Server(db_url, home_with_key(tmp_path / "home"))
    yield running
    running.stop()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SANSHEN_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Person:
    """One person at their own browser (own cookies), failing the test on any console error or dialog."""

    def __init__(self, chromium: Browser, server: Server, username: str, *, javascript: bool = True) -> None:
        self.context = chromium.new_context(
            base_url=server.url,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            viewport={"width": 1366, "height": 900},
            java_script_enabled=javascript,
        )
        self.page: Page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.page.on("dialog", self._dialog)
        self.page.goto("/login")
        self.page.get_by_label("用户名").fill(username)
        self.page.get_by_label("密码").fill(PASSWORD)
        self.page.get_by_role("button", name="登录").click()
        expect(self.page.get_by_role("button", name="退出")).to_be_visible()

    def _console(self, message: ConsoleMessage) -> None:
        """Any error counts, except the browser's and htmx's notes of a refusal the walk provokes."""
        refusal = REFUSAL.search(message.text)
        if message.type in ("error", "warning") and not refusal:
            self.problems.append(f"console {message.type}: {message.text}")

    def _dialog(self, dialog: object) -> None:
        message = getattr(dialog, "message", "")
        if "pwned" in message:
            self.problems.append(f"a script from the draft ran: {message}")
        dialog.accept()  # type: ignore[attr-defined]

    def open_from_queue(self, draft_id: int) -> None:
        self.nav("待办")
        expect(self.page).to_have_url(re.compile(r"/queue$"))
        self.page.locator(f'a[href="/drafts/{draft_id}"]').click()
        expect(self.page).to_have_url(re.compile(rf"/drafts/{draft_id}$"))

    def nav(self, name: str) -> None:
        self.page.get_by_role("navigation").get_by_role("link", name=name, exact=True).click()

    def decide(self, decision: str, opinion: str, checks: Sequence[str] = ()) -> None:
        self.page.get_by_label(decision, exact=True).check()
        for check in checks:
            self.page.get_by_label(check, exact=True).check()
        self.page.get_by_label("审稿意见（必填）").fill(opinion)
        self.page.get_by_role("button", name="签署我的决定").click()

    def shot(self, folder: Path, name: str) -> None:
        self.page.wait_for_load_state("networkidle")
        self.page.screenshot(path=str(folder / f"{name}.png"), full_page=True)

    def close(self) -> None:
        assert not self.problems, self.problems
        self.context.close()


def test_the_whole_life_of_a_draft_through_the_pages(chromium: Browser, server: Server, shots: Path) -> None:
    alice = Person(chromium, server, "alice")
    page = alice.page
    alice.shot(shots, "home-author-zh")
    alice.nav("写新稿")
    page.get_by_label("标题").fill("关于做好冬季供暖保障工作的通知")
    page.get_by_label("正文").fill(f"各区县人民政府：\n请确保居民供暖。{HOSTILE}")
    page.get_by_label("发布渠道").select_option("website")
    page.get_by_label("标签").fill("民生")
    alice.shot(shots, "new-draft-zh")
    page.get_by_role("button", name="保存稿件").click()
    expect(page.get_by_role("status")).to_contain_text("稿件已保存为第 1 版")
    draft_id = int(re.search(r"/drafts/(\d+)", page.url).group(1))  # type: ignore[union-attr]
    expect(page.locator(".body-text")).to_contain_text("<script>window.__pwned = 1;")
    assert page.evaluate("window.__pwned") is None
    page.get_by_role("button", name="提交送审").click()
    expect(page.get_by_role("status")).to_contain_text("已提交")

    pat = Person(chromium, server, "pat")
    pat.shot(shots, "queue-proofreader-zh")
    pat.open_from_queue(draft_id)
    pat.decide("同意", "一校无误。")
    expect(pat.page.get_by_role("status")).to_contain_text("您的决定已签署并留痕")
    expect(pat.page).to_have_url(re.compile(rf"/drafts/{draft_id}$"))  # the notice is shown once, not kept

    rui = Person(chromium, server, "rui")
    rui.open_from_queue(draft_id)
    rui.shot(shots, "decision-form-zh")
    rui.decide("退改", "请写明供暖起始日期。")
    expect(rui.page.get_by_role("status")).to_contain_text("您的决定已签署并留痕")

    page.reload()
    expect(page.get_by_role("heading", name="稿件已退回修改")).to_be_visible()
    expect(page.locator(".callout")).to_contain_text("请写明供暖起始日期。")
    alice.shot(shots, "returned-author-zh")
    page.get_by_role("link", name="编辑", exact=True).click()
    expect(page.locator(".hint")).to_contain_text("重新提交后，稿件将重新经过每一环节")
    page.get_by_label("正文").fill(f"各区县人民政府：\n请于11月15日起确保居民供暖。{HOSTILE}")
    page.get_by_role("button", name="保存为新修订版").click()
    expect(page.locator("#diff .diff-text ins").first).to_have_text("于11月15日起")
    alice.shot(shots, "diff-since-return-zh")
    page.get_by_role("link", name="左右对照").click()
    expect(page.locator(".diff-side")).to_be_visible()
    page.get_by_role("button", name="重新提交").click()
    expect(page.get_by_role("status")).to_contain_text("已提交")

    blind = Person(chromium, server, "pat", javascript=False)  # every form works without JavaScript
    blind.open_from_queue(draft_id)
    blind.decide("同意", "二轮一校无误。")
    expect(blind.page.get_by_role("status")).to_contain_text("您的决定已签署并留痕")
    blind.close()

    rui.open_from_queue(draft_id)
    rui.decide("同意", "事实已核。", ["事实关"])  # 文字关 left unticked: refused, and says why
    expect(rui.page.get_by_role("alert")).to_contain_text("须勾选本环节要求的全部核查项")
    expect(rui.page).to_have_url(re.compile(rf"/drafts/{draft_id}$"))  # not the form's …/decision
    expect(rui.page.get_by_label("审稿意见（必填）")).to_have_value("事实已核。")
    rui.shot(shots, "refused-missing-check-zh")
    rui.decide("同意", "事实已核。", ["文字关"])
    expect(rui.page.get_by_role("status")).to_contain_text("您的决定已签署并留痕")

    for who, step in (("peng", "proof2"), ("ren", "review2"), ("ping", "proof3"), ("rong", "review3")):
        signer = Person(chromium, server, who)
        signer.open_from_queue(draft_id)
        signer.decide("同意", "同意。", CHECKS.get(step, []))
        expect(signer.page.get_by_role("status")).to_contain_text("您的决定已签署并留痕")
        signer.close()

    pub = Person(chromium, server, "pub")
    pub.nav("发布")
    pub.shot(shots, "publish-desk-zh")
    pub.page.locator(f'form[action="/drafts/{draft_id}/publish"] button').click()
    expect(pub.page.get_by_role("status")).to_contain_text("已发布")
    pub.close()

    aud = Person(chromium, server, "aud")
    aud.page.goto(f"/drafts/{draft_id}/trail")
    events = aud.page.locator("ol.trail > li")
    expect(events.filter(has_text="签署含义")).to_have_count(8)
    expect(events.filter(has_text="初审 退改")).to_contain_text("请写明供暖起始日期。")
    expect(events.filter(has_text="终审 同意")).to_contain_text("法律关")
    expect(events.last).to_contain_text("发布")
    aud.shot(shots, "trail-auditor-zh")
    aud.nav("审计")
    aud.page.get_by_role("button", name="立即校验").click()
    expect(aud.page.locator("#verify-result")).to_contain_text("记录完整无损")
    aud.shot(shots, "audit-verified-zh")

    aud.page.get_by_role("link", name="English").click()
    expect(aud.page.get_by_role("heading", name="Audit")).to_be_visible()
    aud.page.goto(f"/drafts/{draft_id}")
    expect(aud.page.get_by_role("heading", name="Steps, cycle 2")).to_be_visible()
    aud.shot(shots, "draft-published-en")
    english = ((f"/drafts/{draft_id}/trail", "trail-auditor-en"), ("/", "home-auditor-en"), ("/drafts", "drafts-en"))
    for path, name in english:
        aud.page.goto(path)
        aud.shot(shots, name)
    aud.close()

    page.goto(f"/drafts/{draft_id}")
    expect(page.locator(".badge")).to_have_text("已发布")
    assert page.evaluate("window.__pwned") is None
    alice.close()
    pat.close()
    rui.close()


def test_english_pages_for_each_role(chromium: Browser, server: Server, shots: Path) -> None:
    """Screenshots of the main pages in English, with no console error on any of them."""
    for who, paths in (
        ("alice", ["/", "/drafts/new"]),
        ("pat", ["/queue"]),
        ("pub", ["/publish"]),
        ("aud", ["/audit"]),
        ("boss", ["/admin/users", "/admin/users/pat"]),
    ):
        person = Person(chromium, server, who)
        person.page.goto("/?lang=en")
        for path in paths:
            person.page.goto(path)
            expect(person.page.locator("html")).to_have_attribute("lang", "en")
            person.shot(shots, f"{who}-{path.strip('/').replace('/', '-') or 'home'}-en")
        person.close()

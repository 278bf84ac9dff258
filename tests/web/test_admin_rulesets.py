"""The pre-check rulesets page (/admin/rulesets), on both databases: who may see it, importing a pasted
list and an uploaded file, the imported terms in force at the next check, and refusals that change nothing."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from review.config import Settings
from review.db import Database
from review.prechecks.current import rules_in_force
from tests.conftest import home_with_key
from tests.factories import make_user, snapshot
from tests.web.conftest import Browser, text_of


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """The server's own body limit (6 MiB), which a word list may fill."""
    return Settings(database_url=db_url, home=home_with_key(tmp_path / "home"), password_profile="cheapest")


@pytest.fixture
def boss(client: TestClient, db: Database) -> Browser:
    make_user(db, "boss", "admin")
    make_user(db, "ren", "reviewer2")
    return Browser(client, "boss")


def send(person: Browser, fields: dict[str, str], file: bytes | None = None, *, csrf: bool = True) -> Response:
    """Post the import form as a browser does: multipart, with an empty file part when none is chosen."""
    data = {"kind": "terms", "severity": "", "category": "词表", "source": "", "text": ""} | fields
    if csrf:
        data["csrf_token"] = person.csrf
    upload = ("list.txt", file, "text/plain") if file is not None else ("", b"", "application/octet-stream")
    return person.client.post("/admin/rulesets", data=data, files={"file": upload}, follow_redirects=False)


def row_of(page: Response, ruleset: str) -> list[str]:
    """The cells of the ruleset's row in the table, as text."""
    row = next(r for r in re.findall(r"<tr>(.*?)</tr>", page.text, re.S) if f">{ruleset}</code>" in r)
    return [unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def rules_hit(db: Database, text: str) -> dict[str, str]:
    """The rules in force that find something in the text, with the severity they find it at."""
    with db.read() as session:
        return {finding.rule: finding.severity for finding in rules_in_force(session).scan(text)}


def test_only_an_administrator_sees_the_page_or_imports(client: TestClient, db: Database, boss: Browser) -> None:
    page = boss.get("/admin/rulesets")
    assert page.status_code == 200
    assert all(name in text_of(page) for name in ("预检规则集", "secrecy", "personal-data", "typos", "xinhua"))
    assert row_of(page, "secrecy")[1:3] == ["v1", "内置"]
    assert 'href="/admin/rulesets"' in boss.get("/").text
    ren = Browser(client, "ren")
    assert 'href="/admin/rulesets"' not in ren.get("/").text
    before = snapshot(db)
    refused = ren.get("/admin/rulesets")
    assert (refused.status_code, "无权访问" in text_of(refused)) == (403, True)
    posted = send(ren, {"name": "banned", "text": "内参\n"})
    assert (posted.status_code, "无权访问" in text_of(posted)) == (403, True)
    assert snapshot(db) == before


def test_an_administrator_imports_a_pasted_list_then_a_file_and_the_newest_is_in_force(
    db: Database, boss: Browser
) -> None:
    assert "banned.list" not in rules_hit(db, "这份内参不得外传。")
    listed = "内参\r\n# a comment\r\n\r\n小道消息\r\n内参\r\n"
    pasted = send(boss, {"name": "banned", "text": listed, "source": "办公室"})
    assert pasted.headers["location"] == "/admin/rulesets?done=imported&ruleset=banned&version=1"
    page = boss.get(pasted.headers["location"])
    assert "已导入规则集 banned 第 1 版，共 2 个词条，下次检查起生效。" in text_of(page)
    name, version, origin, rules, terms, _digest, by, _when = row_of(page, "banned")
    assert (name, version, origin, rules, terms, by) == ("banned", "v1", "导入", "1", "2", "boss 全名")
    assert rules_hit(db, "这份内参不得外传。")["banned.list"] == "warn"

    uploaded = send(boss, {"name": "banned", "severity": "block"}, "\ufeff路边社\n".encode())
    assert uploaded.headers["location"] == "/admin/rulesets?done=imported&ruleset=banned&version=2"
    english = boss.get(uploaded.headers["location"] + "&lang=en")
    assert "Ruleset banned version 2 is imported with 1 entry; it is in force from the next check." in text_of(english)
    assert row_of(english, "banned")[1:5] == ["v2", "imported", "1", "1"]
    assert rules_hit(db, "据路边社消息。") == {"banned.list": "block"}
    assert "banned.list" not in rules_hit(db, "这份内参不得外传。")

    names = send(boss, {"name": "leaders", "kind": "names", "category": "政治"}, "王建国\n李卫东\n".encode())
    assert names.status_code == 303
    assert rules_hit(db, "王建果同志出席会议。") == {"leaders.list": "block"}


def test_the_notice_comes_from_the_database_not_the_address(boss: Browser) -> None:
    for query in ("ruleset=banned&version=1", "ruleset=secrecy&version=1", "ruleset=x&version=99999999999"):
        page = boss.get(f"/admin/rulesets?done=imported&{query}")
        assert page.status_code == 200
        assert "已导入规则集" not in text_of(page)


@pytest.mark.parametrize(
    ("fields", "file", "says"),
    [
        ({"name": "banned"}, None, "请粘贴词表，或选择要上传的文件"),
        ({"name": "banned", "text": "  \n# only a comment\n"}, None, "the word list has no terms"),
        ({"name": "banned"}, b"", "the word list has no terms"),
        ({"name": "banned", "text": "内参\n"}, "小道消息\n".encode(), "粘贴词表与上传文件只能二选一"),
        ({"name": "secrecy", "text": "内参\n"}, None, "'secrecy' is a shipped ruleset"),
        ({"name": "personal_data", "text": "内参\n"}, None, "would give its rules the ids of ruleset 'personal-data'"),
        ({"name": "Banned Words", "text": "内参\n"}, None, "规则集名称为 1 至 32 个小写字母"),
        ({"name": "banned"}, "内参\n".encode("gbk"), "文件不是 UTF-8 文本"),
        ({"name": "banned", "text": "内参\n内\u202e参\n"}, None, "line 2 contains the invisible character U+202E"),
        ({"name": "leaders", "kind": "names", "text": "王\n"}, None, "a name has 2 to 8 visible characters"),
        ({"name": "banned", "kind": "everything", "text": "内参\n"}, None, "kind: Input should be 'terms' or 'names'"),
    ],
)
def test_bad_input_is_refused_with_its_reason_keeps_what_was_typed_and_imports_nothing(
    db: Database, boss: Browser, fields: dict[str, str], file: bytes | None, says: str
) -> None:
    before = snapshot(db)
    answer = send(boss, fields | {"source": "办公室 <名单>"}, file)
    assert answer.status_code == 422
    assert says in text_of(answer)
    assert "已导入规则集" not in text_of(answer)
    assert f'name="name" value="{fields["name"]}"' in answer.text
    assert 'value="办公室 &lt;名单&gt;"' in answer.text
    typed = answer.text.split('name="text"', 1)[1].split("</textarea>", 1)[0].split(">", 1)[1]
    assert unescape(typed) == fields.get("text", "")
    assert snapshot(db) == before


def test_an_import_without_the_csrf_token_is_refused(db: Database, boss: Browser) -> None:
    before = snapshot(db)
    missing = send(boss, {"name": "banned"}, "内参\n".encode(), csrf=False)
    forged = send(boss, {"name": "banned", "csrf_token": "forged"}, "内参\n".encode(), csrf=False)
    for answer in (missing, forged):
        assert (answer.status_code, "此表单已过期" in text_of(answer)) == (403, True)
    assert snapshot(db) == before


def test_a_pasted_list_may_be_larger_than_starlettes_limit_for_a_form_field(db: Database, boss: Browser) -> None:
    terms = "\n".join(f"词条{index:06d}" for index in range(100_000))
    assert len(terms.encode()) > 1024 * 1024
    assert send(boss, {"name": "many", "text": terms}).status_code == 303
    assert rules_hit(db, "见词条099999。") == {"many.list": "warn"}

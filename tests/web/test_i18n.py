"""The pages speak zh-CN first: every message id in the templates and the web layer has its Chinese."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from review.config import PROJECT_DIR
from web import i18n
from web.messages import HEADLINES

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def extracted() -> set[str | tuple[str, str]]:
    ids: set[str | tuple[str, str]] = set()
    method_map = [("web/**.py", "python"), ("web/templates/**.html", "jinja2")]
    options = {"web/templates/**.html": {"trimmed": "true"}}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    for _file, _line, message, _comments, _context in extract_from_dir(
        PROJECT_DIR, method_map, options, keywords=keywords
    ):
        ids.add(message if isinstance(message, str) else (message[0], message[1]))
    return ids


def catalogue() -> dict[str | tuple[str, str], str | tuple[str, ...]]:
    with i18n.CATALOGUE.open("rb") as source:
        catalog = read_po(source)
    assert not catalog.fuzzy
    return {message.id: message.string for message in catalog if message.id}


def test_every_message_is_translated_and_none_is_left_over() -> None:
    ids, translated = extracted(), catalogue()
    assert len(ids) > 200
    missing = sorted(str(m) for m in ids - set(translated))
    assert not missing, f"run `make messages` and translate: {missing}"
    assert not sorted(str(m) for m in set(translated) - ids), "obsolete entries: run `make messages`"
    empty = [str(key) for key, value in translated.items() if not value or not all(value)]
    assert not empty


def test_translations_keep_every_placeholder() -> None:
    for key, value in catalogue().items():
        source = key if isinstance(key, str) else key[1]
        for text in [value] if isinstance(value, str) else value:
            assert set(PLACEHOLDER.findall(text)) <= set(PLACEHOLDER.findall(source)) | {"num"}, (key, text)
            assert set(PLACEHOLDER.findall(source)) - {"num"} <= set(PLACEHOLDER.findall(text)), (key, text)


@pytest.mark.parametrize(
    ("query", "cookie", "header", "chosen"),
    [
        (None, None, None, "zh-CN"),
        (None, None, "en-US,en;q=0.9", "en"),
        (None, None, "zh-TW,zh;q=0.9,en;q=0.8", "zh-CN"),
        (None, None, "fr-FR, en;q=0.5, zh;q=0.4", "en"),
        (None, None, "en;q=0, zh-CN;q=0.1", "zh-CN"),
        (None, None, "de, fr", "zh-CN"),
        (None, "en", "zh-CN", "en"),
        ("zh-CN", "en", "en", "zh-CN"),
        ("klingon", "en", "zh", "en"),
        (None, None, "en;q=bogus, zh;q=0.2", "zh-CN"),
    ],
)
def test_the_language_is_chosen_by_query_then_cookie_then_browser(
    query: str | None, cookie: str | None, header: str | None, chosen: str
) -> None:
    assert i18n.negotiate(query, cookie, header) == chosen


def test_the_catalogue_compiles_and_translates() -> None:
    language = i18n.Language("zh-CN", i18n.zone(None, "Asia/Shanghai"))
    assert language.gettext("Log in") == "登录"
    assert language.ngettext("%(num)d draft", "%(num)d drafts", 3) == "共 %(num)d 篇稿件"
    english = i18n.Language("en", i18n.zone("Europe/Berlin", "Asia/Shanghai"))
    assert english.gettext("Log in") == "Log in"
    assert english.tz.key == "Europe/Berlin"
    assert i18n.zone("Not/AZone", "Asia/Shanghai").key == "Asia/Shanghai"
    assert Path(i18n.CATALOGUE).is_file()


NOT_ON_PAGES = {
    # tokens, workflow files, set-up and command-line matters: the pages never meet these
    "already_revoked", "ambiguous_workflow", "bad_public_key", "invalid_expiry", "no_token", "not_initialised",
    "schema_outdated", "token_not_found", "unknown_workflow", "workflow_dup", "workflow_folder_empty",
    "workflow_folder_missing", "workflow_invalid", "workflow_unreadable", "workflow_version_not_found",
    # backup and restore are commands at the server's terminal
    "backup_exists", "backup_failed", "backup_folder_missing", "backup_invalid", "backup_missing",
    "backup_tool_missing", "backup_unsupported", "restore_failed", "restore_would_replace",
}  # fmt: skip


def test_every_refusal_a_page_can_meet_has_a_headline_in_both_languages() -> None:
    raised = set()
    for path in (PROJECT_DIR / "review").rglob("*.py"):
        raised |= set(re.findall(r'code="([a-z_]+)"', path.read_text(encoding="utf-8")))
    raised |= {"comment_required_too_long", "reason_required_too_long", "already_published", "already_retracted"}
    assert not sorted(raised - NOT_ON_PAGES - set(HEADLINES)), "give each a headline in web/messages.py"
    translated = catalogue()
    assert all(translated.get(message) for message in HEADLINES.values())

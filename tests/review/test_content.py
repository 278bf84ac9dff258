"""The canonical text and its hash: what a signature binds (R31)."""

from __future__ import annotations

import hashlib
import subprocess

from review.content import clean_body, clean_tags, clean_title, content_hash


def test_the_hash_is_sha256_of_title_newline_body_as_documented() -> None:
    title, body = "关于开展安全生产检查的通知", "各单位：\n请于本月底前完成自查。"
    assert content_hash(title, body) == hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()
    printed = subprocess.run(
        ["sh", "-c", 'printf "%s\\n%s" "$0" "$1" | sha256sum', title, body], capture_output=True, text=True, check=True
    )
    assert printed.stdout.split()[0] == content_hash(title, body)


def test_line_endings_become_newlines_and_nothing_else_changes() -> None:
    assert clean_body("第一段\r\n第二段\r第三段  \n") == "第一段\n第二段\n第三段  \n"
    assert clean_title("  标题  ") == "标题"


def test_tags_are_lowercase_sorted_and_unique() -> None:
    assert clean_tags(["Specialist", "政策", "specialist", " "]) == ["specialist", "政策"]

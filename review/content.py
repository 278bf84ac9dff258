"""The text of a draft: validation, canonical form and its SHA-256.

The content hash binds a signature to an exact text (R31). It is the SHA-256 of the UTF-8 bytes of
`title + "\\n" + body`, where the title has no line breaks and the body's line breaks are `\\n`. Both
are stored in that canonical form, so anyone can recompute the hash from an export:
`printf '%s\\n%s' "$TITLE" "$BODY" | sha256sum`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from enum import StrEnum
from typing import TypeVar

from review.errors import Invalid

Choice = TypeVar("Choice", bound=StrEnum)

TITLE_MAX = 200
BODY_MAX = 500_000
COMMENT_MAX = 10_000
REASON_MAX = 2_000
TAG_MAX = 32
TAGS_MAX = 20

_TAG = re.compile(r"[\w\-]+")


def content_hash(title: str, body: str) -> str:
    return hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()


_BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
_ONE_LINE_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029" + _BIDI_CONTROLS + "]")
_TEXT_FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029" + _BIDI_CONTROLS + "]")
_FORMAT_CHARACTER = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u180e\u200b-\u200f\u2060-\u2064\u206a-\u206f\ufeff\ufff9-\ufffb]"
)


def _check_characters(text: str, what: str, *, allow_newlines: bool) -> None:
    """Refuse invalid Unicode, control characters, line separators and bidirectional overrides.

    Bidi overrides (U+202A–U+202E, U+2066–U+2069) can make text read differently from what is stored
    and signed. A one-line value (a title, a name) also refuses every invisible format character.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise Invalid(f"{what} is not valid Unicode text", code="invalid_text") from None
    found = (_TEXT_FORBIDDEN if allow_newlines else _ONE_LINE_FORBIDDEN).search(text)
    if found is None and not allow_newlines:
        found = next((m for m in _FORMAT_CHARACTER.finditer(text)), None)
    if found:
        char = found.group()
        shown = "a line break" if char in "\r\n\u2028\u2029" else f"the invisible character U+{ord(char):04X}"
        raise Invalid(f"{what} contains {shown}, which is not allowed", code="invalid_text")


def check_one_line(text: str, what: str) -> None:
    """For names and other one-line values shown beside a signature."""
    _check_characters(text, what, allow_newlines=False)


def clean_title(title: str) -> str:
    title = title.strip()
    if not title:
        raise Invalid("the title is empty", code="title_empty")
    if len(title) > TITLE_MAX:
        raise Invalid(f"the title has {len(title)} characters; the limit is {TITLE_MAX}", code="title_too_long")
    _check_characters(title, "the title", allow_newlines=False)
    return title


def clean_body(body: str) -> str:
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    if not body.strip():
        raise Invalid("the body is empty", code="body_empty")
    if len(body) > BODY_MAX:
        raise Invalid(f"the body has {len(body)} characters; the limit is {BODY_MAX}", code="body_too_long")
    _check_characters(body, "the body", allow_newlines=True)
    return body


def clean_text(text: str, *, what: str, code: str, limit: int) -> str:
    """An opinion (审稿意见) or a reason: required, non-blank, bounded (R7, R25)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise Invalid(f"{what} is required and may not be blank", code=code)
    if len(text) > limit:
        raise Invalid(f"{what} has {len(text)} characters; the limit is {limit}", code=f"{code}_too_long")
    _check_characters(text, what, allow_newlines=True)
    return text


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Tags are compared case-insensitively; they are kept sorted and without duplicates."""
    cleaned: set[str] = set()
    for tag in tags:
        tag = tag.strip().lower()
        if not tag:
            continue
        if len(tag) > TAG_MAX or not _TAG.fullmatch(tag):
            raise Invalid(
                f"tag {tag[:TAG_MAX]!r} is not valid: use up to {TAG_MAX} letters, digits, '_' or '-'",
                code="invalid_tag",
            )
        cleaned.add(tag)
    if len(cleaned) > TAGS_MAX:
        raise Invalid(f"a draft may have at most {TAGS_MAX} tags", code="too_many_tags")
    return sorted(cleaned)


def parse_choice(kind: type[Choice], value: str, *, what: str, code: str) -> Choice:
    """One of a closed vocabulary (importance, medium …), or a refusal naming the values there are."""
    try:
        return kind(value)
    except ValueError:
        known = ", ".join(choice.value for choice in kind)
        raise Invalid(f"unknown {what} {value!r}; use one of {known}", code=code) from None

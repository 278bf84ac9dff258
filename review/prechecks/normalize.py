"""The text rules match on, with a map back to the original.

Three steps, each keeping offsets: NFKC per character (full-width ASCII becomes ASCII, "１３８" is "138");
invisible characters are removed (zero-width spaces and joiners, soft hyphens, direction marks, variation
selectors: every format character); spaces and punctuation between two CJK characters are removed, so
"敏 感", "敏*感" and "敏_感" match "敏感". The ordinary punctuation of running text (，。、；：！？ quotes
and brackets) is kept: ignoring it would let "农村。长期" match "村长" across a sentence. Symbols such as
★ are kept too: a 密级 mark is made of them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache

_IGNORABLE_EXTRA = frozenset("\u034f\u115f\u1160\u3164\uffa0")
"""Invisible characters that are not format characters (Cf): the combining grapheme joiner and Hangul fillers."""


def is_cjk(char: str) -> bool:
    code = ord(char)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x20000 <= code <= 0x3134F
        or 0xF900 <= code <= 0xFAFF
        or code == 0x3007
    )


_RUNNING_TEXT_PUNCTUATION = frozenset("，。、；：！？“”‘’「」『』《》〈〉（）【】〔〕…—·,.;:!?\"'()[]{}")


@cache
def _is_separator(char: str) -> bool:
    """Whitespace (not a line break) or punctuation that does not end or structure a phrase."""
    if char == "\n":
        return False
    category = unicodedata.category(char)
    return category[0] == "Z" or char == "\t" or (category[0] == "P" and char not in _RUNNING_TEXT_PUNCTUATION)


def _invisible(char: str) -> bool:
    """Format characters (zero-width spaces and joiners, soft hyphen, direction marks, invisible
    operators …), variation selectors and the few other characters that render as nothing."""
    code = ord(char)
    return (
        unicodedata.category(char) == "Cf"
        or 0xFE00 <= code <= 0xFE0F
        or 0xE0100 <= code <= 0xE01EF
        or char in _IGNORABLE_EXTRA
    )


@cache
def _nfkc(char: str) -> str:
    return "" if _invisible(char) else unicodedata.normalize("NFKC", char)


@dataclass(frozen=True)
class Normalized:
    text: str
    starts: tuple[int, ...]
    """For each character of `text`, the offset in the original of the character it came from."""

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that `text[start:end]` (non-empty) came from."""
        return self.starts[start], self.starts[end - 1] + 1


def normalize(original: str) -> Normalized:
    chars: list[str] = []
    starts: list[int] = []
    for offset, char in enumerate(original):
        pieces = _nfkc(char)
        if pieces == char:
            chars.append(char)
            starts.append(offset)
            continue
        for piece in pieces:
            chars.append(piece)
            starts.append(offset)
    separators = [_is_separator(char) for char in chars]
    if not any(separators):
        return Normalized(text="".join(chars), starts=tuple(starts))
    keep = [True] * len(chars)
    index = 0
    while index < len(chars):
        if separators[index]:
            run_end = index
            while run_end < len(chars) and separators[run_end]:
                run_end += 1
            if index > 0 and run_end < len(chars) and is_cjk(chars[index - 1]) and is_cjk(chars[run_end]):
                for dropped in range(index, run_end):
                    keep[dropped] = False
            index = run_end
        else:
            index += 1
    return Normalized(
        text="".join(c for c, k in zip(chars, keep, strict=True) if k),
        starts=tuple(s for s, k in zip(starts, keep, strict=True) if k),
    )


def normalize_term(term: str) -> str:
    """A term as it is matched: the same steps as the text, so "政 府" in a list still finds "政府"."""
    return normalize(term).text

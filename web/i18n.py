"""Languages of the pages: zh-CN first, English second, through gettext catalogues (Babel).

Message ids are English; `web/translations/zh_CN/LC_MESSAGES/messages.po` gives the Chinese. The
catalogue is compiled in memory when the app starts (no build step, no binary in the repository);
`make messages` re-extracts the ids after templates change, and a test fails while any is untranslated.

The language of a request: `?lang=zh-CN|en`, else the `sanshen_lang` cookie a switch sets, else the
browser's `Accept-Language` (any `zh*` is zh-CN), else zh-CN. Times are shown in the browser's time
zone (a cookie `static/app.js` sets) or the office's, with UTC beside them where a record is concerned.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from functools import cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

from babel import Locale
from babel.dates import format_datetime, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"
LANG_COOKIE = "sanshen_lang"
TZ_COOKIE = "sanshen_tz"
CATALOGUE = Path(__file__).parent / "translations" / "zh_CN" / "LC_MESSAGES" / "messages.po"
_QUALITY = re.compile(r"^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$")


def N_(message: str) -> str:
    """Mark a message for the catalogue where it is defined; it is translated where it is shown."""
    return message


@cache
def _zh_cn() -> Translations:
    with CATALOGUE.open("rb") as source:
        catalog = read_po(source, locale="zh_CN")
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled)


def translations(language: str) -> NullTranslations:
    return _zh_cn() if language == "zh-CN" else NullTranslations()


def babel_locale(language: str) -> Locale:
    return Locale.parse("zh_Hans_CN" if language == "zh-CN" else "en")


def language_from_tag(tag: str | None) -> str | None:
    """`zh`, `zh-CN`, `zh-Hans-CN` … → zh-CN; `en`, `en-GB` … → en; anything else → None."""
    if not tag:
        return None
    primary = tag.strip().lower().replace("_", "-").split("-")[0]
    return {"zh": "zh-CN", "en": "en"}.get(primary)


def negotiate(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    for chosen in (query, cookie):
        language = language_from_tag(chosen)
        if language:
            return language
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")[:32]):
        tag, _, parameters = part.partition(";")
        weight = 1.0
        if parameters:
            match = _QUALITY.match(parameters)
            weight = float(match.group(1)) if match else 0.0
        language = language_from_tag(tag)
        if language and weight > 0:
            ranked.append((-weight, position, language))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone(cookie: str | None, office: str) -> ZoneInfo:
    """The browser's time zone if it told us one we know, else the office's."""
    return ZoneInfo(cookie if cookie and cookie in _known_zones() else office)


class Language:
    """What a request renders with: translations, locale and time zone, current for the request."""

    def __init__(self, code: str, tz: ZoneInfo) -> None:
        self.code = code
        self.tz = tz
        self.translations = translations(code)
        self.locale = babel_locale(code)

    def gettext(self, message: str) -> str:
        return self.translations.ugettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ungettext(singular, plural, n)

    def when(self, moment: datetime) -> str:
        """A time as people read it: in their zone, in their language."""
        return format_datetime(moment, "medium", tzinfo=self.tz, locale=self.locale)

    def waited(self, seconds: int) -> str:
        return format_timedelta(timedelta(seconds=seconds), threshold=1.1, locale=self.locale)

    def pick(self, zh: str, en: str) -> str:
        """A label the data carries in both languages (a workflow step, a channel, a role)."""
        return zh if self.code == "zh-CN" else en


_current: ContextVar[Language] = ContextVar("language")


@contextmanager
def speaking(language: Language) -> Iterator[Language]:
    token = _current.set(language)
    try:
        yield language
    finally:
        _current.reset(token)


def current() -> Language:
    return _current.get()


def gettext(message: str) -> str:
    return _current.get().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _current.get().ngettext(singular, plural, n)

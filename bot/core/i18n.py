"""Message catalogues (gettext .po files read with Babel) and locale negotiation.

The .po files are compiled in memory at start-up, so no binary .mo file is kept in the repo.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

DOMAIN = "knowpay"
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
SUPPORTED_LOCALES = ("en", "zh_CN")


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, where the reader's locale is known."""
    return message


@cache
def _translations(locale: str) -> gettext.NullTranslations:
    po_path = LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_path.exists():
        return gettext.NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=locale, domain=DOMAIN)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


@dataclass(frozen=True)
class Translator:
    """Everything a handler needs to speak one locale."""

    locale: str

    def gettext(self, message: str, /, **values: object) -> str:
        text = _translations(self.locale).gettext(message)
        return text.format(**values) if values else text

    def ngettext(self, singular: str, plural: str, n: int, /, **values: object) -> str:
        text = _translations(self.locale).ngettext(singular, plural, n)
        return text.format(n=self.number(n), **values)

    def number(self, value: int | float) -> str:
        return format_decimal(value, locale=self.locale)

    def duration(self, value: timedelta) -> str:
        """`3 hours`, `2 days`: rounded the way people say it."""
        return format_timedelta(value, locale=self.locale)

    def datetime(self, value: object, pattern: str = "yyyy-MM-dd HH:mm zzz") -> str:
        return format_datetime(value, pattern, locale=self.locale)  # type: ignore[arg-type]


def negotiate(tag: str | None) -> str | None:
    """Map a platform's language tag (Discord `zh-CN`, Telegram `zh-hans`, `en-US`, a LANG
    value like `zh_CN.UTF-8`) to a supported locale, or None when we do not speak it."""
    if not tag:
        return None
    cleaned = tag.split(".")[0].split("@")[0].replace("-", "_")
    if cleaned in {"C", "POSIX"}:
        return None
    try:
        locale = Locale.parse(cleaned)
    except (ValueError, UnknownLocaleError):
        return None
    for supported in SUPPORTED_LOCALES:
        if Locale.parse(supported).language == locale.language:
            return supported
    return None

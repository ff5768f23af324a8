"""Message catalogues: every user-facing text is translated, placeholders survive translation,
and locale negotiation maps platform language tags to the locales we speak."""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from bot.core.i18n import DOMAIN, LOCALES_DIR, Translator, negotiate

REPO = Path(__file__).resolve().parent.parent
SOURCE_DIRS = ("bot", "cogs", "payments")
# `pybabel extract -k N_ -k _ -k gettext -k ngettext:1,2` (the Makefile's `locales` target)
# adds these keywords to Babel's defaults, so the test does the same.
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "_": None, "gettext": None, "ngettext": (1, 2)}

SLOW_DOWN = (
    "Slow down a little: try again in {n} second.",
    "Slow down a little: try again in {n} seconds.",
)


@cache
def zh_catalog() -> Catalog:
    with (LOCALES_DIR / "zh_CN" / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as po_file:
        return read_po(po_file, locale="zh_CN", domain=DOMAIN)


@cache
def extracted() -> dict[tuple[str | tuple[str, ...], str | None], str]:
    """Each message found in the source, with where it was first seen."""
    found: dict[tuple[str | tuple[str, ...], str | None], str] = {}
    for directory in SOURCE_DIRS:
        for filename, lineno, message, _comments, context in extract_from_dir(
            REPO / directory, keywords=KEYWORDS
        ):
            found.setdefault((message, context), f"{directory}/{filename}:{lineno}")
    return found


def zh_entries() -> list[Message]:
    return [message for message in zh_catalog() if message.id]


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def as_tuple(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def test_extraction_finds_messages() -> None:
    messages = {message for message, _context in extracted()}
    assert "Type a command, for example /help." in messages
    assert "paid member" in messages  # marked with N_()
    assert SLOW_DOWN in messages  # ngettext keeps both forms


def test_every_extracted_message_is_translated_in_zh_cn() -> None:
    catalog = zh_catalog()
    problems = []
    for (message, context), where in sorted(extracted().items(), key=lambda item: item[1]):
        ids = as_tuple(message)
        entry = catalog.get(ids[0], context=context)
        if entry is None:
            problems.append(f"{where}: {ids[0]!r} is missing (run `make locales`)")
            continue
        if entry.fuzzy:
            problems.append(f"{where}: {ids[0]!r} is marked fuzzy")
        if as_tuple(entry.id) != ids:
            problems.append(f"{where}: {ids[0]!r} has a stale plural form (run `make locales`)")
        translations = as_tuple(entry.string)
        expected = catalog.num_plurals if len(ids) > 1 else 1
        if len(translations) != expected or not all(t.strip() for t in translations):
            problems.append(f"{where}: {ids[0]!r} has no complete translation")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("entry", zh_entries(), ids=lambda entry: as_tuple(entry.id)[0][:40])
def test_zh_cn_keeps_placeholders(entry: Message) -> None:
    wanted = set().union(*(placeholders(text) for text in as_tuple(entry.id)))
    for translation in as_tuple(entry.string):
        if translation:
            assert placeholders(translation) == wanted, translation


def test_zh_cn_gettext_translates() -> None:
    english = "Type a command, for example /help."
    assert Translator("zh_CN").gettext(english) == "请输入一个命令，比如 /help。"


def test_zh_cn_gettext_fills_placeholders() -> None:
    text = Translator("zh_CN").gettext("You are member #{id} ({name}).", id=7, name="Alice")
    assert text == "你是 #7 号成员（Alice）。"


def test_en_gettext_returns_english() -> None:
    english = "Type a command, for example /help."
    assert Translator("en").gettext(english) == english
    # the en msgstrs are left empty, so gettext falls back to the msgid
    assert Translator("en").gettext("Role: {role}", role="admin") == "Role: admin"


def test_en_ngettext() -> None:
    translator = Translator("en")
    assert translator.ngettext(*SLOW_DOWN, 1) == "Slow down a little: try again in 1 second."
    assert translator.ngettext(*SLOW_DOWN, 5) == "Slow down a little: try again in 5 seconds."


def test_zh_cn_ngettext() -> None:
    translator = Translator("zh_CN")
    # One plural form in Chinese.
    assert translator.ngettext(*SLOW_DOWN, 1) == "慢一点哦，请 1 秒后再试。"
    assert translator.ngettext(*SLOW_DOWN, 5) == "慢一点哦，请 5 秒后再试。"


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("zh-CN", "zh_CN"),  # Discord
        ("zh-hans", "zh_CN"),  # Telegram
        ("zh_CN.UTF-8", "zh_CN"),  # LANG
        ("zh-TW", "zh_CN"),  # any Chinese is served Simplified Chinese
        ("zh", "zh_CN"),
        ("en-US", "en"),
        ("en_GB.UTF-8", "en"),
        ("en", "en"),
        ("fr", None),
        ("C", None),
        ("POSIX", None),
        ("C.UTF-8", None),
        ("", None),
        (None, None),
        ("not a tag!", None),
    ],
)
def test_negotiate(tag: str | None, expected: str | None) -> None:
    assert negotiate(tag) == expected

"""Values people type into commands, read strictly: an amount of money, a length of time, the
label of a drop or a question. What does not read is refused with a reason (an untranslated
message id and its values), never guessed at."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from babel.numbers import get_currency_symbol

from bot.core.i18n import N_, SUPPORTED_LOCALES
from bot.core.money import STARS, Money, is_known_currency, parse_major


class Unreadable(ValueError):
    """Typed text that is not a value of its kind; `message` is an untranslated id whose
    placeholders `values` fill (str() gives the English reason)."""

    def __init__(self, message: str, /, **values: object) -> None:
        super().__init__(message.format(**values) if values else message)
        self.message = message
        self.values = values


# ---- money ------------------------------------------------------------------------------------

_NUMBER = r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+"
_CODE_AFTER = re.compile(rf"(?P<number>{_NUMBER})\s*(?P<unit>[^\s0-9.]+)")
_UNIT_BEFORE = re.compile(rf"(?P<unit>[^\s0-9.+-]+)\s*(?P<number>{_NUMBER})")
_PLAIN = re.compile(_NUMBER)
# Symbols that name one currency wherever they are written.
_ONE_CURRENCY = {
    "€": "eur",
    "£": "gbp",
    "₹": "inr",
    "₩": "krw",
    "₽": "rub",
    "₺": "try",
    "⭐": STARS,
}


def read_money(text: str, currency: str) -> Money:
    """`25`, `25.50`, `25 usd`, `25usd`, `usd 25`, `$25`, `¥25`, `300 ⭐`: an amount in major
    units, in `currency` (the community's) unless it names another one. More than zero."""
    typed = " ".join(text.split())
    if typed.startswith("-"):
        raise Unreadable(N_("The amount must be more than zero."))
    if _PLAIN.fullmatch(typed):
        number, code = typed, currency
    elif match := _CODE_AFTER.fullmatch(typed) or _UNIT_BEFORE.fullmatch(typed):
        number, code = match["number"], _currency_of(match["unit"], currency, typed)
    else:
        raise Unreadable(N_("“{typed}” is not an amount."), typed=_shown(typed))
    try:
        money = parse_major(number, code)
    except ValueError:
        raise Unreadable(
            N_("“{typed}” has more decimal places than {currency} allows."),
            typed=_shown(typed),
            currency=code.upper(),
        ) from None
    if money.minor <= 0:
        raise Unreadable(N_("The amount must be more than zero."))
    return money


def _currency_of(unit: str, community: str, typed: str) -> str:
    """The currency a code or a symbol names; the community's own when it is written that way."""
    if is_known_currency(unit) and unit.isascii():
        return unit.lower()
    if unit in _ONE_CURRENCY:
        return _ONE_CURRENCY[unit]
    if unit in _symbols(community):
        return community
    raise Unreadable(
        N_("“{typed}”: write the currency as a code, like 25 usd or 25 cny."), typed=_shown(typed)
    )


@cache
def _symbols(currency: str) -> frozenset[str]:
    """How readers of our languages write `currency`: `$` and `US$`, `¥` and `CN¥`..."""
    if currency == STARS:
        return frozenset({"⭐"})
    return frozenset(
        get_currency_symbol(currency.upper(), locale=locale) for locale in SUPPORTED_LOCALES
    ) | {get_currency_symbol(currency.upper(), locale="en_US")}


# ---- lengths of time --------------------------------------------------------------------------


@dataclass(frozen=True)
class Duration:
    """How long something lasts: a number of days, or for life (`days` None)."""

    days: int | None

    @property
    def lifetime(self) -> bool:
        return self.days is None

    @property
    def delta(self) -> timedelta | None:
        return None if self.days is None else timedelta(days=self.days)


LIFETIME_WORDS = ("lifetime", "forever", "life")
MOST_DAYS = 100 * 365
_DURATION = re.compile(r"(?P<count>[0-9]+)\s*(?P<unit>d|days?|w|weeks?|mo|months?|y|years?)?")
_UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}


def read_duration(text: str) -> Duration:
    """`30d` (or `30`: days), `2w`, `3mo` (30 days each), `1y` (365 days), `lifetime`."""
    typed = " ".join(text.lower().split())
    if typed in LIFETIME_WORDS:
        return Duration(None)
    match = _DURATION.fullmatch(typed)
    if match is None:
        if typed.startswith("-"):
            raise Unreadable(N_("A length of time must be more than zero."))
        raise Unreadable(N_("“{typed}” is not a length of time."), typed=_shown(text))
    count = int(match["count"]) if len(match["count"]) <= 6 else MOST_DAYS + 1
    days = count * _UNIT_DAYS[(match["unit"] or "d")[0]]
    if days <= 0:
        raise Unreadable(N_("A length of time must be more than zero."))
    if days > MOST_DAYS:
        raise Unreadable(N_("A length of time is at most 100 years; for ever, write lifetime."))
    return Duration(days)


# ---- labels of contents -----------------------------------------------------------------------

DROP, QUESTION = "drop", "question"
_DROP_LABEL = re.compile(r"[dD](?P<id>[0-9]{1,18})")
_QUESTION_LABEL = re.compile(r"[#qQ]?(?P<id>[0-9]{1,18})")


@dataclass(frozen=True)
class Label:
    """A drop (`D7`) or a paid question (`#12`) named in a command."""

    kind: str
    id: int

    def __str__(self) -> str:
        return f"D{self.id}" if self.kind == DROP else f"#{self.id}"


def read_label(text: str, kinds: tuple[str, ...]) -> Label:
    """`D7` for a drop, `#12` or `12` for a question, among `kinds`."""
    typed = text.strip()
    if DROP in kinds and (match := _DROP_LABEL.fullmatch(typed)):
        return Label(DROP, int(match["id"]))
    if QUESTION in kinds and (match := _QUESTION_LABEL.fullmatch(typed)):
        return Label(QUESTION, int(match["id"]))
    if kinds == (DROP,):
        raise Unreadable(N_("“{typed}” is not a drop's label, like D7."), typed=_shown(typed))
    if kinds == (QUESTION,):
        raise Unreadable(N_("“{typed}” is not a question's number, like 12."), typed=_shown(typed))
    raise Unreadable(
        N_("“{typed}” names no question or drop: 12 for question #12, D7 for drop D7."),
        typed=_shown(typed),
    )


_SHOWN = 40


def _shown(text: str) -> str:
    """What someone typed, for a reply: short, on one line."""
    flat = " ".join(text.split())
    return flat if len(flat) <= _SHOWN else flat[: _SHOWN - 1] + "…"

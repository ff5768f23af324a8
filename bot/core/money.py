"""Money as integer minor units with a currency code; never floats.

``Money(minor=900, currency="usd")`` is 9.00 US dollars. Currency codes are lowercase
ISO 4217 codes, or ``"xtr"`` for Telegram Stars (whole stars, no minor unit).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_currency, format_decimal, get_currency_precision, is_currency

STARS = "xtr"
"""Telegram Stars: not an ISO 4217 currency; counted in whole stars."""

_AMOUNT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in the currency's minor unit (cents for usd, yen for jpy, stars for xtr)."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise TypeError(f"Money.minor must be an int, got {type(self.minor).__name__}")
        if not self.currency or self.currency != self.currency.lower():
            raise ValueError(f"Money.currency must be a lowercase code, got {self.currency!r}")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    def __add__(self, other: Money) -> Money:
        return Money(self.minor + self._same(other).minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.minor - self._same(other).minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def percent(self, percent: int) -> Money:
        """`percent`% of this amount, rounded down to a whole minor unit: a fee or a share
        never takes a fraction of a cent more than it should."""
        return Money(self.minor * percent // 100, self.currency)

    def _same(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")
        return other


def is_known_currency(currency: str) -> bool:
    """True for an ISO 4217 code Babel knows (any case) and for ``"xtr"``."""
    if not isinstance(currency, str) or not currency:
        return False
    return currency.lower() == STARS or is_currency(currency.upper())


def currency_exponent(currency: str) -> int:
    """Digits after the decimal point in the currency's major unit: usd 2, jpy 0, xtr 0."""
    if not is_known_currency(currency):
        raise ValueError(f'unknown currency "{currency}"')
    if currency.lower() == STARS:
        return 0
    return get_currency_precision(currency.upper())


def parse_decimal(amount: str) -> Decimal:
    """Check an amount's shape without a currency: a non-negative plain decimal number.

    Accepts "9", "9.00", ".5", "+9"; rejects "", "abc", "1e3", "1,000", "NaN", "-1".
    """
    if not isinstance(amount, str):
        raise ValueError(f'must be a string like "9.00" (got {amount!r})')
    text = amount.strip()
    if not text:
        raise ValueError("amount is empty")
    if not _AMOUNT.fullmatch(text):
        raise ValueError(f'not a number (got "{amount}")')
    value = Decimal(text)
    if value < 0:
        raise ValueError(f'must not be negative (got "{amount}")')
    return value


def parse_major(amount: str, currency: str) -> Money:
    """Parse a non-negative amount in major units: ``parse_major("9.00", "usd")`` -> 900 cents.

    Trailing zeros are fine ("1000.00" jpy is 1000 yen); digits that the currency cannot
    represent are not ("9.001" usd). Raises ``ValueError`` with a one-line reason.
    """
    if not is_known_currency(currency):
        raise ValueError(f'unknown currency "{currency}"')
    code = currency.lower()
    exponent = currency_exponent(code)
    value = parse_decimal(amount)
    # Exact integer arithmetic: Decimal multiplication would round at the context precision.
    _sign, digits, exp = value.as_tuple()
    assert isinstance(exp, int)  # finite, guaranteed by parse_decimal
    coefficient = int("".join(map(str, digits)))
    shift = exp + exponent
    if shift >= 0:
        return Money(coefficient * 10**shift, code)
    minor, rest = divmod(coefficient, 10**-shift)
    if rest:
        if exponent == 0:
            raise ValueError(
                f'{code.upper()} has no minor unit: use a whole number (got "{amount}")'
            )
        raise ValueError(
            f'too many decimal places for {code.upper()}: at most {exponent} (got "{amount}")'
        )
    return Money(minor, code)


def format_money(money: Money, locale: str) -> str:
    """Money as a reader of `locale` writes it: "$9.00", "US$9.00", "¥1,000", "450 ⭐"."""
    if money.currency == STARS:
        return f"{format_decimal(money.minor, locale=locale)} ⭐"
    exponent = currency_exponent(money.currency)
    major = Decimal(money.minor).scaleb(-exponent)
    return format_currency(major, money.currency.upper(), locale=locale)

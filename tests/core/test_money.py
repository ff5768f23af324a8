"""bot.core.money: parsing major units into integer minor units."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.money import Money, currency_exponent, is_known_currency, parse_major


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("9.00", "usd", Money(900, "usd")),
        ("9", "usd", Money(900, "usd")),
        ("9.5", "usd", Money(950, "usd")),
        ("0.01", "usd", Money(1, "usd")),
        ("0", "usd", Money(0, "usd")),
        (" 12.30 ", "EUR", Money(1230, "eur")),
        ("1000", "jpy", Money(1000, "jpy")),
        ("1000.00", "jpy", Money(1000, "jpy")),
        ("450", "xtr", Money(450, "xtr")),
        ("450", "XTR", Money(450, "xtr")),
        ("1.234", "bhd", Money(1234, "bhd")),
        ("9.010", "usd", Money(901, "usd")),
    ],
)
def test_parse_major(amount: str, currency: str, expected: Money) -> None:
    assert parse_major(amount, currency) == expected


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        ("-1", "usd", 'must not be negative (got "-1")'),
        ("-0.01", "usd", "must not be negative"),
        ("abc", "usd", 'not a number (got "abc")'),
        ("1e3", "usd", "not a number"),
        ("NaN", "usd", "not a number"),
        ("1,000", "usd", "not a number"),
        ("9.001", "usd", "too many decimal places for USD: at most 2"),
        ("10.5", "jpy", "JPY has no minor unit"),
        ("1.5", "xtr", "XTR has no minor unit"),
        ("9.00", "zzz", 'unknown currency "zzz"'),
        ("9.00", "", "unknown currency"),
        ("", "usd", "amount is empty"),
        ("   ", "usd", "amount is empty"),
    ],
)
def test_parse_major_rejects(amount: str, currency: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        parse_major(amount, currency)


def test_currency_exponent() -> None:
    assert currency_exponent("usd") == 2
    assert currency_exponent("USD") == 2
    assert currency_exponent("jpy") == 0
    assert currency_exponent("bhd") == 3
    assert currency_exponent("xtr") == 0
    with pytest.raises(ValueError, match="unknown currency"):
        currency_exponent("zzz")


def test_is_known_currency() -> None:
    assert is_known_currency("usd")
    assert is_known_currency("EUR")
    assert is_known_currency("xtr")
    assert is_known_currency("XTR")
    assert not is_known_currency("zzz")
    assert not is_known_currency("")


def test_money_is_integer_and_lowercase() -> None:
    with pytest.raises(TypeError):
        Money(9.0, "usd")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lowercase"):
        Money(900, "USD")
    assert Money(-900, "usd").minor == -900  # ledger entries can be negative


@given(st.integers(min_value=0, max_value=10**30))
def test_usd_major_string_round_trips(n: int) -> None:
    major = f"{n // 100}.{n % 100:02d}"
    assert parse_major(major, "usd") == Money(n, "usd")


@given(st.integers(min_value=0, max_value=10**30))
def test_jpy_whole_numbers_round_trip(n: int) -> None:
    assert parse_major(str(n), "jpy") == Money(n, "jpy")

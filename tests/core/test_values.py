"""Values typed into commands: amounts, lengths of time, labels; read strictly."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.money import Money, currency_exponent
from bot.core.values import (
    DROP,
    QUESTION,
    Duration,
    Label,
    Unreadable,
    read_duration,
    read_label,
    read_money,
)


@pytest.mark.parametrize(
    ("typed", "currency", "expected"),
    [
        ("25", "usd", Money(2500, "usd")),
        ("25.50", "usd", Money(2550, "usd")),
        ("12.5", "usd", Money(1250, "usd")),
        ("25 usd", "cny", Money(2500, "usd")),
        ("25usd", "cny", Money(2500, "usd")),
        ("USD 25", "cny", Money(2500, "usd")),
        ("12.50EUR", "usd", Money(1250, "eur")),
        ("$25", "usd", Money(2500, "usd")),
        ("US$25", "usd", Money(2500, "usd")),
        ("¥25", "cny", Money(2500, "cny")),
        ("CN¥25", "cny", Money(2500, "cny")),
        ("€3", "usd", Money(300, "eur")),
        ("300 ⭐", "usd", Money(300, "xtr")),
        ("300xtr", "usd", Money(300, "xtr")),
        ("1000", "jpy", Money(1000, "jpy")),
    ],
)
def test_amounts_read_in_the_community_currency_unless_another_is_named(
    typed: str, currency: str, expected: Money
) -> None:
    assert read_money(typed, currency) == expected


@pytest.mark.parametrize(
    ("typed", "currency", "message"),
    [
        ("abc", "usd", "“abc” is not an amount."),
        ("", "usd", "“” is not an amount."),
        ("1e3", "usd", "“1e3” is not an amount."),
        ("1,000", "usd", "“1,000” is not an amount."),
        ("12.50zz", "usd", "“12.50zz”: write the currency as a code, like 25 usd or 25 cny."),
        ("¥25", "usd", "“¥25”: write the currency as a code, like 25 usd or 25 cny."),
        ("$25", "cny", "“$25”: write the currency as a code, like 25 usd or 25 cny."),
        ("12.505", "usd", "“12.505” has more decimal places than USD allows."),
        ("1.5xtr", "usd", "“1.5xtr” has more decimal places than XTR allows."),
        ("-5", "usd", "The amount must be more than zero."),
        ("0", "usd", "The amount must be more than zero."),
        ("0.00 usd", "usd", "The amount must be more than zero."),
    ],
)
def test_what_is_not_an_amount_says_why(typed: str, currency: str, message: str) -> None:
    with pytest.raises(Unreadable) as refused:
        read_money(typed, currency)
    assert str(refused.value) == message


@given(
    minor=st.integers(min_value=1, max_value=10**12),
    currency=st.sampled_from(["usd", "cny", "jpy", "eur", "xtr", "kwd"]),
    spaced=st.booleans(),
)
def test_an_amount_written_with_its_code_reads_back_exactly(
    minor: int, currency: str, spaced: bool
) -> None:
    exponent = currency_exponent(currency)
    whole, part = divmod(minor, 10**exponent)
    number = f"{whole}.{part:0{exponent}d}" if exponent else str(whole)
    typed = f"{number}{' ' if spaced else ''}{currency}"
    assert read_money(typed, "usd") == Money(minor, currency)


@pytest.mark.parametrize(
    ("typed", "days"),
    [
        ("30d", 30),
        ("30", 30),
        ("30 days", 30),
        ("2w", 14),
        ("3mo", 90),
        ("1y", 365),
        ("2 years", 730),
    ],
)
def test_lengths_of_time_are_days(typed: str, days: int) -> None:
    assert read_duration(typed) == Duration(days)
    assert read_duration(typed).delta is not None


@pytest.mark.parametrize("typed", ["lifetime", "Forever", " life "])
def test_lifetime_has_no_end(typed: str) -> None:
    assert read_duration(typed) == Duration(None)
    assert read_duration(typed).lifetime


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0", "A length of time must be more than zero."),
        ("0w", "A length of time must be more than zero."),
        ("-5", "A length of time must be more than zero."),
        ("soon", "“soon” is not a length of time."),
        ("5x", "“5x” is not a length of time."),
        ("101y", "A length of time is at most 100 years; for ever, write lifetime."),
        ("99999999999d", "A length of time is at most 100 years; for ever, write lifetime."),
    ],
)
def test_what_is_not_a_length_of_time_says_why(typed: str, message: str) -> None:
    with pytest.raises(Unreadable) as refused:
        read_duration(typed)
    assert str(refused.value) == message


def test_labels_name_drops_and_questions() -> None:
    assert read_label("D7", (DROP,)) == Label(DROP, 7)
    assert read_label("d7", (DROP, QUESTION)) == Label(DROP, 7)
    assert read_label("#12", (QUESTION,)) == Label(QUESTION, 12)
    assert read_label("12", (DROP, QUESTION)) == Label(QUESTION, 12)
    assert str(Label(DROP, 7)) == "D7"
    assert str(Label(QUESTION, 12)) == "#12"
    for typed, kinds, message in [
        ("12", (DROP,), "“12” is not a drop's label, like D7."),
        ("D7", (QUESTION,), "“D7” is not a question's number, like 12."),
        (
            "x",
            (DROP, QUESTION),
            "“x” names no question or drop: 12 for question #12, D7 for drop D7.",
        ),
    ]:
        with pytest.raises(Unreadable) as refused:
            read_label(typed, kinds)
        assert str(refused.value) == message

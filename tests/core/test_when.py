"""Reading the drop time a creator types, in the community's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.when import WhenError, parse_when

BERLIN = ZoneInfo("Europe/Berlin")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
# A Wednesday; 09:00 in Berlin.
NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
# 19:00 on Tuesday 24 November in Los Angeles, while UTC is already on Wednesday 25th.
LA_NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def berlin(text: str, now: datetime = NOW) -> datetime:
    return parse_when(text, now=now, zone=BERLIN)


def la(text: str) -> datetime:
    return parse_when(text, now=LA_NOW, zone=LOS_ANGELES)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01 20:00", utc(2026, 12, 1, 19, 0)),
        ("2026-12-01T20:00", utc(2026, 12, 1, 19, 0)),
        ("  2026-12-01t20:00 ", utc(2026, 12, 1, 19, 0)),
        ("today 20:00", utc(2026, 11, 25, 19, 0)),
        ("TODAY   20:00", utc(2026, 11, 25, 19, 0)),
        ("tomorrow 20:00", utc(2026, 11, 26, 19, 0)),
        ("Tomorrow 9:05", utc(2026, 11, 26, 8, 5)),
        ("wed 10:00", utc(2026, 11, 25, 9, 0)),  # today, still ahead
        ("wednesday 08:00", utc(2026, 12, 2, 7, 0)),  # today's has gone: next week
        ("fri 20:00", utc(2026, 11, 27, 19, 0)),
        ("Friday 20:00", utc(2026, 11, 27, 19, 0)),
        ("tue 20:00", utc(2026, 12, 1, 19, 0)),
        ("in 90m", utc(2026, 11, 25, 9, 30)),
        ("in 2h", utc(2026, 11, 25, 10, 0)),
        ("IN 3D", utc(2026, 11, 28, 8, 0)),
        ("in 3 d", utc(2026, 11, 28, 8, 0)),
        ("now", NOW),
        (" Now ", NOW),
    ],
)
def test_each_form_in_berlin(text: str, expected: datetime) -> None:
    result = berlin(text)
    assert result == expected
    assert result.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01 20:00", utc(2026, 12, 2, 4, 0)),
        ("today 20:00", utc(2026, 11, 25, 4, 0)),  # the zone's today is UTC's yesterday
        ("tomorrow 20:00", utc(2026, 11, 26, 4, 0)),  # the 25th locally, not UTC's 26th
        ("tue 20:00", utc(2026, 11, 25, 4, 0)),  # Tuesday is still today in Los Angeles
        ("tue 18:00", utc(2026, 12, 2, 2, 0)),
        ("wed 08:00", utc(2026, 11, 25, 16, 0)),
        ("in 90m", utc(2026, 11, 25, 4, 30)),
        ("now", LA_NOW),
    ],
)
def test_each_form_west_of_utc(text: str, expected: datetime) -> None:
    assert la(text) == expected


def test_a_time_skipped_by_spring_forward_moves_to_the_end_of_the_gap() -> None:
    now = utc(2027, 3, 22, 12, 0)  # a Monday, so "sun" is the 28th
    # Berlin jumps from 02:00 CET to 03:00 CEST on 2027-03-28; 03:00 CEST is 01:00 UTC.
    assert berlin("2027-03-28 02:30", now) == utc(2027, 3, 28, 1, 0)
    assert berlin("2027-03-28 02:00", now) == utc(2027, 3, 28, 1, 0)
    assert berlin("sun 02:59", now) == utc(2027, 3, 28, 1, 0)
    # Either side of the gap is untouched.
    assert berlin("2027-03-28 01:59", now) == utc(2027, 3, 28, 0, 59)
    assert berlin("2027-03-28 03:00", now) == utc(2027, 3, 28, 1, 0)
    assert berlin("2027-03-28 03:01", now) == utc(2027, 3, 28, 1, 1)


def test_a_time_repeated_by_fall_back_means_the_first_occurrence() -> None:
    now = utc(2026, 10, 20, 12, 0)
    # 02:30 happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET); the first one counts.
    assert berlin("2026-10-25 02:30", now) == utc(2026, 10, 25, 0, 30)
    assert berlin("sunday 02:30", now) == utc(2026, 10, 25, 0, 30)
    assert berlin("2026-10-25 03:00", now) == utc(2026, 10, 25, 2, 0)


def test_days_are_24_hour_periods_across_a_dst_change() -> None:
    now = utc(2026, 10, 24, 12, 0)  # 14:00 CEST; a day later it is 13:00 CET
    assert berlin("in 1d", now) == now + timedelta(hours=24)


@pytest.mark.parametrize(
    "text",
    ["today 08:59", "today 09:00", "2026-11-24 20:00", "2025-12-01 20:00", "today 00:00"],
)
def test_past_times_are_refused(text: str) -> None:
    with pytest.raises(WhenError, match="is in the past"):
        berlin(text)


def test_past_is_judged_in_the_zone() -> None:
    with pytest.raises(WhenError, match=r"“today 18:00” is in the past"):
        la("today 18:00")  # 18:00 Tuesday in Los Angeles, an hour ago


@pytest.mark.parametrize(
    "text",
    ["in 367d", "in 8785h", "in 527041m", "2027-11-26 20:00", "in 99999999999999999999999999d"],
)
def test_more_than_366_days_ahead_is_refused(text: str) -> None:
    with pytest.raises(WhenError, match="more than 366 days ahead"):
        berlin(text)


@pytest.mark.parametrize("text", ["in 366d", "in 8784h", "in 527040m", "2027-11-25 20:00"])
def test_up_to_366_days_ahead_is_fine(text: str) -> None:
    assert berlin(text) - NOW <= timedelta(days=366)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("today 25:00", "“25:00” is not a time of day"),
        ("fri 20:60", "“20:60” is not a time of day"),
        ("2026-02-30 10:00", "“2026-02-30” is not a date"),
        ("in 0m", "“in 0m” is not in the future"),
        ("", "Please give a time"),
        ("   ", "Please give a time"),
    ],
)
def test_specific_mistakes_get_specific_reasons(text: str, message: str) -> None:
    with pytest.raises(WhenError, match=message):
        berlin(text)


@pytest.mark.parametrize(
    "text",
    [
        "next friday",
        "20:00",
        "friday",
        "someday 20:00",
        "in 2 weeks",
        "2026-12-01",
        "12/01/2026 20:00",
        "tomorrow at 8pm",
        "now please",
        "in -5m",
    ],
)
def test_garbage_is_refused_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(WhenError) as caught:
        berlin(text)
    message = str(caught.value)
    assert f"Could not understand “{text}”" in message
    for form in ("2026-12-01 20:00", "today", "tomorrow", "fri 20:00", "in 90m", "now"):
        assert form in message


def test_a_long_input_is_trimmed_in_the_message() -> None:
    with pytest.raises(WhenError) as caught:
        berlin("x" * 5000)
    assert len(str(caught.value)) < 200


def test_when_error_is_a_value_error() -> None:
    assert issubclass(WhenError, ValueError)


def test_a_naive_now_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        parse_when("now", now=datetime(2026, 11, 25, 8, 0), zone=BERLIN)


def test_now_in_another_offset_comes_back_in_utc() -> None:
    result = parse_when("now", now=NOW.astimezone(BERLIN), zone=BERLIN)
    assert result == NOW
    assert result.tzinfo is UTC


@given(
    minutes=st.integers(min_value=1, max_value=10_000),
    now=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
    ),
    zone=st.sampled_from([BERLIN, LOS_ANGELES, ZoneInfo("Australia/Lord_Howe")]),
)
def test_in_minutes_is_exactly_that_many_minutes(
    minutes: int, now: datetime, zone: ZoneInfo
) -> None:
    assert parse_when(f"in {minutes}m", now=now, zone=zone) - now == timedelta(minutes=minutes)


@given(
    local=st.datetimes(min_value=datetime(2026, 11, 26), max_value=datetime(2027, 11, 24)),
    zone=st.sampled_from([BERLIN, LOS_ANGELES, ZoneInfo("Australia/Lord_Howe")]),
)
def test_iso_times_round_trip_or_land_just_after_a_gap(local: datetime, zone: ZoneInfo) -> None:
    local = local.replace(second=0, microsecond=0)
    result = parse_when(f"{local:%Y-%m-%d %H:%M}", now=NOW, zone=zone)
    back = result.astimezone(zone).replace(tzinfo=None)
    assert back >= local
    assert back - local < timedelta(hours=1)  # only a DST gap moves it, never by more
    if back != local:
        # It was in a gap: a minute earlier on the wall clock is before the change.
        before = (result - timedelta(minutes=1)).astimezone(zone)
        assert before.utcoffset() != result.astimezone(zone).utcoffset()

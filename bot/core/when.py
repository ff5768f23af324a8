"""Reading a point in time someone types (a drop's publishing time).

Creators think in their community's wall clock, so every form except `in …` and `now` is read
in `[community] timezone`; the result is always an aware UTC datetime, which is what storage
and the scheduler compare against.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.i18n import N_
from bot.core.values import Unreadable

__all__ = ["MAX_AHEAD", "WhenError", "parse_when"]

# Far enough for a yearly drop, near enough that a typo in the year is caught.
MAX_AHEAD = timedelta(days=366)

FORMS = "2026-12-01 20:00, today 20:00, tomorrow 20:00, fri 20:00, in 90m / 2h / 3d, or now"

# The longest skipped stretch of wall clock on record is a whole day (Samoa, 2011-12-30);
# searching a little beyond that is cheap and guarantees the gap search terminates.
_MAX_GAP = timedelta(hours=26)

_TIME = r"(?P<hour>\d{1,2}):(?P<minute>\d{2})"
_ISO = re.compile(r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?:t|\s+)" + _TIME)
_RELATIVE_DAY = re.compile(r"(?P<day>today|tomorrow)\s+" + _TIME)
_WEEKDAY = re.compile(r"(?P<day>[a-z]+)\s+" + _TIME)
_DURATION = re.compile(r"in\s+(?P<amount>\d+)\s*(?P<unit>[mhd])")

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_UNIT_MINUTES = {"m": 1, "h": 60, "d": 24 * 60}
_ECHO_LIMIT = 40  # long enough to recognise the input, short enough for a chat reply


class WhenError(Unreadable):
    """The text is not a time we accept: a message id and its values (str() is the English
    reason, fit for the creator)."""


def parse_when(text: str, *, now: datetime, zone: ZoneInfo) -> datetime:
    """Read `text` as a moment in `zone` and return it as an aware UTC datetime.

    Accepted (case-insensitive, surrounding spaces ignored): `2026-12-01 20:00` or
    `2026-12-01T20:00`; `today 20:00` / `tomorrow 20:00` (the zone's today and tomorrow);
    `mon`..`sun` or `monday`..`sunday` + ` HH:MM` (the next such day, today included if that
    time is still ahead); `in 90m` / `in 2h` / `in 3d` (days are exact 24-hour periods, so a
    DST change in between does not shift the result); and `now`.

    Wall-clock times at a daylight-saving change: a time that does not exist (skipped when
    clocks spring forward) moves forward to the first existing minute after the gap, e.g.
    Berlin 02:30 on a spring-forward night becomes 03:00; a time that occurs twice (clocks
    fall back) means the first occurrence.

    Raises WhenError if the text is not understood, lies in the past, or is more than 366
    days ahead.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        # A naive `now` is a programming error, not something the creator can fix.
        raise TypeError("now must be timezone-aware")
    now = now.astimezone(UTC)
    shown = _echo(text)
    cleaned = " ".join(text.lower().split())
    if not cleaned:
        raise WhenError(N_("Please give a time, e.g. {forms}."), forms=FORMS)
    if cleaned == "now":
        return now

    moment = _read(cleaned, shown, now=now, zone=zone)
    if moment <= now:
        raise WhenError(N_("“{text}” is in the past"), text=shown)
    if moment - now > MAX_AHEAD:
        raise WhenError(
            N_("“{text}” is more than {days} days ahead"), text=shown, days=MAX_AHEAD.days
        )
    return moment


def _read(cleaned: str, shown: str, *, now: datetime, zone: ZoneInfo) -> datetime:
    """Dispatch on the form; every form returns UTC and leaves range checks to the caller."""
    if match := _DURATION.fullmatch(cleaned):
        return now + _duration(match)
    if match := _ISO.fullmatch(cleaned):
        day = _date(int(match["year"]), int(match["month"]), int(match["day"]))
        return _local_to_utc(day, _time_of_day(match), zone)
    if match := _RELATIVE_DAY.fullmatch(cleaned):
        day = now.astimezone(zone).date()  # the zone's today, not UTC's
        if match["day"] == "tomorrow":
            day += timedelta(days=1)
        return _local_to_utc(day, _time_of_day(match), zone)
    if (match := _WEEKDAY.fullmatch(cleaned)) and (weekday := _weekday(match["day"])) is not None:
        return _next_weekday(weekday, _time_of_day(match), now=now, zone=zone)
    raise WhenError(N_("Could not understand “{text}”. Try {forms}."), text=shown, forms=FORMS)


def _duration(match: re.Match[str]) -> timedelta:
    digits = match["amount"]
    shown = f"in {digits}{match['unit']}"
    # Compare as an integer before building a timedelta: a huge amount would overflow it.
    minutes = int(digits) * _UNIT_MINUTES[match["unit"]] if len(digits) <= 9 else None
    if minutes is None or minutes > MAX_AHEAD // timedelta(minutes=1):
        raise WhenError(
            N_("“{text}” is more than {days} days ahead"), text=shown, days=MAX_AHEAD.days
        )
    if minutes == 0:
        raise WhenError(N_("“{text}” is not in the future"), text=shown)
    return timedelta(minutes=minutes)


def _date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise WhenError(
            N_("“{text}” is not a date"), text=f"{year:04d}-{month:02d}-{day:02d}"
        ) from None


def _time_of_day(match: re.Match[str]) -> time:
    hour, minute = int(match["hour"]), int(match["minute"])
    if hour > 23 or minute > 59:
        raise WhenError(
            N_("“{text}” is not a time of day"), text=f"{match['hour']}:{match['minute']}"
        )
    return time(hour, minute)


def _weekday(word: str) -> int | None:
    """Monday is 0, as in date.weekday(); accepts the three-letter and the full name."""
    for index, name in enumerate(_WEEKDAYS):
        if word in (name, name[:3]):
            return index
    return None


def _next_weekday(weekday: int, at: time, *, now: datetime, zone: ZoneInfo) -> datetime:
    today = now.astimezone(zone).date()
    ahead = (weekday - today.weekday()) % 7
    moment = _local_to_utc(today + timedelta(days=ahead), at, zone)
    if moment <= now:
        # Only happens for today's weekday with the time already gone: take next week's.
        moment = _local_to_utc(today + timedelta(days=ahead + 7), at, zone)
    return moment


def _local_to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock `day at` in `zone`.

    fold=0 (the default) picks the first occurrence of a time that happens twice. A time in a
    spring-forward gap does not survive a round trip through UTC; we then step forward a
    minute at a time to the first wall-clock minute that exists, i.e. the end of the gap.
    zoneinfo's own answer for a gap (shifting by the offset change) would land mid-hour after
    the gap, which is not what anyone typing 02:30 means.
    """
    wall = datetime.combine(day, at)
    candidate = wall
    while candidate - wall <= _MAX_GAP:
        moment = candidate.replace(tzinfo=zone).astimezone(UTC)
        if moment.astimezone(zone).replace(tzinfo=None) == candidate:
            return moment
        candidate += timedelta(minutes=1)
    raise WhenError(  # pragma: no cover
        N_("“{text}” does not exist in {zone}"), text=f"{wall:%Y-%m-%d %H:%M}", zone=zone.key
    )


def _echo(text: str) -> str:
    """The creator's own words for error messages, trimmed so a pasted essay stays short."""
    shown = " ".join(text.split())
    return shown if len(shown) <= _ECHO_LIMIT else shown[: _ECHO_LIMIT - 1] + "…"

"""ISO weeks in the community's timezone: the unit of the weekly report.

A week runs from Monday 00:00 to the next Monday 00:00 local time, so a report's boundaries
move with the community's daylight saving time, not with UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

_WEEK = re.compile(r"(\d{4})-W(\d{2})")


@dataclass(frozen=True, order=True)
class Week:
    year: int
    number: int

    def __post_init__(self) -> None:
        try:
            date.fromisocalendar(self.year, self.number, 1)
        except ValueError:
            raise ValueError(
                f"{self.year} has no week {self.number} (ISO years have 52 or 53 weeks)"
            ) from None

    @classmethod
    def parse(cls, text: str) -> Week:
        """ "2026-W48" -> Week(2026, 48)."""
        match = _WEEK.fullmatch(text.strip())
        if match is None:
            raise ValueError(f'not an ISO week: use the form "2026-W48" (got "{text}")')
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: date) -> Week:
        """The week a local date falls in."""
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @classmethod
    def containing(cls, instant: datetime, tz: tzinfo) -> Week:
        """The week that `instant` (an aware datetime) falls in, as seen in `tz`."""
        if instant.tzinfo is None:
            raise ValueError("Week.containing needs an aware datetime")
        return cls.of(instant.astimezone(tz).date())

    def previous(self) -> Week:
        return Week.of(self.first_day - timedelta(days=7))

    @property
    def first_day(self) -> date:
        """The Monday."""
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def days(self) -> tuple[date, ...]:
        """The seven local dates, Monday to Sunday."""
        return tuple(self.first_day + timedelta(days=n) for n in range(7))

    def start(self, tz: tzinfo) -> datetime:
        """Monday 00:00 local time, in UTC."""
        return day_start(self.first_day, tz)

    def end(self, tz: tzinfo) -> datetime:
        """The next Monday 00:00 local time, in UTC (exclusive)."""
        return day_start(self.first_day + timedelta(days=7), tz)

    def __str__(self) -> str:
        return f"{self.year:04d}-W{self.number:02d}"


def day_start(day: date, tz: tzinfo) -> datetime:
    """The first instant of `day` in `tz`. fold=0 gives it in both DST edge cases: where a
    shift skips midnight, the pre-shift offset lands on the first instant that exists (01:00);
    where midnight happens twice, it picks the first one."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)

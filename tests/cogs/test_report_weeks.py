"""Report weeks in the community's timezone: parsing, boundaries across daylight saving time,
and which week an interaction, a payment or a new member lands in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.money import Money
from cogs.engagement.report_build import build_report
from cogs.engagement.weeks import Week, day_start
from payments import ledger
from payments.ledger import Ledger
from storage.engine import make_sessionmaker
from storage.interaction_recorder import InteractionRecorder, NewInteraction
from storage.models import Member
from storage.uow import UnitOfWorkFactory
from tests.conftest import make_settings

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
HAVANA = ZoneInfo("America/Havana")  # Cuba moves its clocks at midnight
ZONES = [UTC, SHANGHAI, NEW_YORK, HAVANA, ZoneInfo("Australia/Lord_Howe")]


def test_a_week_parses_and_prints_the_iso_way() -> None:
    week = Week.parse("2026-W48")
    assert week == Week(2026, 48)
    assert str(week) == "2026-W48"
    assert str(Week(2026, 1)) == "2026-W01"
    assert Week.parse(" 2020-W53 ") == Week(2020, 53)  # 2020 had 53 weeks
    assert week.first_day == date(2026, 11, 23)
    assert week.days == tuple(date(2026, 11, 23) + timedelta(days=n) for n in range(7))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("2026-48", 'use the form "2026-W48"'),
        ("2026-W4", 'use the form "2026-W48"'),
        ("W48", 'use the form "2026-W48"'),
        ("2026-w48", 'use the form "2026-W48"'),
        ("", 'use the form "2026-W48"'),
        ("2026-W00", "2026 has no week 0"),
        ("2025-W53", "2025 has no week 53"),
        ("2026-W54", "2026 has no week 54"),
    ],
)
def test_a_bad_week_says_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        Week.parse(text)


def test_weeks_follow_iso_years_across_new_year() -> None:
    # 1 January 2027 is a Friday: still in the last week of 2026, which has 53.
    assert Week.containing(datetime(2027, 1, 1, tzinfo=UTC), UTC) == Week(2026, 53)
    assert Week(2026, 1).previous() == Week(2025, 52)
    assert Week(2026, 1).first_day == date(2025, 12, 29)
    assert Week(2027, 1).previous() == Week(2026, 53)


def test_containing_needs_an_aware_time() -> None:
    with pytest.raises(ValueError, match="aware"):
        Week.containing(datetime(2026, 3, 1, 12), UTC)


def test_sunday_late_in_utc_is_already_next_week_in_shanghai() -> None:
    sunday_late = datetime(2026, 3, 8, 23, 30, tzinfo=UTC)
    assert Week.containing(sunday_late, UTC) == Week(2026, 10)
    assert Week.containing(sunday_late, SHANGHAI) == Week(2026, 11)
    assert Week(2026, 11).start(SHANGHAI) == datetime(2026, 3, 8, 16, tzinfo=UTC)


def test_weeks_stretch_and_shrink_with_daylight_saving_time() -> None:
    spring = Week(2026, 10)  # New York moves to EDT on Sunday 8 March
    assert spring.start(NEW_YORK) == datetime(2026, 3, 2, 5, tzinfo=UTC)
    assert spring.end(NEW_YORK) == datetime(2026, 3, 9, 4, tzinfo=UTC)
    assert spring.end(NEW_YORK) - spring.start(NEW_YORK) == timedelta(hours=167)
    autumn = Week(2026, 44)  # and back to EST on Sunday 1 November
    assert autumn.end(NEW_YORK) - autumn.start(NEW_YORK) == timedelta(hours=169)
    assert autumn.end(NEW_YORK) == Week(2026, 45).start(NEW_YORK)


def test_a_day_starts_at_its_first_instant_when_midnight_is_skipped_or_repeated() -> None:
    # Havana skips from 00:00 to 01:00 on 8 March 2026: the day starts at 01:00 CDT.
    assert day_start(date(2026, 3, 8), HAVANA) == datetime(2026, 3, 8, 5, tzinfo=UTC)
    # And goes from 01:00 back to 00:00 on 1 November: the day starts at the first midnight.
    assert day_start(date(2026, 11, 1), HAVANA) == datetime(2026, 11, 1, 4, tzinfo=UTC)


@given(
    instant=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2060, 1, 1), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(ZONES),
)
def test_every_instant_is_inside_the_week_that_contains_it(
    instant: datetime, zone: ZoneInfo
) -> None:
    week = Week.containing(instant, zone)
    assert week.start(zone) <= instant < week.end(zone)
    assert week.previous().end(zone) == week.start(zone)
    assert Week.parse(str(week)) == week
    assert instant.astimezone(zone).date() in week.days


async def _community_at_a_boundary(engine: AsyncEngine, zone: ZoneInfo, edge: datetime) -> None:
    """Around `edge`, a week boundary in `zone`: a reaction, a payment and a new member a
    minute before it and half an hour after it."""
    recorder = InteractionRecorder(engine, zone)
    before, after = edge - timedelta(minutes=1), edge + timedelta(minutes=30)
    await recorder.record(NewInteraction(1, 1, "reaction", "discord", before))
    await recorder.record(NewInteraction(1, 2, "reaction", "telegram", after))
    await recorder.flush()
    uow = UnitOfWorkFactory(make_sessionmaker(engine))
    async with uow() as unit:
        unit.session.add_all(
            [
                Member(display_name="Early", created_at=before),
                Member(display_name="Late", created_at=after),
            ]
        )
        book = Ledger(unit)
        for reference, amount, when in (("before", 700, before), ("after", 900, after)):
            income = ledger.transfer(
                ledger.revenue("membership"), ledger.clearing("stripe"), Money(amount, "usd")
            )
            await book.post("payment", reference, income, at=when)


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("zone", "edge", "week"),
    [
        # Monday 00:00 in Shanghai is Sunday 16:00 UTC: 23:30 UTC Sunday is next week there.
        (SHANGHAI, datetime(2026, 3, 8, 16, tzinfo=UTC), Week(2026, 10)),
        # New York's week W10 ends at Monday 00:00 EDT, an hour earlier in UTC than it began.
        (NEW_YORK, datetime(2026, 3, 9, 4, tzinfo=UTC), Week(2026, 10)),
        (NEW_YORK, datetime(2026, 11, 2, 5, tzinfo=UTC), Week(2026, 44)),
    ],
)
async def test_what_happens_around_a_local_week_end_lands_on_its_side(
    engine: AsyncEngine, zone: ZoneInfo, edge: datetime, week: Week
) -> None:
    assert week.end(zone) == edge
    await _community_at_a_boundary(engine, zone, edge)
    settings = make_settings(community={"name": "Club", "timezone": zone.key})
    async with UnitOfWorkFactory(make_sessionmaker(engine))() as unit:
        ending = await build_report(unit, settings, week)
        following = await build_report(unit, settings, Week.containing(edge, zone))

    assert following.week == str(Week.of(week.first_day + timedelta(days=7)))
    sunday, monday = ending.daily[-1], following.daily[0]
    assert (sunday.day, monday.day) == (week.days[-1], week.days[-1] + timedelta(days=1))
    assert sunday.interactions == {"discord": 1, "telegram": 0}
    assert monday.interactions == {"discord": 0, "telegram": 1}
    assert (sunday.revenue, monday.revenue) == (700, 900)
    assert ending.engagement.interactions_by_platform["discord"].value == 1
    assert following.engagement.interactions_by_platform["discord"].previous == 1
    assert following.engagement.interactions_by_platform["telegram"].value == 1
    assert (ending.engagement.new_members.value, following.engagement.new_members.value) == (1, 1)
    assert ending.revenue.gross.value == 700
    assert following.revenue.gross.value == 900
    assert following.revenue.gross.previous == 700
    assert (ending.start, ending.end) == (week.start(zone), edge)

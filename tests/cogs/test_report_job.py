"""The weekly report's delivery: which week is due, once per week, and /report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from bot.core.clock import FakeClock
from bot.core.permissions import Level
from cogs.engagement.report_job import deliver_due_report, due_week
from cogs.engagement.weeks import Week
from storage.uow import UnitOfWorkFactory
from tests.conftest import actor, dispatcher_for, make_settings, say

SHANGHAI = make_settings(community={"timezone": "Asia/Shanghai"}, report={"schedule": "mon 09:00"})


@dataclass
class Board:
    platform: str = "discord"
    posted: list[tuple[str, bytes, str]] = field(default_factory=list)
    broken: bool = False

    async def publish(self, text: str, chart: bytes, *, filename: str) -> None:
        if self.broken:
            raise RuntimeError("Missing Access")
        self.posted.append((text, chart, filename))


@pytest.mark.parametrize(
    ("now", "week"),
    [
        # Monday 09:00 in Shanghai is 01:00 UTC: from then on, last week is due.
        (datetime(2026, 11, 23, 0, 59, tzinfo=UTC), "2026-W46"),
        (datetime(2026, 11, 23, 1, 0, tzinfo=UTC), "2026-W47"),
        (datetime(2026, 11, 29, 15, 0, tzinfo=UTC), "2026-W47"),  # Sunday night in Shanghai
        (datetime(2026, 11, 29, 16, 30, tzinfo=UTC), "2026-W47"),  # Monday 00:30 there
        (datetime(2026, 11, 30, 1, 0, tzinfo=UTC), "2026-W48"),
    ],
)
def test_the_due_week_follows_the_schedule_in_the_community_timezone(
    now: datetime, week: str
) -> None:
    assert str(due_week(SHANGHAI, now)) == week


async def test_a_week_is_posted_once_and_a_missed_run_catches_up_once(
    uow: UnitOfWorkFactory,
) -> None:
    clock = FakeClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    board = Board()
    assert await deliver_due_report(uow, SHANGHAI, clock, [board]) == Week(2026, 47)
    assert await deliver_due_report(uow, SHANGHAI, clock, [board]) is None  # a second instance
    text, chart, filename = board.posted[0]
    assert "2026-W47" in text
    assert chart.startswith(b"\x89PNG")
    assert filename == "report-2026-W47.png"
    # Down for three weeks: on start, only the latest due week is posted.
    clock = FakeClock(datetime(2026, 12, 16, 3, 0, tzinfo=UTC))
    assert await deliver_due_report(uow, SHANGHAI, clock, [board]) == Week(2026, 50)
    assert len(board.posted) == 2


async def test_a_week_no_platform_took_is_tried_again(uow: UnitOfWorkFactory) -> None:
    clock = FakeClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    board = Board(broken=True)
    with pytest.raises(RuntimeError, match="no platform took it"):
        await deliver_due_report(uow, SHANGHAI, clock, [board])
    board.broken = False
    assert await deliver_due_report(uow, SHANGHAI, clock, [board]) == Week(2026, 47)


async def test_only_the_configured_channels_get_it(uow: UnitOfWorkFactory) -> None:
    clock = FakeClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    only_telegram = make_settings(report={"channels": ["telegram"]})
    board = Board(platform="discord")
    assert await deliver_due_report(uow, only_telegram, clock, [board]) is None
    assert board.posted == []


async def test_report_is_for_moderators(uow: UnitOfWorkFactory) -> None:
    clock = FakeClock(datetime(2026, 11, 25, 6, 0, tzinfo=UTC))
    dispatcher = dispatcher_for(uow, clock, SHANGHAI)
    mod = actor("grace", level=Level.MOD)
    assert "You need the mod role to use /report." in await say(dispatcher, actor("ada"), "/report")
    assert "2026-W47" in await say(dispatcher, mod, "/report")
    assert "2026-W40" in await say(dispatcher, mod, "/report 2026-W40")
    assert "is not a week. Write it like 2026-W47" in await say(dispatcher, mod, "/report soon")
    assert "2026-W52 has not begun yet." in await say(dispatcher, mod, "/report 2026-W52")

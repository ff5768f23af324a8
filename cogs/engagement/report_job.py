"""The weekly report, delivered by the scheduler: once per week, to the report channel on
Discord and chat on Telegram, even across restarts, missed runs and two running instances.

Which weeks were delivered is kept in the database (report_runs), not in the scheduler: a week
is claimed before it is posted, so a second instance or a second run posts nothing, and a bot
that was down posts the latest due week once when it is back, not every missed week.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import delete

from bot.config import Settings
from bot.core.clock import Clock
from bot.core.i18n import Translator
from cogs.engagement.report_build import build_report
from cogs.engagement.report_chart import render_chart
from cogs.engagement.report_render import to_markdown
from cogs.engagement.weeks import Week
from storage.models import ReportRun
from storage.repositories.unique import add_unless_taken
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ReportPoster(Protocol):
    """A platform's report channel or chat, implemented by its adapter."""

    platform: str

    async def publish(self, text: str, chart: bytes, *, filename: str) -> None: ...


def due_week(settings: Settings, now: datetime) -> Week:
    """The week whose report is due at `now`: the one before the latest scheduled time that
    has passed (`[report] schedule`, community time)."""
    tz = settings.community.tzinfo
    day, clock_time = settings.report.schedule.split()
    hour, minute = (int(part) for part in clock_time.split(":"))
    local = now.astimezone(tz)
    monday = local.date() - timedelta(days=local.weekday())
    slot_day = monday + timedelta(days=WEEKDAYS.index(day))
    slot = datetime(slot_day.year, slot_day.month, slot_day.day, hour, minute, tzinfo=tz)
    if slot > local:
        slot -= timedelta(days=7)
    return Week.containing(slot, tz).previous()


async def deliver_due_report(
    uow: UnitOfWorkFactory, settings: Settings, clock: Clock, posters: Sequence[ReportPoster]
) -> Week | None:
    """Post the due week's report, unless it was posted already; returns the week posted."""
    chosen = [p for p in posters if p.platform in settings.report.channels]
    if not chosen:
        return None
    week = due_week(settings, clock.now())
    async with uow() as unit:
        if not await add_unless_taken(
            unit.session, ReportRun(week=str(week), delivered_at=clock.now())
        ):
            return None  # posted before, or by another instance right now
    try:
        await _post(uow, settings, week, chosen)
    except Exception:
        # Unclaim, so the next run tries again rather than skipping the week.
        async with uow() as unit:
            await unit.session.execute(delete(ReportRun).where(ReportRun.week == str(week)))
        raise
    return week


async def _post(
    uow: UnitOfWorkFactory, settings: Settings, week: Week, posters: Sequence[ReportPoster]
) -> None:
    speak = Translator(settings.community.default_locale)
    async with uow() as unit:
        report = await build_report(unit, settings, week)
    text, chart = to_markdown(report, speak), render_chart(report, speak)
    failures: list[str] = []
    for poster in posters:
        try:
            await poster.publish(text, chart, filename=f"report-{week}.png")
        except Exception as error:
            log.warning("report %s: %s refused it: %s", week, poster.platform, error)
            failures.append(poster.platform)
    if len(failures) == len(posters):
        raise RuntimeError(f"report {week}: no platform took it ({', '.join(failures)})")
    log.info("report %s posted to %d platform(s)", week, len(posters) - len(failures))

"""The one scheduler (APScheduler 3): recurring jobs with stable ids, tolerant of down time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

# A job missed while the bot was down runs once when it is back, not once per missed slot.
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 6 * 3600}


def make_scheduler() -> AsyncIOScheduler:
    return AsyncIOScheduler(timezone=UTC, job_defaults=JOB_DEFAULTS)


def every(
    scheduler: AsyncIOScheduler,
    job_id: str,
    job: Callable[[], Awaitable[object]],
    interval: timedelta,
    *,
    now: datetime,
) -> None:
    """Run `job` now and then every `interval`."""
    scheduler.add_job(
        job,
        "interval",
        seconds=interval.total_seconds(),
        id=job_id,
        replace_existing=True,
        next_run_time=now,
    )

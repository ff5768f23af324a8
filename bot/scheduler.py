"""The one scheduler (APScheduler 3): recurring jobs with stable ids, tolerant of down time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)

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

    async def run() -> None:
        try:
            await job()
        except asyncio.CancelledError:
            # Stopping the bot mid-run is no error: the job is idempotent and runs again on
            # the next start.
            log.info("%s: interrupted by shutdown", job_id)

    scheduler.add_job(
        run,
        "interval",
        name=job_id,
        seconds=interval.total_seconds(),
        id=job_id,
        replace_existing=True,
        next_run_time=now,
    )

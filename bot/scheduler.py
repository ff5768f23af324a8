"""The one scheduler (APScheduler 3): recurring jobs with stable ids, tolerant of down time,
and a shutdown that waits for a running job to let go of the database."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, tzinfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger(__name__)

# A job missed while the bot was down runs once when it is back, not once per missed slot.
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 6 * 3600}


class Scheduler:
    def __init__(self) -> None:
        self._scheduler = AsyncIOScheduler(timezone=UTC, job_defaults=JOB_DEFAULTS)
        self._running: set[asyncio.Task[object]] = set()

    def every(
        self,
        job_id: str,
        job: Callable[[], Awaitable[object]],
        interval: timedelta,
        *,
        now: datetime,
    ) -> None:
        """Run `job` now and then every `interval`."""
        trigger = IntervalTrigger(seconds=interval.total_seconds(), timezone=UTC)
        self._add(job_id, job, trigger, first=now)

    def weekly(
        self,
        job_id: str,
        job: Callable[[], Awaitable[object]],
        *,
        schedule: str,
        timezone: tzinfo,
        now: datetime,
    ) -> None:
        """Run `job` now, then at `schedule` ("mon 09:00") every week in `timezone`. The job
        itself knows whether there is anything to do (a start-up run catches up)."""
        day, at = schedule.split()
        hour, minute = at.split(":")
        trigger = CronTrigger(day_of_week=day, hour=hour, minute=minute, timezone=timezone)
        self._add(job_id, job, trigger, first=now)

    def _add(
        self,
        job_id: str,
        job: Callable[[], Awaitable[object]],
        trigger: BaseTrigger,
        *,
        first: datetime,
    ) -> None:
        async def run() -> None:
            task = asyncio.current_task()
            if task is not None:
                self._running.add(task)
            try:
                await job()
            except asyncio.CancelledError:
                # Stopping mid-run is no error: jobs are idempotent and run again on start.
                log.info("%s: interrupted by shutdown", job_id)
            finally:
                if task is not None:
                    self._running.discard(task)

        self._scheduler.add_job(
            run, trigger, name=job_id, id=job_id, replace_existing=True, next_run_time=first
        )

    def start(self) -> None:
        self._scheduler.start()

    async def shutdown(self, timeout: float) -> None:  # noqa: ASYNC109
        """No new runs; a running job may finish (jobs are short), so that it has closed its
        database connection before the engine is disposed. Cancelling it mid-query could
        leave a connection to a disposed engine that never answers. Only a job still running
        at the timeout is cancelled."""
        self._scheduler.shutdown(wait=False)
        running = set(self._running)
        if not running:
            return
        _, late = await asyncio.wait(running, timeout=timeout)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late, timeout=1.0)

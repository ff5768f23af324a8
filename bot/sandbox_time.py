"""The sandbox clock: the local bot's time, moved ahead on request, so that a subscription's
month (the renewal, a declined card, grace, the reminder, expiry and the revoke) can be watched
in minutes. Its offset is kept in the database: `knowpay sandbox advance` moves the clock of a
bot that is running, and the clock stays moved after a restart."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot.core.clock import ShiftedClock
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

# How often a running bot looks for a clock moved from the command line.
WATCH_SECONDS = 1.0


class SandboxTime:
    def __init__(self, uow: UnitOfWorkFactory, clock: ShiftedClock) -> None:
        self._uow = uow
        self.clock = clock
        # What time passing does (billing, the membership lifecycle, delivery); set where the
        # bot runs.
        self.catch_up: Callable[[], Awaitable[None]] | None = None

    async def load(self) -> None:
        async with self._uow() as uow:
            self.clock.offset = timedelta(seconds=await uow.sandbox.clock_offset())

    async def advance(self, by: timedelta) -> None:
        async with self._uow() as uow:
            offset = await uow.sandbox.move_clock(int(by.total_seconds()))
        await self._moved(offset)

    async def watch(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), WATCH_SECONDS)
                return
            async with self._uow() as uow:
                offset = await uow.sandbox.clock_offset()
            if offset != int(self.clock.offset.total_seconds()):
                await self._moved(offset)

    async def _moved(self, offset: int) -> None:
        self.clock.offset = timedelta(seconds=offset)
        log.info("sandbox clock moved to %s", self.clock.now().isoformat())
        if self.catch_up is None:
            return
        try:
            await self.catch_up()
        except Exception:
            # The next move, or the scheduled jobs, try again: the watch goes on.
            log.exception("catching up with the sandbox clock failed")

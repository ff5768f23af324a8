"""Keeping interactions tidy: fold new ones into the daily rollup, and delete raw rows older
than `[engagement] retention_days` (their rollup stays, so old reports still add up)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.config import Settings
from bot.core.clock import Clock
from storage.uow import UnitOfWorkFactory


@dataclass(frozen=True)
class Upkeep:
    rolled_up: int
    pruned: int


async def keep_interactions(uow: UnitOfWorkFactory, settings: Settings, clock: Clock) -> Upkeep:
    retention = timedelta(days=settings.engagement.retention_days)
    async with uow() as unit:
        rolled_up = await unit.contents.roll_up()
        pruned = await unit.contents.prune(clock.now() - retention)
    return Upkeep(rolled_up, pruned)

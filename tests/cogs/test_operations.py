"""/outbox for moderators: counts, dead letters and a retry."""

from __future__ import annotations

from bot.core.clock import FakeClock
from bot.core.dispatcher import Dispatcher
from bot.core.effects import NotifyMember
from bot.core.outbox import queue
from bot.core.permissions import Level
from storage.uow import UnitOfWorkFactory
from tests.conftest import actor, say

BOSS = actor("boss", level=Level.MOD)


async def test_outbox_lists_dead_items_and_retries_one(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory, clock: FakeClock
) -> None:
    await say(dispatcher, BOSS, "/whoami")
    async with uow() as unit:
        await queue(unit, NotifyMember(1, "receipt"), key="a", now=clock.now())
        await queue(unit, NotifyMember(1, "other"), key="b", now=clock.now())
        dead = await unit.outbox.get(2)
        assert dead is not None
        dead.status, dead.attempts, dead.last_error = "dead", 8, "Forbidden: bot was blocked"
    listing = await say(dispatcher, BOSS, "/outbox show")
    assert listing.startswith("Outbox: 1 waiting, 1 failed for good.")
    assert "#2 NotifyMember · 8× · Forbidden: bot was blocked" in listing
    assert await say(dispatcher, BOSS, "/outbox retry 2") == "Item #2 will be tried again now."
    assert await say(dispatcher, BOSS, "/outbox retry 2") == "There is no dead item #2."
    assert await say(dispatcher, BOSS, "/outbox show") == "Outbox: 2 waiting, 0 failed for good."
    refused = await say(dispatcher, actor("pleb"), "/outbox show")
    assert refused == "You need the mod role to use /outbox."

"""Memberships over time, with the injected clock: reminders, grace, expiry."""

from __future__ import annotations

from datetime import timedelta

from bot.core.clock import FakeClock
from bot.core.permissions import Level
from cogs.membership.lifecycle import run_lifecycle
from storage.uow import UnitOfWorkFactory
from tests.conftest import actor, dispatcher_for, make_settings, say

SETTINGS = make_settings(
    tiers={
        "member": {"name": "Member", "price": "9.00", "interval": "month", "discord_role_ids": [7]}
    }
)


async def _status(uow: UnitOfWorkFactory) -> str:
    async with uow() as unit:
        [membership] = await unit.memberships.of_member(1)
        return membership.status


async def test_a_non_renewing_membership_is_reminded_once_then_expires(
    uow: UnitOfWorkFactory, clock: FakeClock
) -> None:
    desk = dispatcher_for(uow, clock, SETTINGS)
    await say(desk, actor("alice"), "/whoami")
    await say(desk, actor("grace", level=Level.MOD), "/grant @alice member 10")
    clock.advance(timedelta(days=6))
    assert (await run_lifecycle(uow, SETTINGS, clock)).reminded == 0
    clock.advance(timedelta(days=2))  # two days left
    assert (await run_lifecycle(uow, SETTINGS, clock)).reminded == 1
    assert (await run_lifecycle(uow, SETTINGS, clock)).reminded == 0  # once is enough
    clock.advance(timedelta(days=2))
    report = await run_lifecycle(uow, SETTINGS, clock)
    assert report.expired == 1
    assert await _status(uow) == "expired"
    async with uow() as unit:
        items = await unit.outbox.due(clock.now(), 10)
    kinds = [item.kind for item in items]
    # The reminder, then the access taken back and the member told how to come back.
    assert kinds == ["GrantDiscordRole", "NotifyMember", "RevokeDiscordRole", "NotifyMember"]
    assert "has ended" in items[-1].payload["text"]
    assert "Member: expired" in await say(desk, actor("alice"), "/membership")

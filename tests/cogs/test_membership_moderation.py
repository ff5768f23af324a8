"""/grant, /revoke and /members: moderators' hands on memberships, audited."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.clock import FakeClock
from bot.core.dispatcher import Dispatcher
from bot.core.money import Money
from bot.core.permissions import Level
from cogs.membership.moderation import parse_details
from storage.uow import UnitOfWorkFactory
from tests.conftest import actor, dispatcher_for, make_settings, say

SETTINGS = make_settings(
    tiers={
        "member": {"name": "Member", "price": "9.00", "interval": "month", "discord_role_ids": [7]}
    }
)
MOD = actor("grace", level=Level.MOD)


@pytest.fixture
def desk(uow: UnitOfWorkFactory, clock: FakeClock) -> Dispatcher:
    return dispatcher_for(uow, clock, SETTINGS)


def test_grant_details_read_days_amount_reference_and_reason() -> None:
    details = parse_details("30 paid 300 CNY ref WX-88 bank transfer in March")
    assert details.days == 30
    assert details.paid == Money(30000, "cny")
    assert details.ref == "WX-88"
    assert details.reason == "bank transfer in March"
    assert parse_details("") == parse_details("  ")


async def test_a_manual_grant_with_a_payment_is_booked_and_audited(
    desk: Dispatcher, uow: UnitOfWorkFactory, clock: FakeClock
) -> None:
    await say(desk, actor("alice"), "/whoami")
    reply = await say(desk, MOD, "/grant @alice member 30 paid 300 CNY ref WX-88 bank transfer")
    assert reply == "alice now holds Member (2026-02-04) · CN¥300.00."
    async with uow() as unit:
        [membership] = await unit.memberships.of_member(1)
        assert (membership.source, membership.status) == ("manual", "active")
        assert membership.ends_at == clock.now() + timedelta(days=30)
        balances = await unit.ledger.balances()
        assert balances[("clearing:manual", "cny")] == 30000
        assert balances[("revenue:membership", "cny")] == -30000
        assert (await unit.outbox.counts())["pending"] == 1  # the Discord role
    history = await say(desk, MOD, "/audit @alice")
    assert "membership.granted" in history
    assert "ref=WX-88" in history
    assert "by #2 grace" in history


async def test_revoke_and_list(desk: Dispatcher, uow: UnitOfWorkFactory) -> None:
    await say(desk, actor("alice"), "/whoami")
    await say(desk, MOD, "/grant @alice member")
    assert "#1 alice · member · active" in await say(desk, MOD, "/members")
    assert await say(desk, MOD, "/revoke @alice chargeback") == "Revoked Member from alice."
    assert await say(desk, MOD, "/revoke @alice") == "alice holds no membership."
    assert "revoked" in await say(desk, MOD, "/members member revoked")
    async with uow() as unit:
        assert (await unit.outbox.counts())["pending"] == 2  # the role given, then taken


async def test_only_moderators_grant(desk: Dispatcher) -> None:
    await say(desk, actor("alice"), "/whoami")
    assert (
        await say(desk, actor("alice"), "/grant @alice member")
        == "You need the mod role to use /grant."
    )

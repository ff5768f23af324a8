"""/grant, /revoke and /members: moderators' hands on memberships, audited."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.clock import FakeClock
from bot.core.dispatcher import Dispatcher
from bot.core.permissions import Level
from storage.uow import UnitOfWorkFactory
from tests.conftest import actor, dispatcher_for, make_settings, say

SETTINGS = make_settings(
    tiers={
        "member": {"name": "Member", "price": "9.00", "interval": "month", "discord_role_ids": [7]},
        "pro": {"name": "Pro", "price": "19.00", "interval": "year", "discord_role_ids": [8]},
    }
)
USAGE = (
    "Usage: /grant <@member> <tier> [duration] [paid:300cny] [ref:TX-7] "
    "[reason:paid by bank transfer]"
)
MOD = actor("grace", level=Level.MOD)


@pytest.fixture
def desk(uow: UnitOfWorkFactory, clock: FakeClock) -> Dispatcher:
    return dispatcher_for(uow, clock, SETTINGS)


async def test_a_manual_grant_with_a_payment_is_booked_and_audited(
    desk: Dispatcher, uow: UnitOfWorkFactory, clock: FakeClock
) -> None:
    await say(desk, actor("alice"), "/whoami")
    reply = await say(
        desk, MOD, "/grant @alice member 30d paid:300cny ref:WX-88 reason:bank transfer"
    )
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
    assert "revoked" in await say(desk, MOD, "/members member status:revoked")
    async with uow() as unit:
        assert (await unit.outbox.counts())["pending"] == 2  # the role given, then taken


async def test_only_moderators_grant(desk: Dispatcher) -> None:
    await say(desk, actor("alice"), "/whoami")
    assert (
        await say(desk, actor("alice"), "/grant @alice member")
        == "You need the mod role to use /grant."
    )


async def _nothing_changed(uow: UnitOfWorkFactory) -> None:
    async with uow() as unit:
        assert await unit.memberships.of_member(1) == []
        assert await unit.ledger.balances() == {}


async def test_an_amount_without_its_name_is_refused_and_nothing_is_booked(
    desk: Dispatcher, uow: UnitOfWorkFactory
) -> None:
    await say(desk, actor("grace"), "/whoami")
    reply = await say(desk, MOD, "/grant @grace member 30 paid 300")
    assert reply == f"Write paid as paid:300cny.\n{USAGE}"
    await _nothing_changed(uow)


async def test_an_amount_without_a_currency_is_in_the_community_currency(
    desk: Dispatcher, uow: UnitOfWorkFactory
) -> None:
    await say(desk, actor("grace"), "/whoami")
    reply = await say(desk, MOD, "/grant @grace member 30 paid:300")
    assert reply == "grace now holds Member (2026-02-04) · $300.00."
    async with uow() as unit:
        assert (await unit.ledger.balances())[("revenue:membership", "usd")] == -30000


@pytest.mark.parametrize("duration", ["-5", "0", "0d"])
async def test_a_length_of_time_that_is_not_more_than_zero_is_refused(
    desk: Dispatcher, uow: UnitOfWorkFactory, duration: str
) -> None:
    await say(desk, actor("grace"), "/whoami")
    reply = await say(desk, MOD, f"/grant @grace member {duration}")
    assert reply.splitlines() == [
        "duration: A length of time must be more than zero.",
        "For example: 30d",
        USAGE,
    ]
    await _nothing_changed(uow)


async def test_lifetime_is_a_lifetime_grant(desk: Dispatcher, uow: UnitOfWorkFactory) -> None:
    await say(desk, actor("bob"), "/whoami")
    assert await say(desk, MOD, "/grant #1 pro lifetime") == "bob now holds Pro (for life)."
    async with uow() as unit:
        [membership] = await unit.memberships.of_member(1)
        assert (membership.tier, membership.ends_at) == ("pro", None)


async def test_a_ref_without_a_payment_is_refused(desk: Dispatcher, uow: UnitOfWorkFactory) -> None:
    await say(desk, actor("grace"), "/whoami")
    reply = await say(desk, MOD, "/grant @grace member ref:TX-7")
    assert reply == "A ref goes with a payment: add paid:AMOUNT, like paid:300 cny."
    await _nothing_changed(uow)

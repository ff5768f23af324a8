"""The membership journey on Discord: real discord.py against the fake Discord, real
stripe-python against the fake Stripe, the real outbox, lifecycle and reconcile."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.core.clock import FakeClock
from cogs.membership.lifecycle import run_lifecycle
from storage.models import Membership
from storage.uow import UnitOfWorkFactory
from tests.adapters.conftest import ADA, MODERATOR
from tests.adapters.discord.journey import Journey, start_journey
from tests.conftest import make_settings
from tests.fakes.discord import FakeDiscord

BEA = 500000000000000003  # pays before she is in the server
CAL = 500000000000000004  # given a tier role by hand, never paid


def journey_settings(fake: FakeDiscord) -> Settings:
    member, pro = fake.roles["member"], fake.roles["pro"]
    return make_settings(
        # "creator" is left out on purpose: here it is a role no tier opens.
        discord=fake.config(mod_role_ids=[fake.roles["mod"]]),
        tiers={
            "member": {
                "name": "Member",
                "price": "9.00",
                "interval": "month",
                "grace_days": 3,
                "discord_role_ids": [member],
            },
            "pro": {
                "name": "Pro",
                "price": "30.00",
                "interval": "month",
                "discord_role_ids": [member, pro],
            },
        },
    )


@pytest.fixture
def clock() -> FakeClock:
    """The journeys start on 6 April: Stripe bills a calendar month, and April's 30 days are the
    tier's period, so a month used halfway leaves exactly half of it unused."""
    return FakeClock(datetime(2026, 4, 6, 9, 0, tzinfo=UTC))


@pytest.fixture
async def journey(
    fake_discord: FakeDiscord, memory_engine: AsyncEngine, uow: UnitOfWorkFactory, clock: FakeClock
) -> AsyncIterator[Journey]:
    async with start_journey(
        fake_discord, memory_engine, uow, journey_settings(fake_discord), clock
    ) as started:
        yield started


async def membership(journey: Journey, member_id: int, tier: str) -> Membership:
    async with journey.uow() as unit:
        found = await unit.memberships.get(member_id, tier)
        assert found is not None
        return found


def role_calls(journey: Journey, method: str) -> int:
    return sum(c.method == method and "/roles/" in c.path for c in journey.discord.calls)


async def test_pay_renew_lapse_into_grace_and_lose_the_role(journey: Journey) -> None:
    member_role = journey.discord.roles["member"]
    payment = await journey.pay(ADA, "member", times=3)

    assert member_role in journey.discord.member_roles(ADA)
    assert role_calls(journey, "PUT") == 1  # three deliveries of each webhook, one grant
    assert journey.last_message("Your Member membership is active. Paid: $9.00.")
    first_end = (await membership(journey, payment.member_id, "member")).ends_at
    assert first_end is not None

    assert payment.subscription_ref is not None
    await journey.stripe.renew(payment.subscription_ref)
    await journey.stripe.drain()
    renewed = await membership(journey, payment.member_id, "member")
    assert renewed.status == "active"
    assert renewed.ends_at is not None
    assert renewed.ends_at > first_end + timedelta(days=27)

    await journey.stripe.renew(payment.subscription_ref, paid=False)
    await journey.stripe.drain()
    await journey.deliver_promises()
    lapsed = await membership(journey, payment.member_id, "member")
    assert lapsed.status == "grace"
    assert journey.last_message("did not go through. You keep access for 3 days")
    assert member_role in journey.discord.member_roles(ADA)

    journey.clock.advance(timedelta(days=2, hours=1))
    await run_lifecycle(journey.uow, journey.settings, journey.clock)
    await journey.deliver_promises()
    assert journey.last_message("Your Member membership ends on")
    journey.clock.advance(timedelta(days=1))
    await run_lifecycle(journey.uow, journey.settings, journey.clock)
    await journey.deliver_promises()
    assert (await membership(journey, payment.member_id, "member")).status == "expired"
    assert member_role not in journey.discord.member_roles(ADA)


async def test_cancel_keeps_access_to_the_end_and_a_refund_takes_it(journey: Journey) -> None:
    member_role = journey.discord.roles["member"]
    payment = await journey.pay(ADA, "member")
    assert payment.subscription_ref is not None
    assert payment.charge_ref is not None

    await journey.stripe.update_subscription(payment.subscription_ref, cancel_at_period_end=True)
    await journey.stripe.drain()
    cancelled = await membership(journey, payment.member_id, "member")
    assert cancelled.status == "cancelled"
    assert member_role in journey.discord.member_roles(ADA)
    shown = await journey.discord.invoke_slash(ADA, "membership")
    assert shown.content is not None
    assert "Member: cancelled, runs to its end · until" in shown.content
    [row] = shown.components
    [manage] = row["components"]
    assert manage["label"] == "Manage Member"
    assert manage["url"].startswith("https://billing.stripe.test/p/session/bps_")
    [portal] = [c for c in journey.stripe.calls if c.path == "/v1/billing_portal/sessions"]
    assert portal.params == {"customer": payment.customer_ref, "return_url": "https://x/ok"}

    await journey.stripe.refund_externally(payment.charge_ref)
    await journey.stripe.drain()
    await journey.deliver_promises()
    assert (await membership(journey, payment.member_id, "member")).status == "revoked"
    assert member_role not in journey.discord.member_roles(ADA)


async def test_upgrading_swaps_roles_and_refunds_the_unused_days(journey: Journey) -> None:
    member_role, pro_role = journey.discord.roles["member"], journey.discord.roles["pro"]
    first = await journey.pay(ADA, "member")
    journey.clock.advance(timedelta(days=15))
    await journey.pay(ADA, "pro")

    assert set(journey.discord.member_roles(ADA)) >= {member_role, pro_role}
    assert role_calls(journey, "DELETE") == 0  # the shared role was never taken
    await journey.stripe.drain()
    old = await membership(journey, first.member_id, "member")
    assert old.status == "switched"
    assert first.subscription_ref is not None
    assert journey.stripe.subscriptions[first.subscription_ref]["cancel_at_period_end"] is True
    refunds = [c for c in journey.stripe.calls if c.method == "POST" and c.path == "/v1/refunds"]
    [refund] = [int(c.params["amount"]) for c in refunds]
    # 15 of 30 days of $9.00: Stripe's period starts on the bot's clock, to the second.
    assert refund == 450


async def test_moderators_grant_by_hand_and_members_cannot(journey: Journey) -> None:
    member_role = journey.discord.roles["member"]
    refused = await journey.discord.invoke_slash(
        ADA, "grant", {"member": ADA, "tier": "member", "duration": "30d"}
    )
    assert refused.content is not None
    assert "You need the mod role to use /grant." in refused.content
    assert member_role not in journey.discord.member_roles(ADA)

    granted = await journey.discord.invoke_slash(
        MODERATOR,
        "grant",
        {
            "member": ADA,
            "tier": "member",
            "duration": "30d",
            "paid": "200 CNY",
            "ref": "WX123",
            "reason": "bank transfer",
        },
    )
    assert granted.content == "Ada now holds Member (2026-05-06) · CN¥200.00."
    await journey.deliver_promises()
    assert member_role in journey.discord.member_roles(ADA)
    async with journey.uow() as unit:
        balances = await unit.ledger.balances()
        assert balances[("revenue:membership", "cny")] == -20000


async def test_someone_who_paid_gets_the_role_when_they_join_the_server(
    journey: Journey,
) -> None:
    member_role = journey.discord.roles["member"]
    payment = await journey.pay(ADA, "member")
    await journey.discord.leave(ADA)
    await journey.deliver_promises()

    await journey.discord.join(ADA, "ada")
    # The arrival is handled off the gateway's reader; its grant is queued, then delivered.
    await journey.arrivals.wait_for_count(1)
    await journey.deliver_promises()
    assert member_role in journey.discord.member_roles(ADA)
    assert (await membership(journey, payment.member_id, "member")).status == "active"


async def test_reconcile_repairs_drift_and_leaves_other_roles_alone(journey: Journey) -> None:
    roles = journey.discord.roles
    await journey.pay(ADA, "member")
    journey.discord.add_user(CAL, "cal", roles=[roles["pro"], roles["creator"]])
    await journey.discord.set_roles_by_hand(ADA, [])  # a moderator's slip
    before_put, before_delete = role_calls(journey, "PUT"), role_calls(journey, "DELETE")

    dry = await journey.reconciler.run(dry_run=True)
    assert len(dry.repairs) == 2
    assert role_calls(journey, "PUT") == before_put

    report = await journey.reconciler.run()
    assert {(r.user_id, r.action, r.target) for r in report.repairs} == {
        (str(ADA), "give", roles["member"]),
        (str(CAL), "take", roles["pro"]),
    }
    assert journey.discord.member_roles(ADA) == [roles["member"]]
    assert journey.discord.member_roles(CAL) == [roles["creator"]]  # not ours to touch
    assert roles["mod"] in journey.discord.member_roles(MODERATOR)
    assert role_calls(journey, "PUT") == before_put + 1
    assert role_calls(journey, "DELETE") == before_delete + 1
    assert report.lines()[0] == "discord: checked 4 accounts, 2 repaired"  # bots skipped

    again = await journey.reconciler.run()
    assert again.repairs == []
    async with journey.uow() as unit:
        audited = await unit.audit.recent(limit=10)
        assert any(entry.action == "access.reconciled_take" for entry in audited)

"""What membership payments do to memberships and to access, without a platform."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.clock import FakeClock
from bot.core.effects import (
    CancelSubscription,
    DurableEffect,
    GrantDiscordRole,
    JoinRequestAnswer,
    RefundPayment,
    RemoveFromTelegramChat,
    RevokeDiscordRole,
)
from bot.core.events import JoinRequested, MemberChange, MembershipChanged, Place, Platform
from bot.core.money import Money
from bot.core.outbox import decode
from cogs.membership.lifecycle import run_lifecycle
from cogs.membership.service import entitle, withdraw
from payments.events import PaymentEvent, PaymentEventKind
from payments.purposes import Purpose
from payments.service import PaymentService
from storage.uow import UnitOfWorkFactory
from tests.conftest import actor, dispatcher_for, make_settings, say, wire

ROLE, CHAT, PRO_ROLE = 444000000000000001, -1001111111111, 444000000000000002
TIERS = {
    "member": {
        "name": "Member",
        "price": "9.00",
        "interval": "month",
        "grace_days": 3,
        "discord_role_ids": [ROLE],
        "telegram_chat_ids": [CHAT],
    },
    "forever": {
        "name": "Forever",
        "price": "99.00",
        "interval": "lifetime",
        "discord_role_ids": [ROLE],
    },
    "pro": {
        "name": "Pro",
        "price": "30.00",
        "interval": "month",
        "discord_role_ids": [ROLE, PRO_ROLE],
    },
}
SETTINGS = make_settings(tiers=TIERS)


@pytest.fixture
def service(uow: UnitOfWorkFactory, clock: FakeClock) -> PaymentService:
    return wire(uow, clock, SETTINGS).payments


async def _member(uow: UnitOfWorkFactory, clock: FakeClock) -> int:
    async with uow() as unit:
        identity = await unit.members.create_with_identity(
            platform="telegram",
            platform_user_id="77",
            display_name="Li",
            username="li",
            level=0,
            now=clock.now(),
        )
        assert identity is not None
        return identity.member_id


async def _paid(
    uow: UnitOfWorkFactory,
    service: PaymentService,
    clock: FakeClock,
    tier: str = "member",
    *,
    member: int | None = None,
) -> int:
    member = member or await _member(uow, clock)
    async with uow() as unit:
        started = await service.start_checkout(
            unit,
            member_id=member,
            purpose=Purpose("membership", tier),
            amount=Money(900, "usd"),
            title=tier,
            provider="sandbox",
        )
        payment_id = started.payment.id
    for _ in range(3):  # the same news three times
        async with uow() as unit:
            await service.apply(
                unit,
                PaymentEvent(
                    "sandbox",
                    PaymentEventKind.PAID,
                    "paid",
                    clock.now(),
                    payment_id=payment_id,
                    amount=Money(900, "usd"),
                ),
            )
    return payment_id


async def _promised_effects(uow: UnitOfWorkFactory) -> list[DurableEffect]:
    async with uow() as unit:
        items = await unit.outbox.due(FakeClock().now() + timedelta(days=3650), 100)
        return [decode(item.kind, item.payload) for item in items]


async def _promised(uow: UnitOfWorkFactory) -> list[str]:
    return [type(effect).__name__ for effect in await _promised_effects(uow)]


async def test_paying_grants_the_tier_once_with_its_role_chat_and_receipt(
    uow: UnitOfWorkFactory, service: PaymentService, clock: FakeClock
) -> None:
    await _paid(uow, service, clock)
    assert sorted(await _promised(uow)) == [
        "AdmitToTelegramChat",
        "GrantDiscordRole",
        "NotifyMember",
    ]
    async with uow() as unit:
        [membership] = await unit.memberships.of_member(1)
        assert (membership.tier, membership.status) == ("member", "active")
        assert membership.ends_at == clock.now() + timedelta(days=30)


async def test_a_lifetime_tier_never_ends(
    uow: UnitOfWorkFactory, service: PaymentService, clock: FakeClock
) -> None:
    await _paid(uow, service, clock, tier="forever")
    async with uow() as unit:
        [membership] = await unit.memberships.of_member(1)
        assert membership.ends_at is None


async def test_a_full_refund_revokes_access(
    uow: UnitOfWorkFactory, service: PaymentService, clock: FakeClock
) -> None:
    payment_id = await _paid(uow, service, clock)
    async with uow() as unit:
        await service.apply(
            unit,
            PaymentEvent(
                "sandbox",
                PaymentEventKind.REFUNDED,
                "r",
                clock.now(),
                payment_id=payment_id,
                amount=Money(900, "usd"),
            ),
        )
        [membership] = await unit.memberships.of_member(1)
        assert membership.status == "revoked"
    promised = await _promised(uow)
    assert "RevokeDiscordRole" in promised
    assert "RemoveFromTelegramChat" in promised


async def test_a_failed_renewal_starts_grace_and_a_reminder(
    uow: UnitOfWorkFactory, service: PaymentService, clock: FakeClock
) -> None:
    payment_id = await _paid(uow, service, clock)
    async with uow() as unit:
        await service.apply(
            unit,
            PaymentEvent(
                "sandbox", PaymentEventKind.RENEWAL_FAILED, "f", clock.now(), payment_id=payment_id
            ),
        )
        [membership] = await unit.memberships.of_member(1)
        assert membership.status == "grace"
        assert membership.grace_until == clock.now() + timedelta(days=3)
    assert (await _promised(uow)).count("NotifyMember") == 2  # receipt and reminder


async def test_members_of_the_tier_are_let_into_its_chat(
    uow: UnitOfWorkFactory, service: PaymentService, clock: FakeClock
) -> None:
    await _paid(uow, service, clock)
    dispatcher = dispatcher_for(uow, clock, SETTINGS)
    li = actor("Li", Platform.TELEGRAM, user_id="77")
    effects = await dispatcher.notify(
        JoinRequested(li, Place(Platform.TELEGRAM, str(CHAT), is_private=False))
    )
    assert effects == [JoinRequestAnswer(approved=True)]


async def test_paying_for_another_tier_switches_roles_and_refunds_the_unused_days(
    uow: UnitOfWorkFactory, service: PaymentService, clock: FakeClock
) -> None:
    old_payment = await _paid(uow, service, clock, "member")
    async with uow() as unit:
        payment = await unit.payments.get(old_payment)
        assert payment is not None
        payment.subscription_ref = "sub_old"
    before = len(await _promised_effects(uow))
    clock.advance(timedelta(days=10))

    await _paid(uow, service, clock, "pro", member=1)

    switched = (await _promised_effects(uow))[before:]
    reason = "knowpay: pro membership"
    assert GrantDiscordRole(1, PRO_ROLE, reason) in switched
    assert RemoveFromTelegramChat(1, CHAT) in switched
    # The role both tiers open is neither taken nor given again.
    assert not [e for e in switched if isinstance(e, RevokeDiscordRole)]
    assert [e for e in switched if isinstance(e, GrantDiscordRole)] == [
        GrantDiscordRole(1, PRO_ROLE, reason)
    ]
    assert CancelSubscription(old_payment, "switched to pro") in switched
    # 20 of the 30 paid days were not used: 900 * 20 / 30.
    assert RefundPayment(old_payment, 600, "unused days of member") in switched
    async with uow() as unit:
        held = {m.tier: m.status for m in await unit.memberships.of_member(1)}
        assert held == {"member": "switched", "pro": "active"}


async def test_a_switch_refunds_the_unused_share_of_the_period_actually_paid(
    uow: UnitOfWorkFactory, service: PaymentService, clock: FakeClock
) -> None:
    """Stripe bills calendar months: 31 days from 5 January. 16 of them are left after 15."""
    old_payment = await _paid(uow, service, clock, "member")
    async with uow() as unit:
        payment = await unit.payments.get(old_payment)
        assert payment is not None
        payment.subscription_ref = "sub_old"
        payment.period_end = clock.now() + timedelta(days=31)
        [membership] = await unit.memberships.of_member(1)
        # A moderator's gift on top of the paid period is not refunded.
        membership.ends_at = payment.period_end + timedelta(days=7)
    clock.advance(timedelta(days=15))

    await _paid(uow, service, clock, "pro", member=1)

    refunds = [e for e in await _promised_effects(uow) if isinstance(e, RefundPayment)]
    assert refunds == [RefundPayment(old_payment, 900 * 16 // 31, "unused days of member")]


async def test_a_role_two_tiers_open_stays_while_either_is_held(
    uow: UnitOfWorkFactory, service: PaymentService, clock: FakeClock
) -> None:
    await _paid(uow, service, clock, "forever")
    async with uow() as unit:
        await entitle(
            unit,
            SETTINGS,
            member_id=1,
            tier="member",
            status="active",
            ends_at=clock.now() + timedelta(days=5),
            now=clock.now(),
            source="manual",
            payment_id=None,
            actor_id=None,
            reason="gift",
        )
    clock.advance(timedelta(days=6))
    before = len(await _promised_effects(uow))
    await run_lifecycle(uow, SETTINGS, clock)

    ended = (await _promised_effects(uow))[before:]
    assert ended[0] == RemoveFromTelegramChat(1, CHAT)
    assert [type(e).__name__ for e in ended[1:]] == ["NotifyMember"]  # told that Member ended


async def test_late_news_of_an_earlier_payment_leaves_the_current_membership_alone(
    uow: UnitOfWorkFactory, service: PaymentService, clock: FakeClock
) -> None:
    first = await _paid(uow, service, clock)
    async with uow() as unit:
        [membership] = await unit.memberships.of_member(1)
        await withdraw(
            unit, SETTINGS, membership, status="expired", now=clock.now(), actor_id=None, reason="x"
        )
    await _paid(uow, service, clock, member=1)
    async with uow() as unit:
        await service.apply(
            unit,
            PaymentEvent(
                "sandbox",
                PaymentEventKind.SUBSCRIPTION_ENDED,
                "late",
                clock.now(),
                payment_id=first,
            ),
        )
        [membership] = await unit.memberships.of_member(1)
        assert membership.status == "active"


async def test_a_member_who_paid_before_joining_the_server_gets_the_role_on_arrival(
    uow: UnitOfWorkFactory, service: PaymentService, clock: FakeClock
) -> None:
    """Li paid on Telegram; linking a Discord account gives the role there, and joining the
    Discord server again later (after leaving) gives it once more."""
    await _paid(uow, service, clock)
    dispatcher = dispatcher_for(uow, clock, SETTINGS)
    li_telegram = actor("Li", Platform.TELEGRAM, user_id="77")
    li_discord = actor("Li", Platform.DISCORD, user_id="5001")
    code = (await say(dispatcher, li_telegram, "/link")).split()[4]
    before = len(await _promised_effects(uow))
    assert "Linked." in await say(dispatcher, li_discord, f"/link {code}")

    linked = (await _promised_effects(uow))[before:]
    assert GrantDiscordRole(1, ROLE, "knowpay: membership (linked account)") in linked

    guild = Place(Platform.DISCORD, "9", is_private=False)
    clock.advance(timedelta(minutes=1))
    await dispatcher.notify(MembershipChanged(li_discord, guild, MemberChange.JOINED))
    arrived = (await _promised_effects(uow))[before + len(linked) :]
    assert arrived == [GrantDiscordRole(1, ROLE, "knowpay: membership (joined the server)")]


async def test_linking_carries_memberships_and_payments_to_the_linked_member(
    uow: UnitOfWorkFactory, service: PaymentService, clock: FakeClock
) -> None:
    """The code comes from the account that holds nothing; the paid account folds into it."""
    payment_id = await _paid(uow, service, clock)
    dispatcher = dispatcher_for(uow, clock, SETTINGS)
    li_discord = actor("Li", Platform.DISCORD, user_id="5001")
    code = (await say(dispatcher, li_discord, "/link")).split()[4]
    assert "Linked." in await say(
        dispatcher, actor("Li", Platform.TELEGRAM, user_id="77"), f"/link {code}"
    )
    async with uow() as unit:
        discord_member = await unit.members.identity(Platform.DISCORD, "5001")
        assert discord_member is not None
        target = discord_member.member_id
        assert [m.tier for m in await unit.memberships.of_member(target)] == ["member"]
        payment = await unit.payments.get(payment_id)
        assert payment is not None
        assert payment.member_id == target
    # A renewal of that payment still finds the membership.
    async with uow() as unit:
        await service.apply(
            unit,
            PaymentEvent(
                "sandbox", PaymentEventKind.RENEWAL_FAILED, "f", clock.now(), payment_id=payment_id
            ),
        )
        [membership] = await unit.memberships.of_member(target)
        assert membership.status == "grace"

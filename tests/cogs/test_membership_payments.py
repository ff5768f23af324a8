"""What membership payments do to memberships and to access, without a platform."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.clock import FakeClock
from bot.core.dispatcher import Dispatcher
from bot.core.effects import JoinRequestAnswer
from bot.core.events import JoinRequested, Place, Platform
from cogs import build_purposes, build_registry
from payments.events import PaymentEvent, PaymentEventKind
from payments.money import Money
from payments.outbox import decode
from payments.providers.sandbox import SandboxProvider
from payments.purposes import Purpose
from payments.service import PaymentService
from storage.uow import UnitOfWorkFactory
from tests.conftest import actor, make_settings

ROLE, CHAT = 444000000000000001, -1001111111111
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
}
SETTINGS = make_settings(tiers=TIERS)


@pytest.fixture
def service(clock: FakeClock) -> PaymentService:
    return PaymentService(
        providers={"sandbox": SandboxProvider("http://x")},
        purposes=build_purposes(),
        clock=clock,
        settings=SETTINGS,
    )


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
    uow: UnitOfWorkFactory, service: PaymentService, clock: FakeClock, tier: str = "member"
) -> int:
    member = await _member(uow, clock)
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


async def _promised(uow: UnitOfWorkFactory) -> list[str]:
    async with uow() as unit:
        items = await unit.outbox.due(FakeClock().now() + timedelta(days=3650), 100)
        return [type(decode(item.kind, item.payload)).__name__ for item in items]


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
    dispatcher = Dispatcher(registry=build_registry(), uow=uow, clock=clock, settings=SETTINGS)
    li = actor("Li", Platform.TELEGRAM, user_id="77")
    effects = await dispatcher.notify(
        JoinRequested(li, Place(Platform.TELEGRAM, str(CHAT), is_private=False))
    )
    assert effects == [JoinRequestAnswer(approved=True)]

"""The membership journey on Telegram, and across Telegram and Discord: real
python-telegram-bot and discord.py against their fakes, paying in Stars, the real outbox and
reconcile."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import discord
import pytest

from bot.adapters.discord.adapter import DiscordAdapter
from bot.adapters.discord.delivery import DiscordDeliverer
from bot.adapters.telegram.access import TelegramAccess
from bot.adapters.telegram.adapter import TelegramAdapter
from bot.adapters.telegram.delivery import TelegramDeliverer
from bot.config import Settings
from bot.core.clock import FakeClock
from bot.core.dispatcher import Dispatcher
from cogs import build_purposes, build_registry
from cogs.membership.reconcile import Reconciler
from payments.money import Money
from payments.outbox import Deliverer, OutboxWorker
from payments.provider_calls import ProviderCalls
from payments.providers.stars import StarsPayments, StarsProvider
from payments.service import PaymentService
from storage.models import Membership
from storage.uow import UnitOfWorkFactory
from tests.adapters.telegram.conftest import LI, MOD, TIER_CHAT
from tests.conftest import make_settings
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.telegram_server import FakeTelegram

ADA = 500000000000000001  # Li's Discord account
INVITE = re.compile(r"https://t\.me/\+\S+")


def journey_settings(telegram: FakeTelegram, discord_fake: FakeDiscord | None = None) -> Settings:
    discord_config: dict[str, object] = {}
    tier: dict[str, Any] = {
        "name": "Member",
        "price": "9.00",
        "interval": "month",
        "stars_price": 450,
        "telegram_chat_ids": [TIER_CHAT],
    }
    if discord_fake is not None:
        discord_config = discord_fake.config()
        tier["discord_role_ids"] = [discord_fake.roles["member"]]
    return make_settings(
        telegram={
            "api_base_url": telegram.base_url,
            "community_chat_id": telegram.community_chat_id,
            "mod_user_ids": [MOD],
        },
        discord=discord_config,
        tiers={"member": tier},
    )


@pytest.fixture
def clock() -> FakeClock:
    """Invite links expire in real time on Telegram's side."""
    return FakeClock(datetime.now(UTC))


@dataclass
class Journey:
    telegram: FakeTelegram
    adapter: TelegramAdapter
    uow: UnitOfWorkFactory
    service: PaymentService
    worker: OutboxWorker
    reconciler: Reconciler

    async def deliver_promises(self) -> None:
        while await self.worker.run_once():
            pass

    async def until(self, check: Callable[[], Coroutine[Any, Any, bool]]) -> None:
        """Updates are handled as PTB polls them: wait for their effect, then deliver."""
        for _ in range(100):
            await self.deliver_promises()
            if await check():
                await self.deliver_promises()  # what the change promised
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the expected change never happened")

    async def membership(self, member_id: int) -> Membership | None:
        async with self.uow() as unit:
            return await unit.memberships.get(member_id, "member")

    async def invite_sent_to(self, user_id: int) -> str:
        while True:
            message = await self.telegram.wait_for_bot_message(user_id)
            if found := INVITE.search(message.get("text") or ""):
                return found.group(0)


async def _start(
    settings: Settings, telegram: FakeTelegram, uow: UnitOfWorkFactory, clock: FakeClock
) -> tuple[TelegramAdapter, Dispatcher, PaymentService, asyncio.Task[None]]:
    provider = StarsProvider()
    service = PaymentService(
        providers={"stars": provider}, purposes=build_purposes(), clock=clock, settings=settings
    )
    dispatcher = Dispatcher(
        registry=build_registry(), uow=uow, clock=clock, settings=settings, payments=service
    )
    adapter = TelegramAdapter(
        dispatcher,
        settings,
        FakeTelegram.TOKEN,
        stars=StarsPayments(uow, service, clock),
    )
    provider.refunder = adapter.gateway
    running = asyncio.create_task(adapter.run())
    await telegram.wait_until_polling()
    return adapter, dispatcher, service, running


@pytest.fixture
async def journey(
    fake_telegram: FakeTelegram, uow: UnitOfWorkFactory, clock: FakeClock
) -> AsyncIterator[Journey]:
    settings = journey_settings(fake_telegram)
    adapter, _, service, running = await _start(settings, fake_telegram, uow, clock)
    deliverers: dict[str, Deliverer] = {
        "telegram": TelegramDeliverer(adapter.gateway, clock),
        "payments": ProviderCalls(uow, service, clock),
    }
    yield Journey(
        fake_telegram,
        adapter,
        uow,
        service,
        OutboxWorker(uow, deliverers, clock),
        Reconciler(uow, settings, clock, [TelegramAccess(adapter.gateway)]),
    )
    await adapter.stop()
    await asyncio.wait_for(running, timeout=10)


async def test_pay_in_stars_enter_by_invite_and_leave_on_refund(journey: Journey) -> None:
    await journey.telegram.send_command(LI, "/join member")
    invoice = await journey.telegram.wait_for_bot_message(LI)
    assert invoice["invoice"]["total_amount"] == 450
    paid = await journey.telegram.pay_stars(LI, invoice["message_id"])
    assert paid["ok"] is True

    async def entitled() -> bool:
        return await journey.membership(1) is not None

    await journey.until(entitled)
    link = await journey.invite_sent_to(LI)
    assert await journey.telegram.join_with_link(LI, link) == "member"
    await journey.deliver_promises()
    assert journey.telegram.member_status(TIER_CHAT, LI) == "member"  # not taken out again

    async with journey.uow() as unit:
        payment = await unit.payments.by_checkout("stars-1")
        assert payment is not None
        await journey.service.request_refund(unit, payment, Money(450, "xtr"), reason="asked")
    await journey.deliver_promises()
    await journey.deliver_promises()
    refund = await journey.telegram.wait_for_call("refundStarPayment")
    assert refund.params["telegram_payment_charge_id"] == paid["charge_id"]
    membership = await journey.membership(1)
    assert membership is not None
    assert membership.status == "revoked"
    assert journey.telegram.member_status(TIER_CHAT, LI) == "left"


async def test_a_stranger_added_to_a_tier_chat_is_taken_out_but_staff_stay(
    journey: Journey,
) -> None:
    await journey.telegram.change_member(TIER_CHAT, LI, "member", by=MOD)
    await journey.telegram.change_member(TIER_CHAT, MOD, "member")

    async def stranger_out() -> bool:
        return journey.telegram.member_status(TIER_CHAT, LI) == "left"

    await journey.until(stranger_out)
    assert journey.telegram.member_status(TIER_CHAT, MOD) == "member"


async def test_reconcile_takes_out_a_former_member_the_removal_missed(journey: Journey) -> None:
    await journey.telegram.send_command(LI, "/membership")  # the bot gets to know Li
    await journey.telegram.wait_for_bot_message(LI)
    await journey.telegram.send_command(MOD, "/grant @liwei member 30")
    granted = await journey.telegram.wait_for_bot_message(MOD)
    assert "Member" in granted["text"]
    await journey.deliver_promises()
    link = await journey.invite_sent_to(LI)
    await journey.telegram.join_with_link(LI, link)
    await journey.deliver_promises()
    # The ban that should follow the revocation is refused for good (say, rights were lost).
    journey.telegram.fail_next("banChatMember", 400, description="Bad Request: not enough rights")
    await journey.telegram.send_command(MOD, "/revoke @liwei left the community")

    async def revoked() -> bool:
        membership = await journey.membership(1)
        return membership is not None and membership.status == "revoked"

    await journey.until(revoked)
    assert journey.telegram.member_status(TIER_CHAT, LI) == "member"

    report = await journey.reconciler.run()
    assert report.lines()[:2] == [
        "telegram: checked 1 account, 1 repaired",
        f"  took chat {TIER_CHAT} (member #1, telegram {LI})",
    ]
    assert journey.telegram.member_status(TIER_CHAT, LI) == "left"
    assert (await journey.reconciler.run()).repairs == []


async def test_linked_accounts_get_access_on_both_platforms(
    fake_telegram: FakeTelegram, uow: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """Li paid on Telegram; linking her Discord account gives her the tier's Discord role."""
    fake_discord = FakeDiscord()
    fake_discord.add_user(ADA, "ada")
    await fake_discord.start()
    saved = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    settings = journey_settings(fake_telegram, fake_discord)
    telegram, dispatcher, _, telegram_running = await _start(settings, fake_telegram, uow, clock)
    discord_adapter = DiscordAdapter(dispatcher, settings, FakeDiscord.TOKEN)
    discord_running = asyncio.create_task(discord_adapter.run())
    try:
        await fake_discord.wait_until_ready()
        worker = OutboxWorker(
            uow,
            {
                "telegram": TelegramDeliverer(telegram.gateway, clock),
                "discord": DiscordDeliverer(discord_adapter.gateway, fake_discord.guild_id),
            },
            clock,
        )
        await fake_telegram.send_command(LI, "/join member")
        invoice = await fake_telegram.wait_for_bot_message(LI)
        assert (await fake_telegram.pay_stars(LI, invoice["message_id"]))["ok"]
        for _ in range(100):
            async with uow() as unit:
                if await unit.memberships.get(1, "member"):
                    break
            await asyncio.sleep(0.05)
        while await worker.run_once():
            pass
        [invitation] = [c for c in fake_telegram.calls if c.method == "createChatInviteLink"]
        link = invitation.response["result"]["invite_link"]
        assert await fake_telegram.join_with_link(LI, link) == "member"

        code_reply = await fake_discord.invoke_slash(ADA, "link")
        assert code_reply.content is not None
        code = code_reply.content.split()[4]
        await fake_telegram.send_command(LI, f"/link {code}")
        role = fake_discord.roles["member"]
        for _ in range(100):
            while await worker.run_once():
                pass
            if role in fake_discord.member_roles(ADA):
                break
            await asyncio.sleep(0.05)
        assert role in fake_discord.member_roles(ADA)
        # Li is already in the chat: linking sends her no second invitation.
        invitations = [c for c in fake_telegram.calls if c.method == "createChatInviteLink"]
        assert len(invitations) == 1
    finally:
        await discord_adapter.stop()
        await asyncio.wait_for(discord_running, timeout=10)
        await telegram.stop()
        await asyncio.wait_for(telegram_running, timeout=10)
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved
        await fake_discord.stop()

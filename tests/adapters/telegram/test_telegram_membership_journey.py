"""The membership journey on Telegram, and across Telegram and Discord: real
python-telegram-bot and discord.py against their fakes, paying in Stars, the real outbox and
reconcile."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.adapters.discord.adapter import DiscordAdapter
from bot.adapters.discord.delivery import DiscordDeliverer
from bot.adapters.telegram.access import TelegramAccess
from bot.adapters.telegram.delivery import TelegramDeliverer
from bot.config import Settings
from bot.core.clock import FakeClock
from bot.core.delivery import OutboxWorker
from bot.core.money import Money
from bot.core.outbox import Deliverer
from cogs.membership.reconcile import Reconciler
from payments.provider_calls import ProviderCalls
from storage.uow import UnitOfWorkFactory
from tests.adapters.conftest import ADA, running
from tests.adapters.telegram.conftest import LI, MOD, TIER_CHAT, Journey, open_shop
from tests.conftest import make_settings
from tests.fakes.discord import FakeDiscord
from tests.fakes.telegram import FakeTelegram


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
async def journey(
    fake_telegram: FakeTelegram, uow: UnitOfWorkFactory, clock: FakeClock
) -> AsyncIterator[Journey]:
    settings = journey_settings(fake_telegram)
    shop = open_shop(settings, uow, clock)
    deliverers: dict[str, Deliverer] = {
        "telegram": TelegramDeliverer(shop.adapter.gateway, clock),
        "payments": ProviderCalls(uow, shop.services.payments, clock),
    }
    async with running(shop.adapter):
        await fake_telegram.wait_until_polling()
        yield shop.journey(
            fake_telegram,
            uow,
            OutboxWorker(uow, deliverers, clock),
            Reconciler(uow, settings, clock, [TelegramAccess(shop.adapter.gateway)]),
        )


async def test_pay_in_stars_enter_by_invite_and_leave_on_refund(journey: Journey) -> None:
    await journey.telegram.send_command(LI, "/join member")
    charge = await journey.paid_in_stars(LI)
    assert await journey.membership(1) is not None
    link = await journey.invite_sent_to(LI)
    assert await journey.telegram.join_with_link(LI, link) == "member"
    await journey.deliver_promises()
    assert journey.telegram.member_status(TIER_CHAT, LI) == "member"  # not taken out again

    async with journey.uow() as unit:
        payment = await unit.payments.by_checkout("stars-1")
        assert payment is not None
        await journey.services.payments.request_refund(
            unit, payment, Money(450, "xtr"), reason="asked"
        )
    await journey.deliver_promises()
    await journey.deliver_promises()
    refund = await journey.telegram.wait_for_call("refundStarPayment")
    assert refund.params["telegram_payment_charge_id"] == charge
    membership = await journey.membership(1)
    assert membership is not None
    assert membership.status == "revoked"
    assert journey.telegram.member_status(TIER_CHAT, LI) == "left"


async def test_a_stranger_added_to_a_tier_chat_is_taken_out_but_staff_stay(
    journey: Journey,
) -> None:
    await journey.telegram.change_member(TIER_CHAT, LI, "member", by=MOD)
    await journey.telegram.change_member(TIER_CHAT, MOD, "member")
    await journey.seen.wait_for_count(2)
    await journey.deliver_promises()
    assert journey.telegram.member_status(TIER_CHAT, LI) == "left"
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
    await journey.bot_says_to(MOD, "Revoked")
    await journey.deliver_promises()
    revoked = await journey.membership(1)
    assert revoked is not None
    assert revoked.status == "revoked"
    assert journey.telegram.member_status(TIER_CHAT, LI) == "member"

    report = await journey.reconciler.run()
    assert report.lines()[:2] == [
        "telegram: checked 1 account, 1 repaired",
        f"  took chat {TIER_CHAT} (member #1, telegram {LI})",
    ]
    assert journey.telegram.member_status(TIER_CHAT, LI) == "left"
    assert (await journey.reconciler.run()).repairs == []


async def test_linked_accounts_get_access_on_both_platforms(
    fake_telegram: FakeTelegram, fake_discord: FakeDiscord, uow: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """Li paid on Telegram; linking her Discord account gives her the tier's Discord role."""
    settings = journey_settings(fake_telegram, fake_discord)
    shop = open_shop(settings, uow, clock)
    discord_adapter = DiscordAdapter(shop.dispatcher, settings, FakeDiscord.TOKEN)
    worker = OutboxWorker(
        uow,
        {
            "telegram": TelegramDeliverer(shop.adapter.gateway, clock),
            "discord": DiscordDeliverer(discord_adapter.gateway, fake_discord.guild_id),
        },
        clock,
    )
    journey = shop.journey(fake_telegram, uow, worker, Reconciler(uow, settings, clock, []))
    async with running(shop.adapter, discord_adapter):
        await fake_telegram.wait_until_polling()
        await fake_discord.wait_until_ready()
        await fake_telegram.send_command(LI, "/join member")
        await journey.paid_in_stars(LI)
        link = await journey.invite_sent_to(LI)
        assert await fake_telegram.join_with_link(LI, link) == "member"

        code_reply = await fake_discord.invoke_slash(ADA, "link")
        assert code_reply.content is not None
        code = code_reply.content.split()[4]
        await fake_telegram.send_command(LI, f"/link {code}")
        await journey.bot_says_to(LI, "Discord, Telegram")  # in her language, Chinese
        await journey.deliver_promises()
        assert fake_discord.roles["member"] in fake_discord.member_roles(ADA)
        # Li is already in the chat: linking sends her no second invitation.
        invitations = [c for c in fake_telegram.calls if c.method == "createChatInviteLink"]
        assert len(invitations) == 1

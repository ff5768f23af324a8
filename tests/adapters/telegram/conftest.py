"""A running Telegram adapter (real python-telegram-bot) polling the fake Bot API on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.adapters.telegram.adapter import TelegramAdapter
from bot.config import Settings
from bot.core.clock import FakeClock
from bot.core.commands import Registry
from bot.core.dispatcher import Dispatcher
from payments.providers.stars import StarsPayments
from payments.service import PaymentService
from storage.models import Payment
from storage.uow import UnitOfWorkFactory
from tests.conftest import make_settings
from tests.fakes.telegram_server import FakeTelegram

LI = 5550001  # a plain member, Chinese client
MOD = 5550002  # a moderator by [telegram] mod_user_ids
TIER_CHAT = -1002000000001


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    fake.add_user(LI, "Li", username="liwei", language_code="zh-hans", last_name="Wei")
    fake.add_user(MOD, "Grace", username="grace", language_code="en")
    fake.add_chat(TIER_CHAT, "Members only")
    fake.set_member(TIER_CHAT, FakeTelegram.BOT_ID, "administrator")
    for user in (LI, MOD):
        fake.set_member(fake.community_chat_id, user)
    await fake.start()
    yield fake
    await fake.stop()


def telegram_settings(
    fake: FakeTelegram, *, server: dict[str, Any] | None = None, **telegram: Any
) -> Settings:
    return make_settings(
        server=server or {},
        telegram={
            "api_base_url": fake.base_url,
            "community_chat_id": fake.community_chat_id,
            "mod_user_ids": [MOD],
            **telegram,
        },
        tiers={
            "member": {
                "name": "Member",
                "price": "9.00",
                "interval": "month",
                "telegram_chat_ids": [TIER_CHAT],
            }
        },
    )


@pytest.fixture
def telegram_dispatcher(
    fake_telegram: FakeTelegram, registry: Registry, uow: UnitOfWorkFactory, clock: FakeClock
) -> Dispatcher:
    return Dispatcher(
        registry=registry, uow=uow, clock=clock, settings=telegram_settings(fake_telegram)
    )


class SettlingStars(StarsPayments):
    """StarsPayments that says when a successful payment has been applied."""

    def __init__(self, uow: UnitOfWorkFactory, service: PaymentService, clock: FakeClock) -> None:
        super().__init__(uow, service, clock)
        self.settled = asyncio.Event()

    async def paid(self, **details: Any) -> Payment | None:
        payment = await super().paid(**details)
        self.settled.set()
        return payment


@pytest.fixture
def stars() -> StarsPayments | None:
    """No payments by default; the Stars tests bring their own."""
    return None


@pytest.fixture
async def telegram(
    fake_telegram: FakeTelegram, telegram_dispatcher: Dispatcher, stars: StarsPayments | None
) -> AsyncIterator[TelegramAdapter]:
    adapter = TelegramAdapter(
        telegram_dispatcher, telegram_settings(fake_telegram), FakeTelegram.TOKEN, stars=stars
    )
    running = asyncio.create_task(adapter.run())
    await fake_telegram.wait_until_polling()
    yield adapter
    await adapter.stop()
    await asyncio.wait_for(running, timeout=10)

"""A running Telegram adapter (real python-telegram-bot) polling the fake Bot API on loopback."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.adapters.telegram.adapter import TelegramAdapter
from bot.config import Settings
from bot.core.clock import FakeClock
from bot.core.delivery import OutboxWorker
from bot.core.dispatcher import Dispatcher
from bot.core.events import MembershipChanged
from bot.core.registry import Registry
from cogs import build_registry
from cogs.membership.reconcile import Reconciler
from cogs.services import Services
from payments.providers.stars import StarsPayments, StarsProvider
from payments.service import PaymentService
from storage.models import Membership, Payment
from storage.uow import UnitOfWorkFactory
from tests.adapters.conftest import Seen
from tests.conftest import make_settings, wire
from tests.fakes.telegram import FakeTelegram

LI = 5550001  # a plain member, Chinese client
MOD = 5550002  # a moderator by [telegram] mod_user_ids
TIER_CHAT = -1002000000001
INVITE = re.compile(r"https://t\.me/\+\S+")
# The command menus the adapter publishes, by level: what each may run, and no more.
MEMBER_COMMANDS = {
    *("accept", "ask", "cancel", "drops", "experts", "help", "join", "language", "link"),
    *("membership", "notify", "payouts", "question", "questions", "reject", "unlock", "whoami"),
}
CREATOR_COMMANDS = {*MEMBER_COMMANDS, "answer", "drop", "expert"}
STAFF_COMMANDS = {
    *CREATOR_COMMANDS,
    *("audit", "decide", "grant", "members", "outbox", "payout", "report", "revoke"),
}


@pytest.fixture
async def fake_telegram(clock: FakeClock) -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram(clock=clock)  # dates with the clock the bot reads
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


@dataclass
class Journey:
    telegram: FakeTelegram
    adapter: TelegramAdapter
    uow: UnitOfWorkFactory
    services: Services
    stars: SettlingStars
    seen: Seen
    worker: OutboxWorker
    reconciler: Reconciler

    async def deliver_promises(self) -> None:
        while await self.worker.run_once():
            pass

    async def paid_in_stars(self, user_id: int) -> str:
        """The user pays the newest invoice; returns Telegram's charge id once it is applied."""
        invoice = await self.telegram.wait_for_bot_message(user_id)
        self.stars.settled.clear()
        paid = await self.telegram.pay_stars(user_id, invoice["message_id"])
        assert paid["ok"] is True
        await asyncio.wait_for(self.stars.settled.wait(), timeout=5)
        await self.deliver_promises()
        return str(paid["charge_id"])

    async def bot_says_to(self, chat_id: int, text: str) -> str:
        """Wait for the bot's message to `chat_id` that contains `text` (skipping others)."""
        while True:
            message = await self.telegram.wait_for_bot_message(chat_id)
            if text in (message.get("text") or ""):
                return str(message["text"])

    async def membership(self, member_id: int) -> Membership | None:
        async with self.uow() as unit:
            return await unit.memberships.get(member_id, "member")

    async def invite_sent_to(self, user_id: int) -> str:
        while True:
            message = await self.telegram.wait_for_bot_message(user_id)
            if found := INVITE.search(message.get("text") or ""):
                return found.group(0)


@dataclass
class Shop:
    """The bot's side: a dispatcher selling in Stars, and the Telegram adapter."""

    dispatcher: Dispatcher
    services: Services
    stars: SettlingStars
    seen: Seen
    adapter: TelegramAdapter

    def journey(
        self,
        telegram: FakeTelegram,
        uow: UnitOfWorkFactory,
        worker: OutboxWorker,
        reconciler: Reconciler,
    ) -> Journey:
        return Journey(
            telegram, self.adapter, uow, self.services, self.stars, self.seen, worker, reconciler
        )


def open_shop(settings: Settings, uow: UnitOfWorkFactory, clock: FakeClock) -> Shop:
    """Every cog, payments in Stars (refunded through the adapter's gateway), not yet running."""
    provider = StarsProvider()
    services = wire(uow, clock, settings, providers={"stars": provider})
    seen = Seen()
    registry = build_registry(services)
    registry.listen(MembershipChanged, seen.record)  # runs after the cogs' own listeners
    dispatcher = Dispatcher(registry=registry, uow=uow, clock=clock, settings=settings)
    stars = SettlingStars(uow, services.payments, clock)
    adapter = TelegramAdapter(dispatcher, settings, FakeTelegram.TOKEN, stars=stars)
    provider.refunder = adapter.gateway
    return Shop(dispatcher, services, stars, seen, adapter)

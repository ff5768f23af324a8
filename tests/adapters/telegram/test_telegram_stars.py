"""Telegram Stars through the real python-telegram-bot and the fake Bot API: an invoice, the
pre-checkout question, the successful payment, a refund."""

from __future__ import annotations

import asyncio

import pytest

from bot.adapters.telegram.adapter import TelegramAdapter
from bot.core.clock import FakeClock
from bot.core.commands import Args, CommandSpec
from bot.core.context import Context
from bot.core.delivery import OutboxWorker
from bot.core.effects import Effect, Invoice
from bot.core.money import Money
from bot.core.registry import Registry
from cogs import build_registry
from cogs.services import Services
from payments.provider_calls import ProviderCalls
from payments.providers.stars import StarsProvider
from payments.purposes import Purpose, Purposes
from payments.service import PaymentService
from storage.uow import UnitOfWorkFactory
from tests.adapters.telegram.conftest import MOD, SettlingStars
from tests.conftest import make_settings
from tests.fakes.telegram import FakeTelegram
from tests.payments.conftest import RecordingPurpose


@pytest.fixture
def recording() -> RecordingPurpose:
    return RecordingPurpose()


@pytest.fixture
def provider() -> StarsProvider:
    return StarsProvider()


@pytest.fixture
def service(
    recording: RecordingPurpose, provider: StarsProvider, clock: FakeClock
) -> PaymentService:
    purposes = Purposes()
    purposes.register(recording)
    return PaymentService(
        providers={"stars": provider}, purposes=purposes, clock=clock, settings=make_settings()
    )


@pytest.fixture
def stars(uow: UnitOfWorkFactory, service: PaymentService, clock: FakeClock) -> SettlingStars:
    return SettlingStars(uow, service, clock)


@pytest.fixture
def registry(service: PaymentService, services: Services) -> Registry:
    """A /buy command that sells a test thing for 50 stars."""

    async def buy(ctx: Context, _args: Args) -> list[Effect]:
        started = await service.start_checkout(
            ctx.uow,
            member_id=ctx.member.id,
            purpose=Purpose("test", "sticker-pack"),
            amount=Money(50, "xtr"),
            title="Sticker pack",
            provider="stars",
        )
        invoice = started.checkout.invoice
        assert invoice is not None
        return [Invoice(invoice.title, invoice.description, invoice.payload, invoice.amount.minor)]

    registry = build_registry(services)
    registry.register(CommandSpec("buy", "Buy", buy))
    return registry


async def test_a_stars_payment_round_trip_and_its_refund(
    *,
    telegram: TelegramAdapter,
    stars: SettlingStars,
    fake_telegram: FakeTelegram,
    recording: RecordingPurpose,
    uow: UnitOfWorkFactory,
    service: PaymentService,
    provider: StarsProvider,
    clock: FakeClock,
) -> None:
    await fake_telegram.send_command(MOD, "/buy")
    invoice = await fake_telegram.wait_for_bot_message(MOD)
    assert invoice["invoice"]["currency"] == "XTR"
    assert invoice["invoice"]["total_amount"] == 50
    result = await fake_telegram.pay_stars(MOD, invoice["message_id"])
    assert result["ok"] is True
    await asyncio.wait_for(stars.settled.wait(), timeout=5)
    async with uow() as unit:
        payment = await unit.payments.by_checkout("stars-1")
        assert payment is not None
        assert payment.status == "paid"
        assert payment.charge_ref == result["charge_id"]
        assert payment.customer_ref == str(MOD)
        await service.request_refund(unit, payment, Money(50, "xtr"), reason="changed mind")
    assert recording.calls == [("paid", 1)]

    provider.refunder = telegram.gateway
    worker = OutboxWorker(uow, {"payments": ProviderCalls(uow, service, clock)}, clock)
    await worker.run_once()
    refund = await fake_telegram.wait_for_call("refundStarPayment")
    assert refund.params["telegram_payment_charge_id"] == result["charge_id"]
    assert ("refunded", 50) in recording.calls
    await telegram.gateway.refund_star_payment(str(MOD), result["charge_id"])  # a retry: fine


async def test_an_invoice_no_longer_for_sale_is_refused_before_paying(
    telegram: TelegramAdapter, fake_telegram: FakeTelegram, recording: RecordingPurpose
) -> None:
    await fake_telegram.send_command(MOD, "/buy")
    invoice = await fake_telegram.wait_for_bot_message(MOD)
    recording.for_sale = False
    result = await fake_telegram.pay_stars(MOD, invoice["message_id"])
    assert result["ok"] is False
    assert result["error_message"] == "This item is not for sale right now."
    assert recording.calls == []

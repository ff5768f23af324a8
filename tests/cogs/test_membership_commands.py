"""/join and /membership through the dispatcher, with the sandbox and Stars providers."""

from __future__ import annotations

import pytest

from bot.core.clock import FakeClock
from bot.core.dispatcher import Dispatcher
from bot.core.effects import Invoice, Reply
from bot.core.events import CommandEvent, Place, Platform
from bot.core.money import Money
from payments.events import PaymentEvent, PaymentEventKind
from payments.providers.sandbox import SandboxProvider
from payments.providers.stars import StarsProvider
from payments.service import PaymentService
from storage.uow import UnitOfWorkFactory
from tests.conftest import SANDBOX_URL, actor, dispatcher_for, make_settings, say, send, wire

SETTINGS = make_settings(
    tiers={
        "member": {
            "name": "Member",
            "price": "9.00",
            "interval": "month",
            "trial_days": 7,
            "discord_role_ids": [1],
            "stars_price": 450,
        },
        "forever": {
            "name": "Forever",
            "price": "99.00",
            "interval": "lifetime",
            "discord_role_ids": [2],
        },
    }
)


@pytest.fixture
def shop(uow: UnitOfWorkFactory, clock: FakeClock) -> tuple[Dispatcher, PaymentService]:
    providers = {"sandbox": SandboxProvider(SANDBOX_URL), "stars": StarsProvider()}
    services = wire(uow, clock, SETTINGS, providers=providers)
    return dispatcher_for(uow, clock, SETTINGS, services), services.payments


async def test_join_lists_the_tiers(shop: tuple[Dispatcher, PaymentService]) -> None:
    listing = await say(shop[0], actor(), "/join")
    assert "member: Member — $9.00 per month · 7-day free trial" in listing
    assert "forever: Forever — $99.00 once, for life" in listing


async def test_join_opens_a_sandbox_checkout_and_paying_makes_you_a_member(
    shop: tuple[Dispatcher, PaymentService], uow: UnitOfWorkFactory, clock: FakeClock
) -> None:
    dispatcher, service = shop
    [offer] = await send(dispatcher, actor(), "/join member")
    assert isinstance(offer, Reply)
    [button] = offer.buttons
    assert button.label == "Start the free trial"  # Member's 7 days charge nothing today
    assert button.url is not None
    assert button.url.startswith("http://127.0.0.1:8080/sandbox/checkout/")
    assert (
        await say(dispatcher, actor(), "/membership")
        == "You hold no membership. See the tiers with /join."
    )
    async with uow() as unit:
        await service.apply(
            unit,
            PaymentEvent(
                "sandbox",
                PaymentEventKind.PAID,
                "p",
                clock.now(),
                payment_id=1,
                amount=Money(900, "usd"),
            ),
        )
    assert (await say(dispatcher, actor(), "/membership")).startswith(
        "Member: active · until 2026-02-04"
    )
    assert (
        await say(dispatcher, actor(), "/join member")
        == "You already hold Member, until 2026-02-04."
    )
    upgrade = await say(dispatcher, actor(), "/join forever")
    assert "Paying switches you from Member: it stops renewing" in upgrade


async def test_on_telegram_a_tier_with_a_stars_price_sends_an_invoice(
    shop: tuple[Dispatcher, PaymentService],
) -> None:
    [invoice] = await send(shop[0], actor("li", Platform.TELEGRAM, user_id="9"), "/join member")
    assert isinstance(invoice, Invoice)
    assert (invoice.stars, invoice.payload) == (450, "stars-1")


async def test_unknown_tiers_are_explained(shop: tuple[Dispatcher, PaymentService]) -> None:
    assert "Choose one of: member, forever." in await say(shop[0], actor(), "/join platinum")
    typing = CommandEvent(actor(), Place(Platform.CONSOLE, "x"), "join")
    assert await shop[0].suggest(typing, "tier", "f") == ["forever"]

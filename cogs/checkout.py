"""What every cog that sells something says the same way: which provider takes the money
(Telegram Stars inside Telegram when the thing has a Stars price, else Stripe when configured,
else the local sandbox page) and the reply that lets the member pay."""

from __future__ import annotations

from collections.abc import Mapping

from bot.config import Settings
from bot.core.context import Context
from bot.core.effects import Button, Effect, Invoice, Reply
from bot.core.events import Platform
from bot.core.money import Money, format_money, parse_major
from payments.service import PaymentService, StartedCheckout


def card_provider(providers: Mapping[str, object]) -> str:
    return "stripe" if "stripe" in providers else "sandbox"


def choose_provider(
    payments: PaymentService, ctx: Context, price: Money, stars: Money | None
) -> tuple[str, Money]:
    """The provider for this member here, and the price in its currency."""
    providers = payments.providers
    if stars is not None and ctx.event.actor.platform is Platform.TELEGRAM and "stars" in providers:
        return "stars", stars
    return card_provider(providers), price


def in_stars(settings: Settings, price: Money) -> Money | None:
    """The price in Telegram Stars at `[payments] stars_per_unit`, rounded up; None without
    a rate."""
    rate = settings.payments.stars_per_unit
    if rate is None:
        return None
    one_unit = parse_major("1", price.currency).minor
    return Money(-(-price.minor * rate // one_unit), "xtr")


def offer(ctx: Context, title: str, text: str, started: StartedCheckout) -> Effect:
    """A Stars invoice to pay in the chat, or the text with a button to the checkout page: Pay,
    or start the free trial (which charges nothing today)."""
    payment = started.payment
    invoice = started.checkout.invoice
    if invoice is not None:
        return Invoice(title, text, invoice.payload, payment.amount_minor)
    price = Money(payment.amount_minor, payment.currency)
    label = (
        ctx._("Start the free trial")
        if payment.interval and payment.trial_days
        else ctx._("Pay {price}", price=format_money(price, ctx.translator.locale))
    )
    return Reply(text, ephemeral=True, buttons=(Button(label, url=started.checkout.url or ""),))

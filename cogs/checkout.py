"""What every cog that sells something says the same way: which card provider takes the money
(Stripe when configured, else the local sandbox page) and the reply with its Pay button."""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.context import Context
from bot.core.effects import Button, Reply
from payments.money import Money, format_money


def card_provider(providers: Mapping[str, object]) -> str:
    return "stripe" if "stripe" in providers else "sandbox"


def pay_reply(ctx: Context, text: str, price: Money, url: str | None) -> Reply:
    label = ctx._("Pay {price}", price=format_money(price, ctx.translator.locale))
    return Reply(text, ephemeral=True, buttons=(Button(label, url=url or ""),))

"""`/unlock`: pay to read what is sold one by one: an accepted answer (`/unlock 12`, question
#12) or a drop (`/unlock D7`)."""

from __future__ import annotations

from functools import partial

from bot.core.commands import Args, CommandSpec, Param
from bot.core.context import Context
from bot.core.effects import Effect
from bot.core.i18n import N_
from bot.core.registry import Registry
from cogs.drops.reading import buy
from cogs.drops.rendering import drop_of
from cogs.qa.reading import unlock_question
from payments.service import PaymentService


async def unlock(payments: PaymentService, ctx: Context, args: Args) -> list[Effect]:
    what = (args.text("what") or "").strip()
    drop_id = drop_of(what)
    if drop_id is not None:
        return await buy(payments, ctx, drop_id)
    number = what.removeprefix("#")
    if number.isdigit() and len(number) <= 18:
        return await unlock_question(payments, ctx, int(number))
    return [
        ctx.reply(
            ctx._(
                "“{what}” names no question or drop: /unlock 12 for question #12, /unlock D7 "
                "for drop D7.",
                what=what[:20],
            )
        )
    ]


def register(registry: Registry, payments: PaymentService) -> None:
    registry.register(
        CommandSpec(
            name="unlock",
            description=N_("Pay to read an accepted answer or a drop"),
            handler=partial(unlock, payments),
            params=(Param("what", N_("A question's number, or a drop's label like D7")),),
            ephemeral=True,
        )
    )

"""`/unlock`: pay to read what is sold one by one: an accepted answer (`/unlock 12`, question
#12) or a drop (`/unlock D7`)."""

from __future__ import annotations

from functools import partial

from bot.core.commands import Args, CommandSpec, Param, ParamKind
from bot.core.context import Context
from bot.core.effects import Effect
from bot.core.i18n import N_
from bot.core.registry import Registry
from bot.core.values import DROP, QUESTION
from cogs.drops.reading import buy
from cogs.qa.reading import unlock_question
from payments.service import PaymentService


async def unlock(payments: PaymentService, ctx: Context, args: Args) -> list[Effect]:
    what = args.label("what")
    assert what is not None  # required: the dispatcher asked for it
    if what.kind == DROP:
        return await buy(payments, ctx, what.id)
    return await unlock_question(payments, ctx, what.id)


def register(registry: Registry, payments: PaymentService) -> None:
    registry.register(
        CommandSpec(
            name="unlock",
            description=N_("Pay to read an accepted answer or a drop"),
            handler=partial(unlock, payments),
            params=(
                Param(
                    N_("what"),
                    N_("A question's number, or a drop's label like D7"),
                    kind=ParamKind.LABEL,
                    labels=(DROP, QUESTION),
                ),
            ),
            ephemeral=True,
            examples=("/unlock D7", "/unlock 12"),
        )
    )

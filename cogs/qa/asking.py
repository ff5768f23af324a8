"""/ask: a paid question, to an expert or to all of them: `/ask @grace price:20 How do I ...`.
Without the question, it is asked for (a form on Discord, a reply on Telegram, lines in the
console)."""

from __future__ import annotations

from functools import partial

from bot.core.commands import Args, CommandSpec, Param, ParamKind, Refuse
from bot.core.context import Context
from bot.core.effects import Effect
from bot.core.i18n import N_
from bot.core.identity import member_level
from bot.core.money import format_money
from bot.core.permissions import Level
from bot.core.registry import Registry
from cogs.checkout import choose_provider, in_stars, offer
from cogs.qa import service as qa
from payments.service import PaymentService


async def ask(payments: PaymentService, ctx: Context, args: Args) -> list[Effect]:
    text = (args.text("question") or "").rstrip()
    expert = args.member("expert")
    if expert is not None and (member_level(expert) < Level.CREATOR or expert.id == ctx.member.id):
        raise Refuse(ctx._("{who} is not an expert here.", who=expert.display_name))
    lowest = await qa.lowest_price(ctx.uow, ctx.settings, expert.id if expert else None)
    price = args.money("price") or lowest
    if price.minor < lowest.minor:
        shown = format_money(lowest, ctx.translator.locale)
        if expert is not None:
            raise Refuse(
                ctx._("{who} takes questions from {price}.", who=expert.display_name, price=shown)
            )
        raise Refuse(ctx._("Questions cost at least {price}.", price=shown))
    provider, charged = choose_provider(payments, ctx, price, in_stars(ctx.settings, price))
    question, started = await qa.ask(
        ctx.uow,
        payments,
        asker_id=ctx.member.id,
        text=text,
        price=charged,
        expert_id=expert.id if expert else None,
        provider=provider,
        now=ctx.clock.now(),
    )
    said = ctx._(
        "Question #{id} is ready. Once it is paid, it goes to {who}; unanswered within {hours} "
        "hours, it is refunded.",
        id=question.id,
        who=expert.display_name if expert else ctx._("every expert"),
        hours=ctx.settings.qa.sla_hours,
    )
    return [offer(ctx, ctx._("Question #{id}", id=question.id), said, started)]


def register(registry: Registry, payments: PaymentService) -> None:
    registry.register(
        CommandSpec(
            name="ask",
            description=N_("Ask the experts a paid question"),
            handler=partial(ask, payments),
            params=(
                Param(
                    N_("expert"),
                    N_("The expert to ask (default: every expert)"),
                    kind=ParamKind.MEMBER,
                    required=False,
                ),
                Param(
                    N_("price"),
                    N_("What you offer (default: the lowest price)"),
                    kind=ParamKind.MONEY,
                    keyword=True,
                    required=False,
                    example="20",
                ),
                Param(N_("question"), N_("Your question"), rest=True, long=True),
            ),
            ephemeral=True,
            examples=(
                "/ask How do I cancel a task group cleanly?",
                "/ask @grace price:20 Why does my asyncio code block?",
            ),
        )
    )

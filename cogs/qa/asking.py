"""/ask: a paid question, to an expert or to all of them. On Discord the question is typed in
a form; everywhere it may start with the expert and a price: `/ask @grace 20 How do I ...`."""

from __future__ import annotations

import re
from functools import partial

from bot.core.commands import Args, CommandSpec, Param
from bot.core.context import Context
from bot.core.effects import Effect
from bot.core.i18n import N_
from bot.core.identity import find_member, member_level
from bot.core.money import format_money, parse_major
from bot.core.permissions import Level
from bot.core.registry import Registry
from cogs.checkout import choose_provider, in_stars, offer
from cogs.qa import service as qa
from payments.service import PaymentService
from storage.models import Member

_WORD = re.compile(r"\s*(\S+)[ \t]*\n?")


async def ask(payments: PaymentService, ctx: Context, args: Args) -> list[Effect]:
    text = args.text("question") or ""
    word, rest = _take_word(text)
    expert: Member | None = None
    if word[:1] in ("@", "#", "<"):
        expert = await find_member(ctx.uow, ctx.event.actor.platform, word)
        if expert is None or member_level(expert) < Level.CREATOR or expert.id == ctx.member.id:
            return [ctx.reply(ctx._("{who} is not an expert here.", who=word[:40]))]
        text = rest
        word, rest = _take_word(text)
    lowest = await qa.lowest_price(ctx.uow, ctx.settings, expert.id if expert else None)
    price = lowest
    if _looks_like_price(word):
        try:
            price = parse_major(word, lowest.currency)
        except ValueError:
            return [ctx.reply(ctx._("“{price}” is not a price.", price=word))]
        text = rest
    text = text.rstrip()
    if not text.strip():
        return [ctx.reply(ctx._("Write your question after /ask."))]
    if price.minor < lowest.minor:
        shown = format_money(lowest, ctx.translator.locale)
        if expert is not None:
            said = ctx._(
                "{who} takes questions from {price}.", who=expert.display_name, price=shown
            )
        else:
            said = ctx._("Questions cost at least {price}.", price=shown)
        return [ctx.reply(said)]
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


def _take_word(text: str) -> tuple[str, str]:
    """The first word, and what follows it as typed: line breaks and code blocks intact (only
    the blanks and one line break after the word go)."""
    match = _WORD.match(text)
    return (match.group(1), text[match.end() :]) if match else ("", "")


def _looks_like_price(word: str) -> bool:
    digits = word.replace(".", "", 1)
    return digits.isdigit() and len(digits) <= 9


def register(registry: Registry, payments: PaymentService) -> None:
    registry.register(
        CommandSpec(
            name="ask",
            description=N_("Ask the experts a paid question"),
            handler=partial(ask, payments),
            params=(
                Param(
                    "question",
                    N_("[@expert] [price] then your question"),
                    rest=True,
                    long=True,
                ),
            ),
            ephemeral=True,
        )
    )

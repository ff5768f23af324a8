"""Finding questions (/questions) and paying to read an accepted answer (/unlock)."""

from __future__ import annotations

from bot.core.commands import Args, CommandSpec, Param, ParamKind
from bot.core.context import Context
from bot.core.effects import Effect
from bot.core.i18n import N_
from bot.core.money import format_money
from bot.core.permissions import Level
from bot.core.registry import Registry
from cogs.checkout import choose_provider, in_stars, offer
from cogs.qa import listening
from cogs.qa import service as qa
from cogs.qa.commands import find_question, summary
from payments.service import PaymentService
from storage.models import Question

OPEN_ONES, MINE, ANSWERED_ONES = "open", "mine", "answered"
LISTED = 15


async def questions(ctx: Context, args: Args) -> list[Effect]:
    """Open questions (for experts to pick), one's own, or answered ones others can unlock."""
    which = args.text("which") or OPEN_ONES
    if which == MINE:
        found = await ctx.uow.questions.listing(member_id=ctx.member.id, limit=LISTED)
        empty = ctx._("You have no paid questions yet. Ask one with /ask.")
    elif which == ANSWERED_ONES:
        found = await ctx.uow.questions.listing(statuses=(qa.ACCEPTED,), limit=LISTED)
        empty = ctx._("No answered questions yet.")
    else:
        found = await ctx.uow.questions.listing(statuses=(qa.OPEN,), limit=LISTED)
        empty = ctx._("No open questions right now.")
    if not found:
        return [ctx.reply(empty)]
    return [ctx.reply("\n".join(_line(ctx, question) for question in found))]


def _line(ctx: Context, question: Question) -> str:
    headline = qa.first_line(question.text)
    short = headline if len(headline) <= 80 else headline[:79] + "…"
    return f"{summary(ctx, question)}\n    {short}"


async def unlock_question(payments: PaymentService, ctx: Context, question_id: int) -> list[Effect]:
    """`/unlock 12`: the accepted answer at once if it is readable already, else its checkout."""
    found = await find_question(ctx, question_id)
    if not isinstance(found, Question):
        return [found]
    if not listening.readable(found):
        return [ctx.reply(ctx._("Question #{id} has no accepted answer to unlock.", id=found.id))]
    moderator = ctx.level >= Level.MOD
    if qa.may_read_answer(found, ctx.member.id, moderator=moderator) or (
        await listening.has_unlocked(ctx.uow, found, ctx.member.id)
    ):
        assert found.answer is not None  # readable answers exist
        return [ctx.reply(ctx._("Answer:") + "\n" + found.answer)]
    card = qa.listen_price(ctx.settings)
    provider, charged = choose_provider(payments, ctx, card, in_stars(ctx.settings, card))
    started = await listening.offer(
        ctx.uow,
        payments,
        found,
        member_id=ctx.member.id,
        price=charged,
        provider=provider,
        now=ctx.clock.now(),
    )
    said = ctx._(
        "Read the accepted answer to #{id} for {price}; it comes to you in a private message "
        "once paid.",
        id=found.id,
        price=format_money(charged, ctx.translator.locale),
    )
    return [offer(ctx, ctx._("Answer #{id}", id=found.id), said, started)]


def register(registry: Registry) -> None:
    registry.register(
        CommandSpec(
            name="questions",
            description=N_("List paid questions: open ones, yours, or answered ones"),
            handler=questions,
            params=(
                Param(
                    "which",
                    N_("open, mine or answered"),
                    required=False,
                    kind=ParamKind.CHOICE,
                    choices=(OPEN_ONES, MINE, ANSWERED_ONES),
                ),
            ),
            ephemeral=True,
        )
    )

"""Finding questions (/questions), reading one (/question; its answer only for the asker, the
answering expert, moderators and members who paid to listen in) and paying to read an accepted
answer (/unlock)."""

from __future__ import annotations

from bot.core.commands import Args, CommandSpec, Param, ParamKind, Refuse
from bot.core.context import Context
from bot.core.effects import Effect
from bot.core.i18n import N_
from bot.core.money import Money, format_money
from bot.core.permissions import Level
from bot.core.registry import Registry
from bot.core.values import QUESTION
from cogs.checkout import choose_provider, in_stars, offer
from cogs.qa import listen_in
from cogs.qa import service as qa
from payments.service import PaymentService
from storage.models import Question

OPEN_ONES, MINE, ANSWERED_ONES = "open", "mine", "answered"
LISTED = 15
SUGGESTED = 25
STATUSES = {
    qa.AWAITING_PAYMENT: N_("awaiting payment"),
    qa.OPEN: N_("open"),
    qa.ANSWERED: N_("answered, waiting for the asker"),
    qa.REJECTED: N_("answer rejected, waiting for a moderator"),
    qa.ACCEPTED: N_("answer accepted"),
    qa.REFUNDING: N_("being refunded"),
    qa.REFUNDED: N_("refunded"),
    qa.DISPUTED: N_("disputed"),
}


async def find(ctx: Context, args: Args) -> Question:
    """The question the command names; refused when there is none."""
    label = args.label("id")
    assert label is not None  # required: the dispatcher asked for it
    return await find_question(ctx, label.id)


async def find_question(ctx: Context, question_id: int) -> Question:
    question = await ctx.uow.questions.get(question_id)
    if question is None:
        raise Refuse(ctx._("There is no question #{id}.", id=question_id))
    return question


async def suggest_questions(ctx: Context, typed: str) -> list[str]:
    """The member's own questions first (asked, or asked of them), then the open ones."""
    mine = await ctx.uow.questions.listing(member_id=ctx.member.id, limit=SUGGESTED)
    open_ones = await ctx.uow.questions.listing(statuses=(qa.OPEN,), limit=SUGGESTED)
    numbers = dict.fromkeys(str(q.id) for q in [*mine, *open_ones])
    wanted = typed.removeprefix("#")
    return [number for number in numbers if number.startswith(wanted)][:SUGGESTED]


QUESTION_ID = Param(
    N_("id"),
    N_("The question's number"),
    kind=ParamKind.LABEL,
    labels=(QUESTION,),
    suggest=suggest_questions,
)


def summary(ctx: Context, question: Question) -> str:
    price = format_money(Money(question.price_minor, question.currency), ctx.translator.locale)
    return ctx._(
        "Question #{id} · {price} · {status}",
        id=question.id,
        price=price,
        status=ctx._(STATUSES.get(question.status, question.status)),
    )


async def show(ctx: Context, args: Args) -> list[Effect]:
    found = await find(ctx, args)
    lines = [summary(ctx, found), found.text]
    if found.answer is not None:
        lines.append(await _answer_or_how_to_read_it(ctx, found))
    if found.rejection is not None and found.status == qa.REJECTED:
        lines.append(ctx._("Rejected by the asker: {reason}", reason=found.rejection))
    return [ctx.reply("\n\n".join(lines))]


async def _answer_or_how_to_read_it(ctx: Context, question: Question) -> str:
    assert question.answer is not None
    moderator = ctx.level >= Level.MOD
    if qa.may_read_answer(question, ctx.member.id, moderator=moderator) or (
        await listen_in.has_unlocked(ctx.uow, question, ctx.member.id)
    ):
        return ctx._("Answer:") + "\n" + question.answer
    if listen_in.readable(question):
        price = qa.listen_price(ctx.settings)
        shown = format_money(price, ctx.translator.locale)
        return ctx._(
            "Read the accepted answer for {price} with /unlock {id}.", price=shown, id=question.id
        )
    return ctx._("It has an answer; others can read it once it is accepted.")


async def questions(ctx: Context, args: Args) -> list[Effect]:
    """Open questions (for experts to pick), one's own, or answered ones others can unlock."""
    which = args.choice("which") or OPEN_ONES
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
    if not listen_in.readable(found):
        raise Refuse(ctx._("Question #{id} has no accepted answer to unlock.", id=found.id))
    moderator = ctx.level >= Level.MOD
    if qa.may_read_answer(found, ctx.member.id, moderator=moderator) or (
        await listen_in.has_unlocked(ctx.uow, found, ctx.member.id)
    ):
        assert found.answer is not None  # readable answers exist
        return [ctx.reply(ctx._("Answer:") + "\n" + found.answer)]
    card = qa.listen_price(ctx.settings)
    provider, charged = choose_provider(payments, ctx, card, in_stars(ctx.settings, card))
    started = await listen_in.offer(
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
            name="question",
            description=N_("Read a paid question (and its answer, if you may)"),
            handler=show,
            params=(QUESTION_ID,),
            ephemeral=True,
            examples=("/question 12",),
        )
    )
    registry.register(
        CommandSpec(
            name="questions",
            description=N_("List paid questions: open ones, yours, or answered ones"),
            handler=questions,
            params=(
                Param(
                    N_("which"),
                    N_("open, mine or answered"),
                    required=False,
                    kind=ParamKind.CHOICE,
                    choices=(OPEN_ONES, MINE, ANSWERED_ONES),
                ),
            ),
            examples=("/questions", "/questions mine"),
            ephemeral=True,
        )
    )

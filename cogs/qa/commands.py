"""After a question is paid: reading it, answering it, accepting the answer, cancelling it.

Only the asker, the answering expert and moderators see an answer before it is sold to others
(listen-in comes with /unlock)."""

from __future__ import annotations

from bot.core.commands import Args, CommandSpec, Param, ParamKind, Registry
from bot.core.context import Context
from bot.core.effects import Effect, NotifyMember
from bot.core.i18n import N_
from bot.core.permissions import Level
from cogs.qa import service as qa
from payments.money import Money, format_money
from payments.outbox import queue
from storage.models import Question

STATUSES = {
    qa.AWAITING_PAYMENT: N_("awaiting payment"),
    qa.OPEN: N_("open"),
    qa.ANSWERED: N_("answered, waiting for the asker"),
    qa.ACCEPTED: N_("answer accepted"),
    qa.REFUNDING: N_("being refunded"),
    qa.REFUNDED: N_("refunded"),
    qa.DISPUTED: N_("disputed"),
}


async def _find(ctx: Context, args: Args) -> Question | Effect:
    question_id = args.integer("id")
    question = await ctx.uow.questions.get(question_id) if question_id is not None else None
    if question is None:
        return ctx.reply(ctx._("There is no question #{id}.", id=question_id or "?"))
    return question


async def show(ctx: Context, args: Args) -> list[Effect]:
    found = await _find(ctx, args)
    if not isinstance(found, Question):
        return [found]
    price = format_money(Money(found.price_minor, found.currency), ctx.translator.locale)
    lines = [
        ctx._(
            "Question #{id} · {price} · {status}",
            id=found.id,
            price=price,
            status=ctx._(STATUSES.get(found.status, found.status)),
        ),
        found.text,
    ]
    insider = ctx.member.id in (found.asker_id, found.answerer_id) or ctx.level >= Level.MOD
    if found.answer is not None:
        lines.append(
            ctx._("Answer:") + "\n" + found.answer
            if insider
            else ctx._("It has an answer; others can read it once it is accepted.")
        )
    return [ctx.reply("\n\n".join(lines))]


async def answer(ctx: Context, args: Args) -> list[Effect]:
    found = await _find(ctx, args)
    if not isinstance(found, Question):
        return [found]
    if not qa.may_answer(found, ctx.member.id):
        return [ctx.reply(ctx._("Question #{id} is not yours to answer.", id=found.id))]
    try:
        qa.answer(
            found, answerer_id=ctx.member.id, text=args.text("text") or "", now=ctx.clock.now()
        )
    except qa.QuestionStateError:
        return [ctx.reply(ctx._("Question #{id} cannot be answered now.", id=found.id))]
    note = ctx._(
        "Your question #{id} has an answer. Read it with /question {id}, then /accept {id}.",
        id=found.id,
    )
    await queue(
        ctx.uow, NotifyMember(found.asker_id, note), key=f"answered:{found.id}", now=ctx.clock.now()
    )
    return [ctx.reply(ctx._("Answer sent. You are paid when the asker accepts it."))]


async def accept(ctx: Context, args: Args) -> list[Effect]:
    found = await _find(ctx, args)
    if not isinstance(found, Question):
        return [found]
    if found.asker_id != ctx.member.id:
        return [ctx.reply(ctx._("Only the asker can accept the answer to #{id}.", id=found.id))]
    try:
        payout = await qa.accept(ctx.uow, ctx.settings, found, ctx.clock.now())
    except qa.QuestionStateError:
        return [ctx.reply(ctx._("Question #{id} has no answer to accept.", id=found.id))]
    assert found.answerer_id is not None  # accepted answers have one
    paid = format_money(payout.expert, ctx.translator.locale)
    await queue(
        ctx.uow,
        NotifyMember(
            found.answerer_id,
            ctx._(
                "Your answer to #{id} was accepted: {amount} is yours.", id=found.id, amount=paid
            ),
        ),
        key=f"accepted:{found.id}",
        now=ctx.clock.now(),
    )
    return [ctx.reply(ctx._("Accepted. Thank you!"))]


async def cancel(ctx: Context, args: Args) -> list[Effect]:
    found = await _find(ctx, args)
    if not isinstance(found, Question):
        return [found]
    if found.asker_id != ctx.member.id:
        return [ctx.reply(ctx._("Only the asker can cancel #{id}.", id=found.id))]
    if ctx.payments is None:
        return [ctx.reply(ctx._("Payments are not set up here. Ask a moderator."))]
    try:
        await qa.refund(ctx.uow, ctx.payments, found, reason=f"question {found.id} cancelled")
    except qa.QuestionStateError:
        return [ctx.reply(ctx._("Question #{id} can no longer be cancelled.", id=found.id))]
    return [ctx.reply(ctx._("Cancelled. Your money is on its way back."))]


def register(registry: Registry) -> None:
    number = Param("id", N_("The question's number"), kind=ParamKind.INTEGER)
    text = Param("text", N_("Your answer"), rest=True, long=True)
    specs = (
        ("question", N_("Read a paid question (and its answer, if it is yours)"), show, (number,)),
        ("answer", N_("Answer a paid question (experts)"), answer, (number, text)),
        ("accept", N_("Accept the answer to your question: the expert is paid"), accept, (number,)),
        (
            "cancel",
            N_("Cancel your unanswered question and get your money back"),
            cancel,
            (number,),
        ),
    )
    for name, description, handler, params in specs:
        # Experts are the community's creators (and above).
        level = Level.CREATOR if name == "answer" else Level.MEMBER
        registry.register(
            CommandSpec(
                name=name,
                description=description,
                handler=handler,
                params=params,
                level=level,
                ephemeral=True,
            )
        )

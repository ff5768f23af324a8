"""After a question is paid: answering it (/answer), accepting or rejecting the answer
(/accept, /reject), a moderator's decision on a rejection (/decide), cancelling it (/cancel)."""

from __future__ import annotations

from functools import partial

from bot.core.commands import Args, CommandSpec, Param, ParamKind
from bot.core.context import Context
from bot.core.effects import Effect, PostToChat
from bot.core.i18n import N_, Translator
from bot.core.outbox import queue
from bot.core.permissions import Level
from bot.core.registry import Registry
from cogs.qa import service as qa
from cogs.qa.reading import find
from cogs.services import Services
from payments.service import PaymentService
from storage.interaction_recorder import InteractionRecorder
from storage.models import Question

UPHOLD, DISMISS = "uphold", "dismiss"


async def answer(ctx: Context, args: Args) -> list[Effect]:
    found = await find(ctx, args)
    if not isinstance(found, Question):
        return [found]
    if not qa.may_answer(found, ctx.member.id):
        return [ctx.reply(ctx._("Question #{id} is not yours to answer.", id=found.id))]
    try:
        await qa.answer(
            ctx.uow,
            ctx.settings,
            found,
            answerer_id=ctx.member.id,
            text=args.text("text") or "",
            now=ctx.clock.now(),
        )
    except qa.QuestionStateError:
        return [ctx.reply(ctx._("Question #{id} cannot be answered now.", id=found.id))]
    return [ctx.reply(ctx._("Answer sent. You are paid when the asker accepts it."))]


async def accept(interactions: InteractionRecorder, ctx: Context, args: Args) -> list[Effect]:
    found = await find(ctx, args)
    if not isinstance(found, Question):
        return [found]
    if found.asker_id != ctx.member.id:
        return [ctx.reply(ctx._("Only the asker can accept the answer to #{id}.", id=found.id))]
    try:
        await _pay_expert(interactions, ctx, found)
    except qa.QuestionStateError:
        return [ctx.reply(ctx._("Question #{id} has no answer to accept.", id=found.id))]
    return [ctx.reply(ctx._("Accepted. Thank you!"))]


async def reject(ctx: Context, args: Args) -> list[Effect]:
    """The asker contests the answer; moderators hear of it in the report channel."""
    found = await find(ctx, args)
    if not isinstance(found, Question):
        return [found]
    if found.asker_id != ctx.member.id:
        return [ctx.reply(ctx._("Only the asker can reject the answer to #{id}.", id=found.id))]
    reason = (args.text("reason") or "").strip()
    try:
        qa.reject(found, reason)
    except qa.QuestionStateError:
        return [ctx.reply(ctx._("Question #{id} has no answer to reject.", id=found.id))]
    now = ctx.clock.now()
    assert found.answerer_id is not None  # only answers are rejected
    await qa.tell(
        ctx.uow,
        ctx.settings,
        found.answerer_id,
        N_("The asker rejected your answer to #{id}: {reason}. A moderator will decide."),
        key=f"rejected:{found.id}",
        now=now,
        id=found.id,
        reason=reason,
    )
    speak = Translator(ctx.settings.community.default_locale)
    alert = speak.gettext(
        N_(
            "The asker of question #{id} rejected its answer: {reason}. Read both with "
            "/question {id}, then /decide {id} uphold (refund the asker) or /decide {id} dismiss "
            "(pay the expert)."
        ),
        id=found.id,
        reason=reason,
    )
    for platform, chat in ctx.settings.chats("report"):
        post = PostToChat(platform, chat, alert)
        await queue(ctx.uow, post, key=f"rejected:{found.id}:{platform}", now=now)
    return [ctx.reply(ctx._("Rejected. A moderator will decide; the money stays held until then."))]


async def decide(services: Services, ctx: Context, args: Args) -> list[Effect]:
    """A moderator ends a rejection: upheld, the asker is refunded; dismissed, the expert paid."""
    found = await find(ctx, args)
    if not isinstance(found, Question):
        return [found]
    if found.status != qa.REJECTED:
        return [ctx.reply(ctx._("Question #{id} has no rejection to decide.", id=found.id))]
    ruling = args.text("decision")
    if ruling == UPHOLD:
        reason = f"question {found.id}: rejection upheld by a moderator"
        await qa.refund(ctx.uow, services.payments, found, reason=reason)
        said = ctx._("Upheld: the asker of #{id} is refunded.", id=found.id)
    else:
        await _pay_expert(services.interactions, ctx, found)
        said = ctx._("Dismissed: the expert is paid for #{id}.", id=found.id)
    await ctx.uow.audit.record(
        f"qa.rejection_{ruling}",
        at=ctx.clock.now(),
        actor_id=ctx.member.id,
        subject_id=found.asker_id,
        detail={"question": found.id, "reason": found.rejection or ""},
    )
    return [ctx.reply(said)]


async def cancel(payments: PaymentService, ctx: Context, args: Args) -> list[Effect]:
    found = await find(ctx, args)
    if not isinstance(found, Question):
        return [found]
    if found.asker_id != ctx.member.id:
        return [ctx.reply(ctx._("Only the asker can cancel #{id}.", id=found.id))]
    try:
        await qa.cancel(ctx.uow, payments, found)
    except qa.QuestionStateError:
        return [ctx.reply(ctx._("Question #{id} can no longer be cancelled.", id=found.id))]
    return [ctx.reply(ctx._("Cancelled. Your money is on its way back."))]


async def _pay_expert(interactions: InteractionRecorder, ctx: Context, question: Question) -> None:
    """Accept the answer here: the acceptance counts where it was made."""
    await qa.accept(
        ctx.uow,
        ctx.settings,
        question,
        ctx.clock.now(),
        platform=ctx.event.place.platform.value,
        recorder=interactions,
    )


def register(registry: Registry, services: Services) -> None:
    number = Param("id", N_("The question's number"), kind=ParamKind.INTEGER)
    text = Param("text", N_("Your answer"), rest=True, long=True)
    reason = Param("reason", N_("Why the answer does not answer your question"), rest=True)
    decision = Param(
        "decision",
        N_("uphold: refund the asker; dismiss: pay the expert"),
        kind=ParamKind.CHOICE,
        choices=(UPHOLD, DISMISS),
    )
    specs = (
        # Experts are the community's creators (and above).
        ("answer", N_("Answer a paid question (experts)"), answer, (number, text), Level.CREATOR),
        (
            "accept",
            N_("Accept the answer to your question: the expert is paid"),
            partial(accept, services.interactions),
            (number,),
            Level.MEMBER,
        ),
        (
            "reject",
            N_("Reject the answer to your question: a moderator decides"),
            reject,
            (number, reason),
            Level.MEMBER,
        ),
        (
            "decide",
            N_("Decide a rejected answer (moderators)"),
            partial(decide, services),
            (number, decision),
            Level.MOD,
        ),
        (
            "cancel",
            N_("Cancel your unanswered question and get your money back"),
            partial(cancel, services.payments),
            (number,),
            Level.MEMBER,
        ),
    )
    for name, description, handler, params, level in specs:
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

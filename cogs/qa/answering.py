"""After a question is paid: answering it (/answer), accepting or rejecting the answer
(/accept, /reject), a moderator's decision on a rejection (/decide), cancelling it (/cancel)."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from bot.core.commands import Args, CommandSpec, Param, ParamKind, Refuse
from bot.core.context import Context
from bot.core.effects import Effect, PostToChat
from bot.core.i18n import N_, Translator
from bot.core.outbox import queue
from bot.core.permissions import Level
from bot.core.registry import Registry
from cogs.qa import service as qa
from cogs.qa.reading import QUESTION_ID, find
from cogs.services import Services
from payments.service import PaymentService
from storage.interaction_recorder import InteractionRecorder
from storage.models import Question

UPHOLD, DISMISS = "uphold", "dismiss"
# Why a question's answer can no longer be accepted, rejected or decided, by its state.
_SETTLED = {
    qa.AWAITING_PAYMENT: N_("Question #{id} is not paid yet."),
    qa.OPEN: N_("Question #{id} has no answer yet."),
    qa.ACCEPTED: N_("The answer to #{id} was accepted already."),
    qa.REJECTED: N_("The answer to #{id} was rejected; a moderator decides."),
    qa.REFUNDING: N_("Question #{id} is being refunded."),
    qa.REFUNDED: N_("Question #{id} was refunded."),
    qa.DISPUTED: N_("Question #{id} is disputed with the payment provider."),
}


def _settled(ctx: Context, question: Question) -> Refuse:
    """The refusal that says what state the question is in instead."""
    message = _SETTLED.get(question.status, N_("Question #{id} cannot be changed now."))
    return Refuse(ctx._(message, id=question.id))


async def answer(ctx: Context, args: Args) -> list[Effect]:
    found = await find(ctx, args)
    if not qa.may_answer(found, ctx.member.id):
        raise Refuse(ctx._("Question #{id} is not yours to answer.", id=found.id))
    if found.status == qa.ANSWERED:
        raise Refuse(ctx._("Question #{id} is answered already.", id=found.id))
    if found.status != qa.OPEN:
        raise _settled(ctx, found)
    await qa.answer(
        ctx.uow,
        ctx.settings,
        found,
        answerer_id=ctx.member.id,
        text=args.text("text") or "",
        now=ctx.clock.now(),
    )
    return [ctx.reply(ctx._("Answer sent. You are paid when the asker accepts it."))]


async def accept(interactions: InteractionRecorder, ctx: Context, args: Args) -> list[Effect]:
    found = await find(ctx, args)
    if found.asker_id != ctx.member.id:
        raise Refuse(ctx._("Only the asker can accept the answer to #{id}.", id=found.id))
    if found.status != qa.ANSWERED:
        raise _settled(ctx, found)
    await _pay_expert(interactions, ctx, found)
    return [ctx.reply(ctx._("Accepted. Thank you!"))]


async def reject(ctx: Context, args: Args) -> list[Effect]:
    """The asker contests the answer; moderators hear of it in the report channel."""
    found = await find(ctx, args)
    if found.asker_id != ctx.member.id:
        raise Refuse(ctx._("Only the asker can reject the answer to #{id}.", id=found.id))
    if found.status != qa.ANSWERED:
        raise _settled(ctx, found)
    reason = (args.text("reason") or "").strip()
    qa.reject(found, reason)
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
    if found.status != qa.REJECTED:
        raise Refuse(ctx._("Question #{id} has no rejection to decide.", id=found.id))
    ruling = args.choice("decision")
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
    if found.asker_id != ctx.member.id:
        raise Refuse(ctx._("Only the asker can cancel #{id}.", id=found.id))
    if found.status != qa.OPEN:
        raise Refuse(ctx._("Question #{id} can no longer be cancelled.", id=found.id))
    await qa.cancel(ctx.uow, payments, found)
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
    text = Param(N_("text"), N_("Your answer"), rest=True, long=True)
    reason = Param(N_("reason"), N_("Why the answer does not answer your question"), rest=True)
    decision = Param(
        N_("decision"),
        N_("uphold: refund the asker; dismiss: pay the expert"),
        kind=ParamKind.CHOICE,
        choices=(UPHOLD, DISMISS),
    )
    specs = (
        # Experts are the community's creators (and above).
        CommandSpec(
            name="answer",
            description=N_("Answer a paid question (experts)"),
            handler=answer,
            params=(QUESTION_ID, text),
            level=Level.CREATOR,
            examples=("/answer 12 Profile it first: py-spy top --pid 4242",),
        ),
        CommandSpec(
            name="accept",
            description=N_("Accept the answer to your question: the expert is paid"),
            handler=partial(accept, services.interactions),
            params=(QUESTION_ID,),
            examples=("/accept 12",),
        ),
        CommandSpec(
            name="reject",
            description=N_("Reject the answer to your question: a moderator decides"),
            handler=reject,
            params=(QUESTION_ID, reason),
            examples=("/reject 12 It answers another question",),
        ),
        CommandSpec(
            name="decide",
            description=N_("Decide a rejected answer (moderators)"),
            handler=partial(decide, services),
            params=(QUESTION_ID, decision),
            level=Level.MOD,
            examples=("/decide 12 uphold",),
        ),
        CommandSpec(
            name="cancel",
            description=N_("Cancel your unanswered question and get your money back"),
            handler=partial(cancel, services.payments),
            params=(QUESTION_ID,),
            examples=("/cancel 12",),
        ),
    )
    for spec in specs:
        registry.register(replace(spec, ephemeral=True))

"""Question payments: paid money waits in escrow; a refund takes it back out of escrow.
Listen-in payments: split at once between the community, the asker and the expert."""

from __future__ import annotations

from datetime import timedelta

from bot.core.effects import PostToChat
from bot.core.i18n import N_, Translator
from bot.core.money import Money, format_money
from cogs.qa import listen_in
from cogs.qa.service import (
    ANSWERED,
    AWAITING_PAYMENT,
    DISPUTED,
    KIND,
    OPEN,
    REFUNDED,
    REJECTED,
    first_line,
    question_ref,
    register_question,
    tell,
)
from payments import ledger
from payments.purposes import PaidOnce, Purpose, PurposeContext
from storage.interaction_recorder import InteractionRecorder
from storage.models import Payment, Question


class QuestionPurpose(PaidOnce):
    kind = KIND

    def income_account(self, purpose: Purpose) -> str:
        return ledger.ESCROW_QA

    async def still_for_sale(self, ctx: PurposeContext, purpose: Purpose, amount: Money) -> bool:
        question = await ctx.uow.questions.get(int(purpose.ref))
        return (
            question is not None
            and question.status == AWAITING_PAYMENT
            and Money(question.price_minor, question.currency) == amount
        )

    async def title(self, ctx: PurposeContext, purpose: Purpose, speak: Translator) -> str:
        question = await ctx.uow.questions.get(int(purpose.ref))
        return _question_title(speak, purpose.ref, question)

    async def paid(self, ctx: PurposeContext, payment: Payment) -> None:
        """The question opens: its answer clock starts, it is posted for the experts, and the
        expert it was asked of hears of it."""
        question = await _question(ctx, payment)
        if question is None or question.status != AWAITING_PAYMENT:
            return
        now = ctx.clock.now()
        question.status, question.paid_at = OPEN, now
        question.answer_due_at = now + timedelta(hours=ctx.settings.qa.sla_hours)
        await register_question(ctx.uow, question, now)
        for platform, chat in ctx.settings.chats("qa"):
            post = PostToChat(
                platform,
                chat,
                _posting(
                    question, ctx.settings.community.default_locale, ctx.settings.qa.sla_hours
                ),
                thread_title=f"#{question.id} {first_line(question.text)}",
                content_ref=question_ref(question.id),
            )
            await ctx.promise(post, key=f"posted:{question.id}:{platform}")
        if question.expert_id is not None:
            await tell(
                ctx.uow,
                ctx.settings,
                question.expert_id,
                N_(
                    "A member asked you a paid question, #{id} ({price}). Read it with "
                    "/question {id}; answer with /answer {id} within {hours} hours."
                ),
                key=f"asked:{question.id}",
                now=now,
                id=question.id,
                price=Money(question.price_minor, question.currency),
                hours=ctx.settings.qa.sla_hours,
            )

    async def refunded(self, ctx: PurposeContext, payment: Payment, amount: Money) -> None:
        """The refund was booked from clearing into refunds:qa; the escrow that held the money
        releases the same amount against it, so nothing stays held for a refunded question."""
        question = await _question(ctx, payment)
        if question is None:
            return
        await ctx.ledger.release(
            "refund",
            f"question:{question.id}:unescrowed:{payment.refunded_minor}",
            ledger.ESCROW_QA,
            ledger.refunds(KIND),
            amount,
            at=ctx.clock.now(),
        )
        if payment.refunded_minor >= payment.amount_minor:
            question.status, question.closed_at = REFUNDED, ctx.clock.now()

    async def disputed(self, ctx: PurposeContext, payment: Payment) -> None:
        """A dispute freezes the question (no answer can be accepted any more), and what the
        escrow held goes where the disputed money was booked."""
        question = await _question(ctx, payment)
        if question is None or question.status not in (OPEN, ANSWERED, REJECTED):
            return
        held = Money(payment.amount_minor - payment.refunded_minor, payment.currency)
        await ctx.ledger.release(
            "dispute",
            f"question:{question.id}:disputed",
            ledger.ESCROW_QA,
            ledger.disputes(KIND),
            held,
            at=ctx.clock.now(),
        )
        question.status = DISPUTED


class ListenPurpose(PaidOnce):
    """`listen:<unlock id>`: a member paying to read an accepted answer."""

    kind = listen_in.KIND

    def __init__(self, interactions: InteractionRecorder) -> None:
        self._interactions = interactions

    def income_account(self, purpose: Purpose) -> str:
        return ledger.revenue(listen_in.KIND)

    async def still_for_sale(self, ctx: PurposeContext, purpose: Purpose, amount: Money) -> bool:
        return await listen_in.still_for_sale(ctx.uow, int(purpose.ref))

    async def title(self, ctx: PurposeContext, purpose: Purpose, speak: Translator) -> str:
        unlock = await ctx.uow.questions.unlock(int(purpose.ref))
        question = await ctx.uow.questions.get(unlock.question_id) if unlock else None
        return speak.gettext(
            N_("The accepted answer to {question}"),
            question=_question_title(speak, str(question.id if question else "?"), question),
        )

    async def paid(self, ctx: PurposeContext, payment: Payment) -> None:
        await listen_in.paid(ctx.uow, ctx.settings, payment, ctx.clock.now(), self._interactions)

    async def refunded(self, ctx: PurposeContext, payment: Payment, amount: Money) -> None:
        step = f"refunded:{payment.refunded_minor}"
        await listen_in.refunded(ctx.uow, ctx.settings, payment, amount, ctx.clock.now(), step=step)

    async def disputed(self, ctx: PurposeContext, payment: Payment) -> None:
        held = Money(payment.amount_minor - payment.refunded_minor, payment.currency)
        await listen_in.refunded(
            ctx.uow, ctx.settings, payment, held, ctx.clock.now(), step="disputed"
        )


def _posting(question: Question, locale: str, hours: int) -> str:
    """The question as the community sees it in the Q&A channel, in the community's language."""
    speak = Translator(locale)
    price = format_money(Money(question.price_minor, question.currency), speak.locale)
    header = speak.gettext(
        N_("Paid question #{id} · {price} · answer within {hours} hours with /answer {id}"),
        id=question.id,
        price=price,
        hours=hours,
    )
    return f"{header}\n\n{question.text}"


async def _question(ctx: PurposeContext, payment: Payment) -> Question | None:
    return await ctx.uow.questions.get(int(Purpose.parse(payment.purpose).ref))


def _question_title(speak: Translator, ref: str, question: Question | None) -> str:
    if question is None:
        return speak.gettext(N_("Question #{id}"), id=ref)
    return speak.gettext(
        N_("Question #{id}: {text}"), id=question.id, text=first_line(question.text)[:80]
    )

"""Question payments: paid money waits in escrow; a refund takes it back out of escrow."""

from __future__ import annotations

from datetime import timedelta

from bot.core.effects import NotifyMember
from cogs.qa.service import ANSWERED, AWAITING_PAYMENT, DISPUTED, KIND, OPEN, REFUNDED
from payments import ledger
from payments.money import Money
from payments.purposes import Purpose, PurposeContext
from storage.models import Payment, Question


class QuestionPurpose:
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

    async def paid(self, ctx: PurposeContext, payment: Payment) -> None:
        question = await _question(ctx, payment)
        if question is None or question.status != AWAITING_PAYMENT:
            return
        now = ctx.clock.now()
        question.status = OPEN
        question.answer_due_at = now + timedelta(hours=ctx.settings.qa.sla_hours)
        if question.expert_id is not None:
            note = f"A member asked you a paid question, #{question.id}: /question {question.id}"
            await ctx.promise(NotifyMember(question.expert_id, note), key=f"asked:{question.id}")

    async def renewed(self, ctx: PurposeContext, payment: Payment) -> None:
        """Questions are paid once: nothing renews."""

    async def renewal_failed(self, ctx: PurposeContext, payment: Payment) -> None:
        """Questions are paid once: nothing renews."""

    async def subscription_changed(self, ctx: PurposeContext, payment: Payment) -> None:
        """Questions are paid once: no subscription."""

    async def subscription_ended(self, ctx: PurposeContext, payment: Payment) -> None:
        """Questions are paid once: no subscription."""

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
        if question is None or question.status not in (OPEN, ANSWERED):
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


async def _question(ctx: PurposeContext, payment: Payment) -> Question | None:
    return await ctx.uow.questions.get(int(Purpose.parse(payment.purpose).ref))

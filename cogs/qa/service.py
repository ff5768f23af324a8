"""A paid question's life: asked, paid into escrow, answered, then accepted (the expert is
owed the price less the platform's fee) or refunded (cancelled before an answer, or unanswered
in time). Every move of money is in the ledger; refunds go through the outbox."""

from __future__ import annotations

from datetime import datetime

from bot.config import Settings
from bot.core.clock import Clock
from cogs.qa.shares import AnswerPayout, answer_payout
from payments import ledger
from payments.money import Money, parse_major
from payments.purposes import Purpose
from payments.service import PaymentService, StartedCheckout
from storage.models import Question
from storage.uow import UnitOfWork, UnitOfWorkFactory

# The purpose kind, and the ledger's name for Q&A money (escrow:qa, revenue:qa, refunds:qa).
KIND = "qa"
AWAITING_PAYMENT, OPEN, ANSWERED, ACCEPTED = "awaiting_payment", "open", "answered", "accepted"
REFUNDING, REFUNDED, DISPUTED = "refunding", "refunded", "disputed"


class QuestionStateError(ValueError):
    """The question is not in a state that allows this (answering an accepted question...)."""


def minimum_price(settings: Settings) -> Money:
    return parse_major(settings.qa.min_price, settings.community.currency)


def purpose_of(question: Question) -> Purpose:
    return Purpose(KIND, str(question.id))


async def ask(
    uow: UnitOfWork,
    payments: PaymentService,
    *,
    asker_id: int,
    text: str,
    price: Money,
    expert_id: int | None,
    provider: str,
    now: datetime,
) -> tuple[Question, StartedCheckout]:
    """A question awaiting its payment, and the checkout that pays it."""
    question = await uow.questions.add(
        Question(
            asker_id=asker_id,
            expert_id=expert_id,
            text=text,
            price_minor=price.minor,
            currency=price.currency,
            status=AWAITING_PAYMENT,
            created_at=now,
        )
    )
    started = await payments.start_checkout(
        uow,
        member_id=asker_id,
        purpose=purpose_of(question),
        amount=price,
        title=f"Question #{question.id}",
        provider=provider,
    )
    question.payment_id = started.payment.id
    return question, started


def may_answer(question: Question, member_id: int) -> bool:
    """The chosen expert, or anyone (an expert) for an open question; never the asker."""
    if member_id == question.asker_id:
        return False
    return question.expert_id is None or question.expert_id == member_id


def answer(question: Question, *, answerer_id: int, text: str, now: datetime) -> None:
    if question.status != OPEN:
        raise QuestionStateError(f"question {question.id} is {question.status}")
    question.status, question.answer, question.answerer_id = ANSWERED, text, answerer_id
    question.answered_at = now


async def accept(
    uow: UnitOfWork, settings: Settings, question: Question, now: datetime
) -> AnswerPayout:
    """Release the escrow: the expert is owed the price less the fee, the fee is revenue."""
    if question.status != ANSWERED or question.answerer_id is None:
        raise QuestionStateError(f"question {question.id} is {question.status}")
    price = Money(question.price_minor, question.currency)
    payout = answer_payout(price, settings.qa.platform_fee_percent)
    books = ledger.Ledger(uow)
    reference = f"question:{question.id}:accepted"
    expert = ledger.payable(question.answerer_id)
    await books.release(
        "qa", f"{reference}:expert", ledger.ESCROW_QA, expert, payout.expert, at=now
    )
    fee = ledger.revenue("qa")
    await books.release("qa", f"{reference}:fee", ledger.ESCROW_QA, fee, payout.platform, at=now)
    question.status, question.closed_at = ACCEPTED, now
    return payout


async def refund(
    uow: UnitOfWork, payments: PaymentService, question: Question, *, reason: str
) -> None:
    """Give the whole price back through the provider that took it (once: the question leaves
    the open state now, and the outbox item is keyed by the payment)."""
    if question.status != OPEN or question.payment_id is None:
        raise QuestionStateError(f"question {question.id} is {question.status}")
    payment = await uow.payments.get(question.payment_id, for_update=True)
    if payment is None:
        raise QuestionStateError(f"question {question.id} has no payment")
    await payments.request_refund(
        uow,
        payment,
        Money(payment.amount_minor - payment.refunded_minor, payment.currency),
        reason=reason,
    )
    question.status = REFUNDING


async def refund_unanswered(uow: UnitOfWorkFactory, payments: PaymentService, clock: Clock) -> int:
    """The scheduled job: refund every overdue question, in one transaction."""
    async with uow() as unit:
        return await refund_overdue(unit, payments, clock.now())


async def refund_overdue(uow: UnitOfWork, payments: PaymentService, now: datetime) -> int:
    """Questions nobody answered in `[qa] sla_hours`: their askers get their money back."""
    overdue = await uow.questions.unanswered_due(now)
    for question in overdue:
        await refund(uow, payments, question, reason=f"question {question.id} not answered in time")
    return len(overdue)

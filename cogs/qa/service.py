"""A paid question's life: asked, paid into escrow, answered, then accepted (the expert is
owed the price less the platform's fee) or refunded (cancelled before an answer, unanswered in
time, or its answer rejected and a moderator upholding the rejection). Every move of money is in
the ledger; refunds go through the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import Settings
from bot.core.clock import Clock
from bot.core.effects import NotifyMember
from bot.core.i18n import N_
from bot.core.identity import speaker
from bot.core.money import Money, format_money
from bot.core.outbox import queue
from cogs.engagement.service import platform_of, record, register_content
from cogs.qa.shares import AnswerPayout, answer_payout
from cogs.services import Services
from payments import ledger
from payments.purposes import Purpose
from payments.service import PaymentService, StartedCheckout
from storage.interaction_recorder import InteractionRecorder
from storage.models import ExpertPrice, Question
from storage.uow import UnitOfWork, UnitOfWorkFactory

# Where an interaction the bot made on a member's behalf happened (an answer accepted because
# the asker left it alone).
# The purpose kind, and the ledger's name for Q&A money (escrow:qa, revenue:qa, refunds:qa).
KIND = "qa"
AWAITING_PAYMENT, OPEN, ANSWERED, REJECTED = "awaiting_payment", "open", "answered", "rejected"
ACCEPTED, REFUNDING, REFUNDED, DISPUTED = "accepted", "refunding", "refunded", "disputed"


class QuestionStateError(ValueError):
    """The question is not in a state that allows this (answering an accepted question...)."""


def minimum_price(settings: Settings) -> Money:
    return settings.money(settings.qa.min_price)


async def lowest_price(uow: UnitOfWork, settings: Settings, expert_id: int | None) -> Money:
    """What a question must cost at least: the expert's own minimum when they set one, else
    the community's."""
    own = await uow.questions.expert_price(expert_id) if expert_id is not None else None
    community = minimum_price(settings)
    if own is None or own.currency != community.currency:
        return community
    return max(community, Money(own.min_price_minor, own.currency), key=lambda m: m.minor)


async def set_expert_price(uow: UnitOfWork, expert_id: int, price: Money, now: datetime) -> None:
    await uow.questions.set_expert_price(
        ExpertPrice(
            member_id=expert_id,
            min_price_minor=price.minor,
            currency=price.currency,
            updated_at=now,
        )
    )


def listen_price(settings: Settings) -> Money:
    """What others pay to read an accepted answer (by card; `checkout.in_stars` of it in Stars)."""
    return settings.money(settings.qa.listen_price)


def purpose_of(question: Question) -> Purpose:
    return Purpose(KIND, str(question.id))


def question_ref(question_id: int) -> str:
    return f"question:{question_id}"


def answer_ref(question_id: int) -> str:
    return f"answer:{question_id}"


def question_of(ref: str) -> int | None:
    """The question a content's ref names, or None for any other content."""
    kind, _, number = ref.partition(":")
    return int(number) if kind == "question" and number.isdigit() else None


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


def may_read_answer(question: Question, member_id: int, *, moderator: bool) -> bool:
    """Before anyone pays to listen in, only the asker, the expert and moderators read it."""
    return moderator or member_id in (question.asker_id, question.answerer_id)


async def answer(
    uow: UnitOfWork,
    settings: Settings,
    question: Question,
    *,
    answerer_id: int,
    text: str,
    now: datetime,
) -> None:
    """Record the answer and tell the asker, who may accept or reject it."""
    if question.status != OPEN:
        raise QuestionStateError(f"question {question.id} is {question.status}")
    question.status, question.answer, question.answerer_id = ANSWERED, text, answerer_id
    question.answered_at = now
    # The answer is content of its own, by the expert, sold to listeners at the listen price.
    await register_content(
        uow,
        kind="answer",
        ref=answer_ref(question.id),
        title=first_line(question.text),
        author_id=answerer_id,
        at=now,
        price=listen_price(settings),
    )
    await tell(
        uow,
        settings,
        question.asker_id,
        N_(
            "Your question #{id} has an answer. Read it with /question {id}, then /accept {id} "
            "or /reject {id} with your reason. Without a reply in {days} days it is accepted."
        ),
        key=f"answered:{question.id}",
        now=now,
        id=question.id,
        days=settings.qa.accept_days,
    )


async def accept(
    uow: UnitOfWork,
    settings: Settings,
    question: Question,
    now: datetime,
    *,
    recorder: InteractionRecorder,
    platform: str | None = None,
) -> AnswerPayout:
    """Release the escrow: the expert is owed the price less the fee, the fee is revenue; the
    expert hears of it. A rejected answer is accepted when a moderator dismisses the rejection.
    `platform` is where the asker accepted it; without one (the deadline accepted it), where
    they were last seen."""
    if question.status not in (ANSWERED, REJECTED) or question.answerer_id is None:
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
    await tell(
        uow,
        settings,
        question.answerer_id,
        N_("Your answer to #{id} was accepted: {amount} is yours. See /payouts."),
        key=f"accepted:{question.id}",
        now=now,
        id=question.id,
        amount=payout.expert,
    )
    content = await uow.contents.by_ref(answer_ref(question.id))
    if content is not None:
        # The asker's acceptance is the strongest sign the answer was worth its price.
        await record(
            recorder,
            content,
            member_id=question.asker_id,
            kind="answer_accepted",
            platform=platform or await platform_of(uow, question.asker_id),
            at=now,
        )
    return payout


def reject(question: Question, reason: str) -> None:
    """The asker contests the answer; the money stays in escrow until a moderator decides."""
    if question.status != ANSWERED:
        raise QuestionStateError(f"question {question.id} is {question.status}")
    question.status, question.rejection = REJECTED, reason


async def cancel(uow: UnitOfWork, payments: PaymentService, question: Question) -> None:
    """The asker takes the question back before anyone answered it."""
    if question.status != OPEN:
        raise QuestionStateError(f"question {question.id} is {question.status}")
    await refund(uow, payments, question, reason=f"question {question.id} cancelled")


async def refund(
    uow: UnitOfWork, payments: PaymentService, question: Question, *, reason: str
) -> None:
    """Give the whole price back through the provider that took it (once: the question leaves
    its state now, and the outbox item is keyed by the payment)."""
    if question.status not in (OPEN, REJECTED) or question.payment_id is None:
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


@dataclass(frozen=True)
class Deadlines:
    """What one pass of the deadline job did."""

    refunded: int
    accepted: int


async def keep_deadlines(
    uow: UnitOfWorkFactory, services: Services, settings: Settings, clock: Clock
) -> Deadlines:
    """The scheduled job: unanswered questions past `[qa] sla_hours` are refunded; answers the
    asker left alone for `[qa] accept_days` are accepted. Each question in its own
    transaction, so one failure does not hold the others back."""
    now = clock.now()
    async with uow() as unit:
        overdue = [q.id for q in await unit.questions.unanswered_due(now)]
        waiting = [
            q.id
            for q in await unit.questions.answered_due(
                now - timedelta(days=settings.qa.accept_days)
            )
        ]
    for question_id in overdue:
        async with uow() as unit:
            await _refund_overdue(unit, services.payments, settings, question_id, now)
    for question_id in waiting:
        async with uow() as unit:
            question = await unit.questions.get(question_id)
            if question is not None and question.status == ANSWERED:
                await accept(unit, settings, question, now, recorder=services.interactions)
    return Deadlines(refunded=len(overdue), accepted=len(waiting))


async def _refund_overdue(
    uow: UnitOfWork, payments: PaymentService, settings: Settings, question_id: int, now: datetime
) -> None:
    question = await uow.questions.get(question_id)
    if question is None or question.status != OPEN:
        return  # answered or cancelled since it was found overdue
    await refund(uow, payments, question, reason=f"question {question.id} not answered in time")
    await tell(
        uow,
        settings,
        question.asker_id,
        N_("Nobody answered your question #{id} in time: your money is on its way back."),
        key=f"overdue:{question.id}",
        now=now,
        id=question.id,
    )


async def register_question(uow: UnitOfWork, question: Question, at: datetime) -> None:
    """A paid question is community content, worth its price (V_c) in the weekly report."""
    await register_content(
        uow,
        kind="question",
        ref=question_ref(question.id),
        title=first_line(question.text),
        author_id=question.asker_id,
        at=at,
        price=Money(question.price_minor, question.currency),
    )


async def tell(
    uow: UnitOfWork,
    settings: Settings,
    member_id: int,
    message: str,
    *,
    key: str,
    now: datetime,
    **values: object,
) -> None:
    """A private message to a member in their language (amounts formatted for it), once per
    `key`, through the outbox."""
    speak = await speaker(uow, settings, member_id)
    shown = {
        k: format_money(v, speak.locale) if isinstance(v, Money) else v for k, v in values.items()
    }
    await queue(uow, NotifyMember(member_id, speak.gettext(message, **shown)), key=key, now=now)


def first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0]

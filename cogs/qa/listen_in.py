"""Listen-in: a member who is neither the asker nor the expert pays `[qa] listen_price` to read
an accepted answer. The payment is split at once: the platform's fee stays in revenue:listen,
the rest goes to the asker's and the expert's payable accounts (`[qa]
listen_split_asker_percent` to the asker). The answer reaches the buyer by DM."""

from __future__ import annotations

from datetime import datetime

from bot.config import Settings
from bot.core.effects import NotifyMember
from bot.core.i18n import N_
from bot.core.identity import speaker
from bot.core.money import Money
from bot.core.outbox import queue
from cogs.engagement.service import platform_of, record
from cogs.qa.service import ACCEPTED, answer_ref
from cogs.qa.shares import ListenSplit, listen_split
from payments import ledger
from payments.purposes import Purpose
from payments.service import PaymentService, StartedCheckout
from storage.interaction_recorder import InteractionRecorder
from storage.models import Payment, Question, QuestionUnlock
from storage.uow import UnitOfWork

KIND = "listen"
AWAITING_PAYMENT, PAID, REFUNDED = "awaiting_payment", "paid", "refunded"


async def offer(
    uow: UnitOfWork,
    payments: PaymentService,
    question: Question,
    *,
    member_id: int,
    price: Money,
    provider: str,
    now: datetime,
) -> StartedCheckout:
    """The checkout for `member_id` to read the accepted answer to `question`; asking again
    before paying gives a new checkout for the same unlock."""
    unlock = await uow.questions.unlock_of(question.id, member_id)
    if unlock is None:
        unlock = await uow.questions.add_unlock(
            QuestionUnlock(
                question_id=question.id,
                member_id=member_id,
                status=AWAITING_PAYMENT,
                created_at=now,
            )
        )
    started = await payments.start_checkout(
        uow,
        member_id=member_id,
        purpose=Purpose(KIND, str(unlock.id)),
        amount=price,
        title=f"Answer to question #{question.id}",
        provider=provider,
    )
    unlock.payment_id = started.payment.id
    return started


async def has_unlocked(uow: UnitOfWork, question: Question, member_id: int) -> bool:
    unlock = await uow.questions.unlock_of(question.id, member_id)
    return unlock is not None and unlock.status == PAID


async def still_for_sale(uow: UnitOfWork, unlock_id: int) -> bool:
    unlock = await uow.questions.unlock(unlock_id)
    return unlock is not None and unlock.status == AWAITING_PAYMENT


async def paid(
    uow: UnitOfWork,
    settings: Settings,
    payment: Payment,
    now: datetime,
    recorder: InteractionRecorder,
) -> None:
    """Split the money, send the buyer the answer, count the unlock for the weekly report."""
    unlock = await _unlock(uow, payment)
    if unlock is None or unlock.status != AWAITING_PAYMENT:
        return
    question = await uow.questions.get(unlock.question_id)
    if question is None or question.answerer_id is None or question.answer is None:
        return
    unlock.status, unlock.paid_at = PAID, now
    split = _split(settings, Money(payment.amount_minor, payment.currency))
    await _move_shares(uow, question, unlock, split, now, step="paid")
    speak = await speaker(uow, settings, unlock.member_id)
    header = speak.gettext(N_("The accepted answer to question #{id}:"), id=question.id)
    await queue(
        uow,
        NotifyMember(unlock.member_id, f"{header}\n\n{question.text}\n\n—\n\n{question.answer}"),
        key=f"unlocked:{unlock.id}",
        now=now,
    )
    content = await uow.contents.by_ref(answer_ref(question.id))
    if content is not None:
        await record(
            recorder,
            content,
            member_id=unlock.member_id,
            kind="unlock",
            platform=await platform_of(uow, unlock.member_id),
            at=now,
        )


async def refunded(
    uow: UnitOfWork,
    settings: Settings,
    payment: Payment,
    amount: Money,
    now: datetime,
    *,
    step: str,
) -> None:
    """Money given back (or disputed) is taken back from the shares, in the same proportions,
    so revenue and the payable accounts hold only what was kept."""
    unlock = await _unlock(uow, payment)
    if unlock is None or unlock.status != PAID:
        return
    question = await uow.questions.get(unlock.question_id)
    if question is None:
        return
    await _move_shares(uow, question, unlock, _split(settings, amount), now, step=step)
    if payment.refunded_minor >= payment.amount_minor:
        unlock.status = REFUNDED


def _split(settings: Settings, paid: Money) -> ListenSplit:
    return listen_split(
        paid, settings.qa.platform_fee_percent, settings.qa.listen_split_asker_percent
    )


async def _move_shares(
    uow: UnitOfWork,
    question: Question,
    unlock: QuestionUnlock,
    split: ListenSplit,
    now: datetime,
    *,
    step: str,
) -> None:
    """`step` "paid" moves the shares out of revenue:listen; any other step (a refund, a
    dispute) moves them back."""
    reverse = step != "paid"
    assert question.answerer_id is not None  # only answered questions are unlocked
    books = ledger.Ledger(uow)
    income = ledger.revenue(KIND)
    shares = (
        (question.asker_id, split.asker, "asker"),
        (question.answerer_id, split.expert, "expert"),
    )
    for member_id, share, role in shares:
        if not share.minor:
            continue
        reference = f"listen:{unlock.id}:{role}:{step}"
        source, destination = (
            (ledger.payable(member_id), income) if reverse else (income, ledger.payable(member_id))
        )
        # Entries as `release` writes them, without its floor: a member's payable account may
        # already have been paid out when a listen-in is refunded.
        await books.post(
            KIND,
            reference,
            [ledger.Entry(source, share), ledger.Entry(destination, -share)],
            at=now,
        )


async def _unlock(uow: UnitOfWork, payment: Payment) -> QuestionUnlock | None:
    return await uow.questions.unlock(int(Purpose.parse(payment.purpose).ref))


def readable(question: Question) -> bool:
    """Only accepted answers are sold."""
    return question.status == ACCEPTED and question.answer is not None

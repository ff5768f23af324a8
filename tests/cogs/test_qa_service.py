"""A paid question's money, through the real payment service and ledger (sandbox provider):
escrow on payment, payout on acceptance, refund exactly once when nobody answers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.clock import FakeClock
from bot.core.effects import RefundPayment
from bot.core.money import Money
from bot.core.outbox import decode
from cogs.qa import service as qa
from cogs.services import Services
from payments.events import PaymentEventKind
from payments.service import PaymentService
from storage.models import Question
from storage.uow import UnitOfWorkFactory
from tests.cogs.conftest import (
    PRICE,
    QA_SETTINGS,
    paid_question,
    provider_says,
)
from tests.conftest import wire


async def _question(uow: UnitOfWorkFactory, question_id: int) -> Question:
    async with uow() as unit:
        question = await unit.questions.get(question_id)
        assert question is not None
        return question


async def _balances(uow: UnitOfWorkFactory) -> dict[str, int]:
    async with uow() as unit:
        return {account: minor for (account, _), minor in (await unit.ledger.balances()).items()}


async def test_paid_money_waits_in_escrow_and_acceptance_pays_the_expert(
    uow: UnitOfWorkFactory, qa_services: Services, clock: FakeClock
) -> None:
    question_id, expert, _ = await paid_question(uow, qa_services.payments, clock)
    recorder = qa_services.interactions
    assert (await _question(uow, question_id)).status == qa.OPEN
    assert (await _balances(uow))["escrow:qa"] == -1999
    async with uow() as unit:
        question = await unit.questions.get(question_id)
        assert question is not None
        assert qa.may_answer(question, expert)
        assert not qa.may_answer(question, question.asker_id)
        await qa.answer(
            unit, QA_SETTINGS, question, answerer_id=expert, text="Profile it.", now=clock.now()
        )
        payout = await qa.accept(unit, QA_SETTINGS, question, clock.now(), recorder=recorder)
    assert (payout.platform, payout.expert) == (Money(199, "usd"), Money(1800, "usd"))
    balances = await _balances(uow)
    assert balances.get("escrow:qa", 0) == 0
    assert balances[f"payable:member:{expert}"] == -1800
    assert balances["revenue:qa"] == -199
    async with uow() as unit:
        question = await unit.questions.get(question_id)
        assert question is not None
        with pytest.raises(qa.QuestionStateError):
            # never paid twice
            await qa.accept(unit, QA_SETTINGS, question, clock.now(), recorder=recorder)


async def test_an_unanswered_question_is_refunded_once_and_leaves_escrow_empty(
    uow: UnitOfWorkFactory, qa_services: Services, clock: FakeClock
) -> None:
    qa_payments = qa_services.payments
    question_id, _, payment_id = await paid_question(uow, qa_payments, clock)
    clock.advance(timedelta(hours=47))
    assert await qa.keep_deadlines(uow, qa_services, QA_SETTINGS, clock) == qa.Deadlines(0, 0)
    clock.advance(timedelta(hours=2))
    assert await qa.keep_deadlines(uow, qa_services, QA_SETTINGS, clock) == qa.Deadlines(1, 0)
    # The job runs again after a restart: new services, the same database.
    restarted = wire(uow, clock, QA_SETTINGS)
    assert await qa.keep_deadlines(uow, restarted, QA_SETTINGS, clock) == qa.Deadlines(0, 0)
    async with uow() as unit:
        items = await unit.outbox.due(clock.now() + timedelta(days=1), 50)
        refunds = [decode(i.kind, i.payload) for i in items if i.kind == "RefundPayment"]
    assert refunds == [
        RefundPayment(payment_id, 1999, f"question {question_id} not answered in time")
    ]
    # The provider confirms.
    refunded = PaymentEventKind.REFUNDED
    await provider_says(uow, qa_payments, clock, payment_id, PRICE, kind=refunded)
    assert (await _question(uow, question_id)).status == qa.REFUNDED
    balances = await _balances(uow)
    assert balances.get("escrow:qa", 0) == 0
    assert balances.get("refunds:qa", 0) == 0  # never revenue, so no refund of revenue
    assert balances.get("clearing:sandbox", 0) == 0


async def test_an_answered_question_can_no_longer_be_refunded(
    uow: UnitOfWorkFactory, qa_payments: PaymentService, clock: FakeClock
) -> None:
    question_id, expert, _ = await paid_question(uow, qa_payments, clock)
    async with uow() as unit:
        question = await unit.questions.get(question_id)
        assert question is not None
        await qa.answer(
            unit, QA_SETTINGS, question, answerer_id=expert, text="Profile.", now=clock.now()
        )
        with pytest.raises(qa.QuestionStateError):
            await qa.refund(unit, qa_payments, question, reason="changed my mind")
        with pytest.raises(qa.QuestionStateError):
            await qa.answer(
                unit, QA_SETTINGS, question, answerer_id=expert, text="again", now=clock.now()
            )

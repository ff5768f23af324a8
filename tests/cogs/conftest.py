"""What the Q&A tests share: the cogs' services as the app wires them, and a paid question."""

from __future__ import annotations

import pytest

from bot.core.clock import FakeClock
from bot.core.money import Money
from cogs.qa import service as qa
from cogs.services import Services
from payments.events import PaymentEvent, PaymentEventKind
from payments.service import PaymentService
from storage.uow import UnitOfWorkFactory
from tests.conftest import make_settings, wire

QA_SETTINGS = make_settings(qa={"min_price": "5.00", "sla_hours": 48, "platform_fee_percent": 10})
PRICE = Money(1999, "usd")


@pytest.fixture
def qa_services(uow: UnitOfWorkFactory, clock: FakeClock) -> Services:
    return wire(uow, clock, QA_SETTINGS)


@pytest.fixture
def qa_payments(qa_services: Services) -> PaymentService:
    return qa_services.payments


async def provider_says(
    uow: UnitOfWorkFactory,
    payments: PaymentService,
    clock: FakeClock,
    payment_id: int,
    amount: Money,
    *,
    kind: PaymentEventKind = PaymentEventKind.PAID,
    provider: str = "sandbox",
) -> None:
    """The provider's news about a payment (paid, refunded...), applied as a webhook would."""
    async with uow() as unit:
        event = PaymentEvent(
            provider,
            kind,
            f"{kind.value}-{payment_id}",
            clock.now(),
            payment_id=payment_id,
            amount=amount,
        )
        await payments.apply(unit, event)


async def _people(uow: UnitOfWorkFactory, clock: FakeClock) -> tuple[int, int]:
    ids = []
    async with uow() as unit:
        for name in ("asker", "expert"):
            identity = await unit.members.create_with_identity(
                platform="console",
                platform_user_id=name,
                display_name=name,
                username=name,
                level=0,
                now=clock.now(),
            )
            assert identity is not None
            ids.append(identity.member_id)
    return ids[0], ids[1]


async def paid_question(
    uow: UnitOfWorkFactory, payments: PaymentService, clock: FakeClock
) -> tuple[int, int, int]:
    asker, expert = await _people(uow, clock)
    async with uow() as unit:
        question, started = await qa.ask(
            unit,
            payments,
            asker_id=asker,
            text="Why is my async code slow?",
            price=PRICE,
            expert_id=expert,
            provider="sandbox",
            now=clock.now(),
        )
        question_id, payment_id = question.id, started.payment.id
    for _ in range(2):  # the provider's news, twice
        await provider_says(uow, payments, clock, payment_id, PRICE)
    return question_id, expert, payment_id

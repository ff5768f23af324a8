"""The sandbox's billing as time passes: a trial that ends in the first charge, renewals each
period, a declined renewal, cancellation at period end, and the ledger that follows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.clock import FakeClock
from bot.core.money import Money
from payments import ledger
from payments.providers.sandbox import SandboxProvider
from payments.purposes import Purpose
from payments.sandbox_billing import GIVE_UP_AFTER, Billed, SandboxBilling
from payments.service import PaymentService
from storage.models import Payment
from storage.uow import UnitOfWorkFactory
from tests.conftest import a_member
from tests.payments.conftest import RecordingPurpose


@pytest.fixture
def billing(
    db: UnitOfWorkFactory, service: PaymentService, payments_clock: FakeClock
) -> SandboxBilling:
    provider = service.providers["sandbox"]
    assert isinstance(provider, SandboxProvider)
    provider.billing = billing = SandboxBilling(db, service, payments_clock)
    return billing


async def _subscribe(
    db: UnitOfWorkFactory, service: PaymentService, billing: SandboxBilling, *, trial_days: int
) -> int:
    member = await a_member(db)
    async with db() as uow:
        started = await service.start_checkout(
            uow,
            member_id=member,
            purpose=Purpose("test", "t"),
            amount=Money(900, "usd"),
            title="Test",
            provider="sandbox",
            interval="month",
            trial_days=trial_days,
        )
        await billing.pay(uow, started.payment)
        return started.payment.id


async def _payments(db: UnitOfWorkFactory) -> list[Payment]:
    async with db() as uow:
        first = await uow.payments.get(1)
        assert first is not None
        assert first.subscription_ref
        charges = [first]
        while (found := await uow.payments.get(charges[-1].id + 1)) is not None:
            charges.append(found)
        return charges


async def _revenue(db: UnitOfWorkFactory) -> int:
    async with db() as uow:
        return -await uow.ledger.balance(ledger.revenue("test"), "usd")


async def test_a_trial_charges_nothing_until_it_ends_then_renews_every_period(
    db: UnitOfWorkFactory,
    service: PaymentService,
    billing: SandboxBilling,
    payments_clock: FakeClock,
    recording: RecordingPurpose,
) -> None:
    payment_id = await _subscribe(db, service, billing, trial_days=7)
    [first] = await _payments(db)
    assert (first.amount_minor, first.subscription_status) == (0, "trialing")
    assert first.period_end == payments_clock.now() + timedelta(days=7)
    assert await _revenue(db) == 0
    assert await billing.bill_due() == Billed()  # nothing is due yet

    payments_clock.advance(timedelta(days=7))
    assert await billing.bill_due() == Billed(renewed=1)
    payments_clock.advance(timedelta(days=60))  # two more periods, billed in order
    assert await billing.bill_due() == Billed(renewed=2)
    assert await billing.bill_due() == Billed()  # billing twice bills nothing more

    first, *charges = await _payments(db)
    assert [c.amount_minor for c in charges] == [900, 900, 900]
    assert [c.paid_at for c in charges] == [
        first.created_at + timedelta(days=d) for d in (7, 37, 67)
    ]
    assert first.period_end == first.created_at + timedelta(days=97)
    assert await _revenue(db) == 2700
    assert recording.calls == [("paid", payment_id)] + [("renewed", payment_id)] * 3


async def test_a_declined_renewal_waits_for_a_retry_then_the_subscription_ends(
    db: UnitOfWorkFactory,
    service: PaymentService,
    billing: SandboxBilling,
    payments_clock: FakeClock,
    recording: RecordingPurpose,
) -> None:
    payment_id = await _subscribe(db, service, billing, trial_days=0)
    await billing.fail_next_renewal(payment_id, True)
    payments_clock.advance(timedelta(days=30))
    assert await billing.bill_due() == Billed(failed=1)
    [first] = await _payments(db)
    assert first.subscription_status == "past_due"
    payments_clock.advance(GIVE_UP_AFTER - timedelta(days=1))
    assert await billing.bill_due() == Billed()  # still hoping for a retry
    payments_clock.advance(timedelta(days=1))
    assert await billing.bill_due() == Billed(ended=1)
    assert await billing.retry(payment_id) is False  # an ended subscription takes no charge
    assert recording.calls == [
        ("paid", payment_id),
        ("renewal_failed", payment_id),
        ("subscription_ended", payment_id),
    ]
    assert await _revenue(db) == 900


async def test_a_retried_renewal_pays_and_the_next_one_succeeds_again(
    db: UnitOfWorkFactory,
    service: PaymentService,
    billing: SandboxBilling,
    payments_clock: FakeClock,
) -> None:
    payment_id = await _subscribe(db, service, billing, trial_days=0)
    await billing.fail_next_renewal(payment_id, True)
    payments_clock.advance(timedelta(days=30))
    await billing.bill_due()
    assert await billing.retry(payment_id) is True
    assert await billing.retry(payment_id) is False  # paid already
    payments_clock.advance(timedelta(days=30))
    assert await billing.bill_due() == Billed(renewed=1)  # the failure was for one renewal
    assert await _revenue(db) == 2700


async def test_cancelled_at_period_end_it_ends_there_and_resuming_keeps_it(
    db: UnitOfWorkFactory,
    service: PaymentService,
    billing: SandboxBilling,
    payments_clock: FakeClock,
    recording: RecordingPurpose,
) -> None:
    payment_id = await _subscribe(db, service, billing, trial_days=0)
    async with db() as uow:
        payment = await uow.payments.get(payment_id)
        assert payment is not None
    await service.providers["sandbox"].cancel_subscription(payment)  # as the outbox does
    await billing.cancel(payment_id, at_period_end=False)  # changed their mind
    payments_clock.advance(timedelta(days=30))
    assert await billing.bill_due() == Billed(renewed=1)
    await billing.cancel(payment_id, at_period_end=True)
    payments_clock.advance(timedelta(days=29))
    assert await billing.bill_due() == Billed()  # access runs to the period's end
    payments_clock.advance(timedelta(days=1))
    assert await billing.bill_due() == Billed(ended=1)
    payments_clock.advance(timedelta(days=60))
    assert await billing.bill_due() == Billed()
    assert recording.calls.count(("subscription_changed", payment_id)) == 3
    assert recording.calls[-1] == ("subscription_ended", payment_id)
    assert await _revenue(db) == 1800

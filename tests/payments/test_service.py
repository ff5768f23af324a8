"""Applying payment events: once, in any order, with the ledger and the outbox in step."""

from __future__ import annotations

from datetime import timedelta

from bot.core.money import Money
from payments import ledger
from payments.events import PaymentEvent, PaymentEventKind
from payments.purposes import Purpose
from payments.service import PaymentService
from storage.uow import UnitOfWorkFactory
from tests.conftest import NOW, a_member
from tests.payments.conftest import RecordingPurpose

PURPOSE = Purpose("test", "thing")
NINE = Money(900, "usd")


def event(kind: PaymentEventKind, event_id: str, **fields: object) -> PaymentEvent:
    return PaymentEvent(provider="sandbox", kind=kind, event_id=event_id, occurred_at=NOW, **fields)  # type: ignore[arg-type]


async def _checkout(db: UnitOfWorkFactory, service: PaymentService, amount: Money = NINE) -> int:
    member = await a_member(db)
    async with db() as uow:
        started = await service.start_checkout(
            uow,
            member_id=member,
            purpose=PURPOSE,
            amount=amount,
            title="A thing",
            provider="sandbox",
        )
        assert started.checkout.url is not None
        assert "/sandbox/checkout/" in started.checkout.url
        return started.payment.id


async def _apply(db: UnitOfWorkFactory, service: PaymentService, *events: PaymentEvent) -> None:
    for e in events:
        async with db() as uow:
            await service.apply(uow, e)


async def _balances(db: UnitOfWorkFactory) -> dict[tuple[str, str], int]:
    async with db() as uow:
        return {k: v for k, v in (await uow.ledger.balances()).items() if v}


async def test_a_payment_is_booked_once_and_fulfilled_once(
    db: UnitOfWorkFactory, service: PaymentService, recording: RecordingPurpose
) -> None:
    payment_id = await _checkout(db, service)
    paid = event(PaymentEventKind.PAID, "e1", payment_id=payment_id, amount=NINE, charge_ref="pi_1")
    await _apply(db, service, paid, paid, paid)
    assert recording.calls == [("paid", payment_id)]
    assert await _balances(db) == {("clearing:sandbox", "usd"): 900, ("revenue:test", "usd"): -900}
    async with db() as uow:
        payment = await uow.payments.get(payment_id)
        assert payment is not None
        assert (payment.status, payment.charge_ref) == ("paid", "pi_1")
        assert (await uow.outbox.counts()) == {"pending": 1}


async def test_refunds_are_booked_by_growth_and_never_exceed_the_payment(
    db: UnitOfWorkFactory, service: PaymentService, recording: RecordingPurpose
) -> None:
    payment_id = await _checkout(db, service)
    await _apply(db, service, event(PaymentEventKind.PAID, "p", payment_id=payment_id, amount=NINE))
    partial = event(
        PaymentEventKind.REFUNDED, "r1", payment_id=payment_id, amount=Money(300, "usd")
    )
    full = event(PaymentEventKind.REFUNDED, "r2", payment_id=payment_id, amount=Money(900, "usd"))
    too_much = event(
        PaymentEventKind.REFUNDED, "r3", payment_id=payment_id, amount=Money(5000, "usd")
    )
    await _apply(db, service, partial, partial, full, partial, too_much)
    assert [c for c in recording.calls if c[0] == "refunded"] == [
        ("refunded", 300),
        ("refunded", 600),
    ]
    balances = await _balances(db)
    assert balances == {("revenue:test", "usd"): -900, ("refunds:test", "usd"): 900}
    async with db() as uow:
        payment = await uow.payments.get(payment_id)
        assert payment is not None
        assert (payment.status, payment.refunded_minor) == ("refunded", 900)


async def test_a_refund_that_arrives_before_the_payment_grants_nothing(
    db: UnitOfWorkFactory, service: PaymentService, recording: RecordingPurpose
) -> None:
    payment_id = await _checkout(db, service)
    await _apply(
        db,
        service,
        event(PaymentEventKind.REFUNDED, "r", payment_id=payment_id, amount=NINE),
        event(PaymentEventKind.PAID, "p", payment_id=payment_id, amount=NINE),
    )
    assert recording.calls == []
    assert await _balances(db) == {("revenue:test", "usd"): -900, ("refunds:test", "usd"): 900}
    async with db() as uow:
        payment = await uow.payments.get(payment_id)
        assert payment is not None
        assert payment.status == "refunded"


async def test_renewals_are_payments_of_their_own(
    db: UnitOfWorkFactory, service: PaymentService, recording: RecordingPurpose
) -> None:
    payment_id = await _checkout(db, service)
    end = NOW + timedelta(days=30)
    await _apply(
        db,
        service,
        event(
            PaymentEventKind.PAID,
            "p",
            payment_id=payment_id,
            amount=NINE,
            subscription_ref="sub_1",
            period_end=end,
            subscription_status="active",
        ),
        event(
            PaymentEventKind.RENEWED,
            "i2",
            subscription_ref="sub_1",
            charge_ref="pi_2",
            amount=NINE,
            period_end=end + timedelta(days=30),
        ),
        event(
            PaymentEventKind.RENEWED,
            "i2-again",
            subscription_ref="sub_1",
            charge_ref="pi_2",
            amount=NINE,
            period_end=end + timedelta(days=30),
        ),
        event(PaymentEventKind.REFUNDED, "r", charge_ref="pi_2", amount=Money(900, "usd")),
    )
    assert [c[0] for c in recording.calls] == ["paid", "renewed", "refunded"]
    assert await _balances(db) == {
        ("clearing:sandbox", "usd"): 900,
        ("revenue:test", "usd"): -1800,
        ("refunds:test", "usd"): 900,
    }
    async with db() as uow:
        first = await uow.payments.get(payment_id)
        assert first is not None
        assert first.period_end == end + timedelta(days=30)
        assert first.refunded_minor == 0  # the renewal's charge was refunded, not this one


async def test_subscription_state_converges_whatever_the_order(
    db: UnitOfWorkFactory, service: PaymentService
) -> None:
    payment_id = await _checkout(db, service)
    late = NOW + timedelta(days=60)
    changed = event(
        PaymentEventKind.SUBSCRIPTION_CHANGED,
        "u",
        subscription_ref="sub_9",
        period_end=late,
        cancel_at_period_end=True,
        payment_id=payment_id,
    )
    older = event(
        PaymentEventKind.PAID,
        "p",
        payment_id=payment_id,
        amount=NINE,
        subscription_ref="sub_9",
        period_end=NOW + timedelta(days=30),
    )
    await _apply(db, service, changed, older)
    async with db() as uow:
        payment = await uow.payments.get(payment_id)
        assert payment is not None
        assert payment.period_end == late  # an older period end never winds it back
        assert payment.cancel_at_period_end


async def test_a_dispute_takes_what_is_at_stake_once(
    db: UnitOfWorkFactory, service: PaymentService, recording: RecordingPurpose
) -> None:
    payment_id = await _checkout(db, service)
    disputed = event(PaymentEventKind.DISPUTED, "d", payment_id=payment_id)
    await _apply(
        db,
        service,
        event(PaymentEventKind.PAID, "p", payment_id=payment_id, amount=NINE),
        disputed,
        disputed,
    )
    assert recording.calls[-1] == ("disputed", payment_id)
    assert (await _balances(db))[("disputes:test", "usd")] == 900


async def test_refund_requests_go_through_the_outbox_and_are_capped(
    db: UnitOfWorkFactory, service: PaymentService
) -> None:
    payment_id = await _checkout(db, service)
    await _apply(db, service, event(PaymentEventKind.PAID, "p", payment_id=payment_id, amount=NINE))
    async with db() as uow:
        payment = await uow.payments.get(payment_id)
        assert payment is not None
        await service.request_refund(uow, payment, Money(400, "usd"), reason="late answer")
        await service.request_refund(uow, payment, Money(400, "usd"), reason="asked twice")
        try:
            await service.request_refund(uow, payment, Money(901, "usd"), reason="too much")
        except ledger.Overdrawn:
            pass
        else:
            raise AssertionError("a refund above the payment was accepted")
        assert (await uow.outbox.counts())["pending"] == 2  # receipt + one refund


async def test_events_for_unknown_payments_change_nothing(
    db: UnitOfWorkFactory, service: PaymentService
) -> None:
    await _apply(
        db, service, event(PaymentEventKind.PAID, "x", checkout_ref="cs_nobody", amount=NINE)
    )
    assert await _balances(db) == {}


async def test_still_for_sale_checks_status_amount_and_the_cog(
    db: UnitOfWorkFactory, service: PaymentService, recording: RecordingPurpose
) -> None:
    payment_id = await _checkout(db, service)
    async with db() as uow:
        payment = await uow.payments.get(payment_id)
        assert payment is not None
        assert await service.still_for_sale(uow, payment, NINE)
        assert not await service.still_for_sale(uow, payment, Money(1, "usd"))
        recording.for_sale = False
        assert not await service.still_for_sale(uow, payment, NINE)

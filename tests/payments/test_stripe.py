"""Stripe end to end: the real stripe-python against the fake Stripe, which sends signed
events to the bot's own /webhooks/stripe; on SQLite and on PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.clock import FakeClock
from bot.core.delivery import OutboxWorker
from bot.core.money import Money
from bot.web import WebServer, build_web_app, stripe_route
from payments.provider_calls import ProviderCalls
from payments.providers.stripe import StripeProvider
from payments.providers.stripe_events import StripeEvents
from payments.purposes import Purpose, Purposes
from payments.service import PaymentService
from payments.webhooks import StripeCatchUp, StripeWebhook
from storage.models import Payment, WebhookEvent
from storage.uow import UnitOfWorkFactory
from tests.conftest import a_member, make_settings
from tests.fakes.stripe import FakeStripe, connect
from tests.payments.conftest import RecordingPurpose

NINE = Money(900, "usd")


@dataclass
class Shop:
    fake: FakeStripe
    service: PaymentService
    webhook: StripeWebhook
    catch_up: StripeCatchUp
    clock: FakeClock  # the bot's and the fake Stripe's


@pytest.fixture
async def shop(
    engine: AsyncEngine, db: UnitOfWorkFactory, purposes: Purposes, payments_clock: FakeClock
) -> AsyncIterator[Shop]:
    clock = payments_clock  # the fake stamps what the bot reads (signatures carry real time)
    fake = FakeStripe(clock=clock)
    await fake.start()
    async with connect(fake, retries=1) as client:
        provider = StripeProvider(client, success_url="https://x/ok", cancel_url="https://x/no")
        service = PaymentService(
            providers={"stripe": provider}, purposes=purposes, clock=clock, settings=make_settings()
        )
        webhook = StripeWebhook(
            uow=db,
            service=service,
            events=StripeEvents(client),
            secret=FakeStripe.WEBHOOK_SECRET,
            clock=clock,
        )
        server = WebServer(build_web_app(engine, [stripe_route(webhook)]))
        port = await server.start("127.0.0.1", 0)
        fake.webhook_url = f"http://127.0.0.1:{port}/webhooks/stripe"
        yield Shop(fake, service, webhook, StripeCatchUp(client, webhook, clock), clock)
        await server.stop()
    await fake.stop()
    assert fake.crashes == []


async def _checkout(
    shop: Shop, db: UnitOfWorkFactory, *, interval: str | None = None
) -> tuple[int, str]:
    member = await a_member(db)
    async with db() as uow:
        started = await shop.service.start_checkout(
            uow,
            member_id=member,
            purpose=Purpose("test", "pro"),
            amount=NINE,
            title="Pro membership",
            provider="stripe",
            interval=interval,  # type: ignore[arg-type]
        )
    return started.payment.id, started.checkout.reference


async def _payment(db: UnitOfWorkFactory, payment_id: int) -> Payment:
    async with db() as uow:
        payment = await uow.payments.get(payment_id)
        assert payment is not None
        return payment


async def _events_stored(db: UnitOfWorkFactory) -> int:
    async with db() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(WebhookEvent)) or 0)


async def test_a_checkout_is_created_once_and_paid_through_the_webhook(
    shop: Shop, db: UnitOfWorkFactory, recording: RecordingPurpose
) -> None:
    payment_id, session_id = await _checkout(shop, db)
    call = await shop.fake.wait_for_call("POST", r"/v1/checkout/sessions$")
    assert call.headers["Idempotency-Key"] == f"knowpay-checkout-{payment_id}"
    assert call.params["metadata"]["payment_id"] == str(payment_id)
    assert call.params["allow_promotion_codes"] == "true"
    await shop.fake.complete_checkout(session_id)
    await shop.fake.drain()
    payment = await _payment(db, payment_id)
    assert payment.status == "paid"
    assert payment.charge_ref is not None
    assert payment.charge_ref.startswith("pi_")
    assert recording.calls == [("paid", payment_id)]


async def test_three_deliveries_of_one_event_count_once(
    shop: Shop, db: UnitOfWorkFactory, recording: RecordingPurpose
) -> None:
    payment_id, session_id = await _checkout(shop, db)
    events = await shop.fake.complete_checkout(session_id, deliver=False)
    [completed] = [e for e in events if e["type"] == "checkout.session.completed"]
    assert await shop.fake.deliver(completed, times=3) == [200, 200, 200]
    assert recording.calls == [("paid", payment_id)]
    async with db() as uow:
        balances = await uow.ledger.balances()
    assert balances[("clearing:stripe", "usd")] == 900


async def test_forged_tampered_and_stale_deliveries_are_refused_and_leave_nothing(
    shop: Shop, db: UnitOfWorkFactory, recording: RecordingPurpose
) -> None:
    _, session_id = await _checkout(shop, db)
    events = await shop.fake.complete_checkout(session_id, deliver=False)
    [completed] = [e for e in events if e["type"] == "checkout.session.completed"]
    assert await shop.fake.deliver(completed, secret="whsec_guessed") == [400]
    assert await shop.fake.deliver(completed, tamper=True) == [400]
    assert await shop.fake.deliver(completed, timestamp=int(time.time()) - 600) == [400]
    assert await _events_stored(db) == 0
    assert recording.calls == []
    assert await shop.fake.deliver(completed) == [200]  # the genuine one still works
    assert len(recording.calls) == 1


async def test_events_in_reverse_order_converge(
    shop: Shop, db: UnitOfWorkFactory, recording: RecordingPurpose
) -> None:
    payment_id, session_id = await _checkout(shop, db, interval="month")
    events = await shop.fake.complete_checkout(session_id, deliver=False)
    for event in reversed(events):
        await shop.fake.deliver(event)
    payment = await _payment(db, payment_id)
    assert payment.status == "paid"
    assert payment.subscription_status == "active"
    assert payment.period_end is not None
    paid = [call for call in recording.calls if call[0] == "paid"]
    assert paid == [("paid", payment_id)]  # first invoice + checkout: one payment


async def test_a_subscription_renews_fails_is_cancelled_and_ends(
    shop: Shop, db: UnitOfWorkFactory, recording: RecordingPurpose
) -> None:
    payment_id, session_id = await _checkout(shop, db, interval="month")
    await shop.fake.complete_checkout(session_id)
    await shop.fake.drain()
    first = await _payment(db, payment_id)
    assert first.subscription_ref is not None
    first_end = first.period_end
    await shop.fake.renew(first.subscription_ref)
    await shop.fake.drain()
    renewed = await _payment(db, payment_id)
    assert renewed.period_end is not None
    assert first_end is not None
    assert renewed.period_end > first_end
    await shop.fake.renew(first.subscription_ref, paid=False)
    await shop.fake.drain()
    assert (await _payment(db, payment_id)).subscription_status == "past_due"
    await shop.fake.update_subscription(first.subscription_ref, cancel_at_period_end=True)
    await shop.fake.drain()
    assert (await _payment(db, payment_id)).cancel_at_period_end
    await shop.fake.end_subscription(first.subscription_ref)
    await shop.fake.drain()
    assert (await _payment(db, payment_id)).subscription_status == "canceled"
    kinds = [kind for kind, _ in recording.calls if kind != "subscription_changed"]
    assert kinds == ["paid", "renewed", "renewal_failed", "subscription_ended"]
    async with db() as uow:
        assert (await uow.ledger.balances())[("revenue:test", "usd")] == -1800


async def test_our_refund_goes_through_the_outbox_once_and_stripes_echo_adds_nothing(
    shop: Shop, db: UnitOfWorkFactory, recording: RecordingPurpose
) -> None:
    payment_id, session_id = await _checkout(shop, db)
    await shop.fake.complete_checkout(session_id)
    await shop.fake.drain()
    async with db() as uow:
        payment = await uow.payments.get(payment_id)
        assert payment is not None
        await shop.service.request_refund(uow, payment, Money(400, "usd"), reason="late")
    clock = shop.clock
    worker = OutboxWorker(db, {"payments": ProviderCalls(db, shop.service, clock)}, clock)
    await worker.run_once()
    refund_call = await shop.fake.wait_for_call("POST", r"/v1/refunds$")
    assert refund_call.params["amount"] == "400"
    assert refund_call.headers["Idempotency-Key"] == f"knowpay-refund-{payment_id}-400"
    await shop.fake.drain()  # charge.refunded arrives after: the same total, nothing more
    payment = await _payment(db, payment_id)
    assert (payment.status, payment.refunded_minor) == ("partially_refunded", 400)
    async with db() as uow:
        assert (await uow.ledger.balances())[("refunds:test", "usd")] == 400
    assert [c for c in recording.calls if c[0] == "refunded"] == [("refunded", 400)]


async def test_dashboard_refunds_and_disputes_arrive_as_events(
    shop: Shop, db: UnitOfWorkFactory, recording: RecordingPurpose
) -> None:
    payment_id, session_id = await _checkout(shop, db)
    await shop.fake.complete_checkout(session_id)
    await shop.fake.drain()
    intent = (await _payment(db, payment_id)).charge_ref
    assert intent is not None
    await shop.fake.refund_externally(intent, 900)
    await shop.fake.drain()
    assert (await _payment(db, payment_id)).status == "refunded"
    payment_id2, session_id2 = await _checkout(shop, db)
    await shop.fake.complete_checkout(session_id2)
    await shop.fake.drain()
    intent2 = (await _payment(db, payment_id2)).charge_ref
    assert intent2 is not None
    await shop.fake.open_dispute(intent2)
    await shop.fake.drain()
    assert (await _payment(db, payment_id2)).status == "disputed"
    assert ("disputed", payment_id2) in recording.calls


async def test_a_delayed_payment_method_is_fulfilled_when_it_settles(
    shop: Shop, db: UnitOfWorkFactory, recording: RecordingPurpose
) -> None:
    payment_id, session_id = await _checkout(shop, db)
    await shop.fake.complete_checkout(session_id, async_payment=True)
    await shop.fake.drain()
    assert recording.calls == []
    await shop.fake.settle_async_payment(session_id, succeeded=True)
    await shop.fake.drain()
    assert recording.calls == [("paid", payment_id)]


async def test_the_catch_up_processes_events_no_webhook_brought(
    shop: Shop, db: UnitOfWorkFactory, recording: RecordingPurpose
) -> None:
    payment_id, session_id = await _checkout(shop, db)
    await shop.fake.complete_checkout(session_id, deliver=False)  # the bot was down
    assert recording.calls == []
    assert await shop.catch_up.run() >= 1
    assert recording.calls == [("paid", payment_id)]
    assert await shop.catch_up.run() == 0

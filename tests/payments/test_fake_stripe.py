"""The fake Stripe (tests/fakes/stripe/) proven with the REAL stripe-python 16.1.

No knowpay code here: these tests show that a stock `stripe.StripeClient` with its async methods
creates Checkout Sessions against the fake (idempotently), reads back what a completed checkout
made, refunds, opens billing portal sessions, lists events the way Stripe pages them, retries
what Stripe tells it to retry, and that the fake's webhooks verify with
`stripe.Webhook.construct_event` exactly when Stripe's would. Payment tests built on the fake
therefore exercise the real wire behaviour.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

import pytest
import stripe
from aiohttp import web
from stripe.params.checkout import SessionCreateParams

from bot.core.clock import FakeClock
from tests.fakes.stripe import FakeStripe, connect

WAIT = 5.0  # seconds; every wait below is on a recorded call or event, never a sleep
API_VERSION = "2026-10-28.endive"


@pytest.fixture
async def fake(clock: FakeClock) -> AsyncIterator[FakeStripe]:
    server = FakeStripe(clock=clock)
    await server.start()
    yield server
    await server.stop()
    assert server.crashes == []  # the fake answered every request without a bug of its own


@pytest.fixture
async def client(fake: FakeStripe) -> AsyncIterator[stripe.StripeClient]:
    async with connect(fake) as connected:
        yield connected


async def create_session(
    client: stripe.StripeClient,
    params: Mapping[str, Any],
    options: stripe.RequestOptions | None = None,
) -> stripe.checkout.Session:
    """checkout.sessions.create_async with plain dicts (the params are TypedDicts)."""
    return await client.v1.checkout.sessions.create_async(
        cast(SessionCreateParams, params), options
    )


@dataclass
class Receiver:
    """A webhook endpoint that verifies deliveries as a bot should."""

    secret: str = FakeStripe.WEBHOOK_SECRET
    url: str = ""
    verified: list[stripe.Event] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        payload = await request.text()
        try:
            event = stripe.Webhook.construct_event(
                payload, request.headers.get("Stripe-Signature"), self.secret
            )
        except stripe.SignatureVerificationError as exc:
            self.rejected.append(str(exc))
            return web.Response(status=400, text="bad signature")
        self.verified.append(event)
        return web.Response(status=200)


@pytest.fixture
async def receiver(fake: FakeStripe) -> AsyncIterator[Receiver]:
    hook = Receiver()
    app = web.Application()
    app.router.add_post("/stripe/webhook", hook.handle)
    hook.runner = web.AppRunner(app, access_log=None)
    await hook.runner.setup()
    await web.TCPSite(hook.runner, "127.0.0.1", 0).start()
    hook.url = f"http://127.0.0.1:{hook.runner.addresses[0][1]}/stripe/webhook"
    fake.webhook_url = hook.url
    yield hook
    await hook.runner.cleanup()


def one_time(amount: int = 1500, name: str = "Code review") -> dict[str, Any]:
    return {
        "price_data": {"currency": "usd", "unit_amount": amount, "product_data": {"name": name}},
        "quantity": 1,
    }


def monthly(amount: int = 900, name: str = "Member") -> dict[str, Any]:
    item = one_time(amount, name)
    item["price_data"]["recurring"] = {"interval": "month"}
    return item


PAYMENT_SESSION: dict[str, Any] = {
    "mode": "payment",
    "line_items": [one_time()],
    "client_reference_id": "discord:4242",
    "metadata": {"purpose": "review", "user": "4242"},
    "payment_intent_data": {"metadata": {"purpose": "review"}},
    "customer_email": "ada@example.com",
    "success_url": "https://knowpay.example/ok?session={CHECKOUT_SESSION_ID}",
    "cancel_url": "https://knowpay.example/cancel",
}
SUBSCRIPTION_SESSION: dict[str, Any] = {
    "mode": "subscription",
    "line_items": [monthly()],
    "client_reference_id": "telegram:77",
    "metadata": {"tier": "member"},
    "subscription_data": {"metadata": {"tier": "member", "user": "telegram:77"}},
    "allow_promotion_codes": True,
    "success_url": "https://knowpay.example/ok",
    "cancel_url": "https://knowpay.example/cancel",
}


async def paid_payment(fake: FakeStripe, client: stripe.StripeClient) -> str:
    """A completed payment-mode checkout; returns its PaymentIntent id."""
    session = await create_session(client, PAYMENT_SESSION)
    await fake.complete_checkout(session.id)
    intent = fake.sessions[session.id]["payment_intent"]
    assert isinstance(intent, str)
    return intent


# ---- Checkout Sessions ---------------------------------------------------------------------


async def test_payment_session_is_idempotent_and_form_encoded(
    fake: FakeStripe, client: stripe.StripeClient
) -> None:
    options: stripe.RequestOptions = {"idempotency_key": "checkout-review-1"}
    first = await create_session(client, PAYMENT_SESSION, options)
    again = await create_session(client, PAYMENT_SESSION, options)

    assert again.id == first.id
    assert list(fake.sessions) == [first.id]  # the replay created nothing
    assert first.url == f"https://checkout.stripe.test/c/pay/{first.id}"
    assert (first.mode, first.status, first.payment_status) == ("payment", "open", "unpaid")
    assert first.amount_total == 1500
    assert first.currency == "usd"
    assert first.metadata is not None
    assert first.metadata.to_dict() == {"purpose": "review", "user": "4242"}
    created = await fake.wait_for_call("POST", r"^/v1/checkout/sessions$", timeout=WAIT)
    replayed = await fake.wait_for_call("POST", r"^/v1/checkout/sessions$", timeout=WAIT)
    assert created.headers["Idempotency-Key"] == "checkout-review-1"
    assert created.headers["Stripe-Version"] == API_VERSION
    line = created.params["line_items"][0]
    assert line["price_data"]["product_data"]["name"] == "Code review"
    assert line["price_data"]["unit_amount"] == "1500"  # form values arrive as strings
    assert created.params["payment_intent_data"]["metadata"] == {"purpose": "review"}
    assert (created.replayed, replayed.replayed) == (False, True)
    assert replayed.response == created.response

    changed = {**PAYMENT_SESSION, "line_items": [one_time(2500)]}
    with pytest.raises(stripe.IdempotencyError) as caught:
        await create_session(client, changed, options)
    assert caught.value.http_status == 400
    assert len(fake.sessions) == 1


async def test_subscription_session_is_idempotent(
    fake: FakeStripe, client: stripe.StripeClient
) -> None:
    params = {**SUBSCRIPTION_SESSION, "subscription_data": {"trial_period_days": "7"}}
    options: stripe.RequestOptions = {"idempotency_key": "sub-77"}
    first = await create_session(client, params, options)
    again = await create_session(client, params, options)

    assert again.id == first.id
    assert first.mode == "subscription"
    assert first.amount_total == 0  # nothing is due today in a trial
    call = await fake.wait_for_call("POST", r"^/v1/checkout/sessions$", timeout=WAIT)
    assert call.params["line_items"][0]["price_data"]["recurring"] == {"interval": "month"}
    assert call.params["allow_promotion_codes"] == "true"
    with pytest.raises(stripe.IdempotencyError):
        await create_session(client, SUBSCRIPTION_SESSION, options)


async def test_invalid_sessions_are_rejected_and_not_saved_under_the_key(
    fake: FakeStripe, client: stripe.StripeClient
) -> None:
    options: stripe.RequestOptions = {"idempotency_key": "fix-and-retry"}
    no_success = {k: v for k, v in PAYMENT_SESSION.items() if k != "success_url"}
    with pytest.raises(stripe.InvalidRequestError) as caught:
        await create_session(client, no_success, options)
    assert (caught.value.param, caught.value.code) == ("success_url", "parameter_missing")

    # Parameters that fail validation are not saved: the same key works once they are fixed.
    session = await create_session(client, PAYMENT_SESSION, options)
    assert session.status == "open"

    recurring_in_payment = {**PAYMENT_SESSION, "line_items": [monthly()]}
    with pytest.raises(stripe.InvalidRequestError, match="recurring price"):
        await create_session(client, recurring_in_payment)
    one_time_in_subscription = {**SUBSCRIPTION_SESSION, "line_items": [one_time()]}
    with pytest.raises(stripe.InvalidRequestError, match="at least one recurring price"):
        await create_session(client, one_time_in_subscription)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        await create_session(client, {**PAYMENT_SESSION, "metdata": {"a": "b"}})
    assert (caught.value.param, caught.value.code) == ("metdata", "parameter_unknown")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        await client.v1.checkout.sessions.retrieve_async("cs_test_nope")
    assert caught.value.http_status == 404
    assert caught.value.code == "resource_missing"
    assert len(fake.sessions) == 1


async def test_expired_session_cannot_be_completed(
    fake: FakeStripe, client: stripe.StripeClient
) -> None:
    session = await create_session(client, PAYMENT_SESSION)
    expired = await client.v1.checkout.sessions.expire_async(session.id)
    assert expired.status == "expired"
    assert [e["type"] for e in fake.events] == ["checkout.session.expired"]
    with pytest.raises(stripe.InvalidRequestError):
        await client.v1.checkout.sessions.expire_async(session.id)
    with pytest.raises(ValueError, match="not open"):
        await fake.complete_checkout(session.id)


# ---- completing checkout -------------------------------------------------------------------


async def test_completed_payment_checkout_reads_back(
    fake: FakeStripe, client: stripe.StripeClient
) -> None:
    session = await create_session(client, PAYMENT_SESSION)
    events = await fake.complete_checkout(session.id)

    assert [e["type"] for e in events] == [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.succeeded",
        "checkout.session.completed",
    ]
    assert fake.events == events
    assert fake.deliveries == []
    done = await client.v1.checkout.sessions.retrieve_async(
        session.id, {"expand": ["payment_intent", "line_items"]}
    )
    assert (done.status, done.payment_status) == ("complete", "paid")
    assert done.customer is None  # payment mode creates no customer unless asked to
    assert done.customer_details is not None
    assert done.customer_details.email == "ada@example.com"
    assert done.line_items is not None
    assert done.line_items.data[0].description == "Code review"
    intent = done.payment_intent
    assert isinstance(intent, stripe.PaymentIntent)
    assert (intent.status, intent.amount_received) == ("succeeded", 1500)
    assert intent.metadata.to_dict() == {"purpose": "review"}
    again = await client.v1.payment_intents.retrieve_async(intent.id)
    assert isinstance(again.latest_charge, str)
    charge = await client.v1.charges.retrieve_async(again.latest_charge)
    assert (charge.amount, charge.amount_refunded, charge.paid) == (1500, 0, True)
    assert charge.metadata.to_dict() == {
        "purpose": "review"
    }  # charges inherit the intent's metadata
    completed = events[-1]
    assert completed["api_version"] == API_VERSION
    assert completed["request"] == {"id": None, "idempotency_key": None}
    assert completed["data"]["object"]["client_reference_id"] == "discord:4242"


async def test_declined_and_delayed_payments(fake: FakeStripe, client: stripe.StripeClient) -> None:
    declined = await create_session(client, PAYMENT_SESSION)
    events = await fake.complete_checkout(declined.id, paid=False)
    assert [e["type"] for e in events][-2:] == ["charge.failed", "payment_intent.payment_failed"]
    still_open = await client.v1.checkout.sessions.retrieve_async(declined.id)
    assert still_open.status == "open"

    delayed = await create_session(client, PAYMENT_SESSION)
    events = await fake.complete_checkout(delayed.id, async_payment=True)
    completed = events[-1]["data"]["object"]
    assert (completed["status"], completed["payment_status"]) == ("complete", "unpaid")
    events = await fake.settle_async_payment(delayed.id, succeeded=True)
    assert events[-1]["type"] == "checkout.session.async_payment_succeeded"
    settled = await client.v1.checkout.sessions.retrieve_async(delayed.id)
    assert settled.payment_status == "paid"


async def test_completed_subscription_checkout_has_endive_shapes(
    fake: FakeStripe, client: stripe.StripeClient
) -> None:
    session = await create_session(client, SUBSCRIPTION_SESSION)
    events = await fake.complete_checkout(session.id)

    types = [e["type"] for e in events]
    assert types[:2] == ["customer.created", "customer.subscription.created"]
    assert types[-3:] == [
        "invoice.payment_succeeded",
        "customer.subscription.updated",
        "checkout.session.completed",
    ]
    assert events[1]["data"]["object"]["status"] == "incomplete"
    assert events[-2]["data"]["previous_attributes"] == {"status": "incomplete"}

    done = await client.v1.checkout.sessions.retrieve_async(session.id)
    assert (done.status, done.payment_status) == ("complete", "paid")
    assert isinstance(done.subscription, str)
    assert isinstance(done.customer, str)
    sub = await client.v1.subscriptions.retrieve_async(done.subscription)
    assert sub.status == "active"
    assert sub.metadata.to_dict() == {"tier": "member", "user": "telegram:77"}
    assert "current_period_end" not in sub  # endive: periods live on the items
    item = sub["items"].data[0]  # (sub.items is the dict method on a StripeObject)
    assert item.current_period_end > item.current_period_start >= sub.created
    assert item.price.unit_amount == 900
    assert item.price.recurring is not None

    assert isinstance(sub.latest_invoice, str)
    invoice = await client.v1.invoices.retrieve_async(sub.latest_invoice, {"expand": ["payments"]})
    assert "subscription" not in invoice
    assert "payment_intent" not in invoice
    assert invoice.parent is not None
    assert invoice.parent.subscription_details is not None
    assert invoice.parent.subscription_details.subscription == sub.id
    assert invoice.parent.subscription_details.metadata is not None
    assert invoice.parent.subscription_details.metadata.to_dict() == {
        "tier": "member",
        "user": "telegram:77",
    }
    assert (invoice.status, invoice.amount_paid, invoice.billing_reason) == (
        "paid",
        900,
        "subscription_create",
    )
    assert invoice.payments is not None
    payment = invoice.payments.data[0].payment
    assert payment.type == "payment_intent"
    assert isinstance(payment.payment_intent, str)
    listed = await client.v1.invoice_payments.list_async({"invoice": invoice.id})
    assert [p.payment.payment_intent for p in listed.data] == [payment.payment_intent]
    customer = await client.v1.customers.retrieve_async(done.customer)
    assert customer.email == "buyer@example.com"


async def test_trial_renewal_failure_and_end(fake: FakeStripe, client: stripe.StripeClient) -> None:
    params = {**SUBSCRIPTION_SESSION, "subscription_data": {"trial_period_days": "14"}}
    session = await create_session(client, params)
    events = await fake.complete_checkout(session.id)
    assert events[-1]["data"]["object"]["payment_status"] == "no_payment_required"
    sub_id = fake.sessions[session.id]["subscription"]
    sub = await client.v1.subscriptions.retrieve_async(sub_id)
    assert sub.status == "trialing"
    assert sub.trial_end is not None
    first_invoice = fake.invoices[str(sub.latest_invoice)]
    assert (first_invoice["status"], first_invoice["amount_paid"]) == ("paid", 0)
    trial_end = sub["items"].data[0].current_period_end

    events = await fake.renew(sub_id)
    assert "invoice.paid" in [e["type"] for e in events]
    sub = await client.v1.subscriptions.retrieve_async(sub_id)
    item = sub["items"].data[0]
    assert sub.status == "active"
    assert item.current_period_start == trial_end
    assert item.current_period_end > trial_end + 27 * 86400  # one calendar month on
    paid_end = item.current_period_end

    events = await fake.renew(sub_id, paid=False)
    types = [e["type"] for e in events]
    assert "invoice.payment_failed" in types
    assert types[-1] == "customer.subscription.updated"
    assert events[-1]["data"]["object"]["status"] == "past_due"
    sub = await client.v1.subscriptions.retrieve_async(sub_id)
    assert sub.status == "past_due"
    assert sub["items"].data[0].current_period_start == paid_end  # moved on all the same

    events = await fake.end_subscription(sub_id)
    assert [e["type"] for e in events] == ["customer.subscription.deleted"]
    ended = events[0]["data"]["object"]
    assert ended["status"] == "canceled"
    assert ended["cancellation_details"]["reason"] == ("payment_failed")


async def test_subscription_update_and_cancel_through_the_api(
    fake: FakeStripe, client: stripe.StripeClient, receiver: Receiver
) -> None:
    session = await create_session(client, SUBSCRIPTION_SESSION)
    await fake.complete_checkout(session.id)
    sub_id = fake.sessions[session.id]["subscription"]
    # the checkout's own "incomplete -> active" update was delivered inline; skip it
    await fake.wait_for_event("customer.subscription.updated", timeout=WAIT)

    (renamed,) = await fake.update_subscription(sub_id, metadata={"tier": "pro"})
    assert renamed["data"]["previous_attributes"]["metadata"] == {
        "tier": "member",
        "user": "telegram:77",
    }
    assert renamed["data"]["object"]["metadata"] == {"tier": "pro", "user": "telegram:77"}
    assert fake.deliveries[-1] == (renamed["id"], 200)
    assert await fake.wait_for_event("customer.subscription.updated", timeout=WAIT) == renamed

    updated = await client.v1.subscriptions.update_async(
        sub_id, {"cancel_at_period_end": True}, {"idempotency_key": "cancel-later"}
    )
    assert updated.cancel_at_period_end
    assert updated.cancel_at == updated["items"].data[0].current_period_end
    event = await fake.wait_for_event("customer.subscription.updated", timeout=WAIT)
    assert event["data"]["previous_attributes"]["cancel_at_period_end"] is False
    assert event["request"]["idempotency_key"] == "cancel-later"
    assert (event["id"], 200) in fake.deliveries  # delivered after the API response
    with pytest.raises(ValueError, match="cancel at period end"):
        await fake.renew(sub_id)

    canceled = await client.v1.subscriptions.cancel_async(sub_id)
    assert canceled.status == "canceled"
    deleted = await fake.wait_for_event("customer.subscription.deleted", timeout=WAIT)
    assert (deleted["id"], 200) in fake.deliveries
    assert deleted["request"]["id"] is not None
    assert receiver.rejected == []


# ---- refunds, disputes, portal ---------------------------------------------------------------


async def test_refund_partial_then_full_then_rejected(
    fake: FakeStripe, client: stripe.StripeClient, receiver: Receiver
) -> None:
    intent = await paid_payment(fake, client)

    partial = await client.v1.refunds.create_async(
        {"payment_intent": intent, "amount": 500, "reason": "requested_by_customer"},
        {"idempotency_key": "refund-1"},
    )
    assert (partial.amount, partial.status, partial.payment_intent) == (500, "succeeded", intent)
    refunded = await fake.wait_for_event("charge.refunded", timeout=WAIT)
    assert refunded["data"]["object"]["amount_refunded"] == 500
    assert refunded["data"]["object"]["refunded"] is False
    assert refunded["request"]["idempotency_key"] == "refund-1"

    with pytest.raises(stripe.InvalidRequestError) as caught:
        await client.v1.refunds.create_async({"payment_intent": intent, "amount": 5000})
    assert (caught.value.code, caught.value.param) == ("amount_too_large", "amount")

    rest = await client.v1.refunds.create_async({"payment_intent": intent})
    assert rest.amount == 1000
    refunded = await fake.wait_for_event("charge.refunded", timeout=WAIT)
    assert refunded["data"]["object"]["amount_refunded"] == 1500  # cumulative
    assert refunded["data"]["object"]["refunded"] is True
    assert refunded["data"]["previous_attributes"] == {"amount_refunded": 500, "refunded": False}

    with pytest.raises(stripe.InvalidRequestError) as caught:
        await client.v1.refunds.create_async({"payment_intent": intent, "amount": 1})
    assert caught.value.code == "charge_already_refunded"
    charge_id = fake.payment_intents[intent]["latest_charge"]
    charge = await client.v1.charges.retrieve_async(charge_id)
    assert (charge.amount_refunded, charge.refunded) == (1500, True)
    assert receiver.rejected == []


async def test_dashboard_refund_and_dispute(fake: FakeStripe, client: stripe.StripeClient) -> None:
    intent = await paid_payment(fake, client)
    events = await fake.refund_externally(intent, 200)
    assert [e["type"] for e in events] == ["refund.created", "charge.refunded"]
    assert events[1]["request"]["id"] is None  # made in the dashboard, not through the API

    events = await fake.open_dispute(intent)
    dispute = events[0]["data"]["object"]
    assert events[0]["type"] == "charge.dispute.created"
    assert (dispute["object"], dispute["payment_intent"], dispute["status"]) == (
        "dispute",
        intent,
        "needs_response",
    )
    with pytest.raises(stripe.InvalidRequestError) as caught:
        await client.v1.refunds.create_async({"payment_intent": intent})
    assert caught.value.code == "charge_disputed"


async def test_billing_portal_session(fake: FakeStripe, client: stripe.StripeClient) -> None:
    session = await create_session(client, SUBSCRIPTION_SESSION)
    await fake.complete_checkout(session.id)
    customer = fake.sessions[session.id]["customer"]

    portal = await client.v1.billing_portal.sessions.create_async(
        {"customer": customer, "return_url": "https://knowpay.example/account"}
    )
    assert portal.url == f"https://billing.stripe.test/p/session/{portal.id}"
    assert (portal.customer, portal.return_url) == (customer, "https://knowpay.example/account")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        await client.v1.billing_portal.sessions.create_async({"customer": "cus_missing"})
    assert caught.value.code == "resource_missing"


# ---- events --------------------------------------------------------------------------------


async def test_events_list_filters_and_pages_newest_first(
    fake: FakeStripe, client: stripe.StripeClient, clock: FakeClock
) -> None:
    await paid_payment(fake, client)
    clock.advance(timedelta(seconds=100))
    later = fake.now()
    await paid_payment(fake, client)
    assert len(fake.events) == 8

    recent = await client.v1.events.list_async({"created": {"gte": later}, "limit": 100})
    assert [e.id for e in recent.data] == [e["id"] for e in reversed(fake.events[4:])]
    assert recent.has_more is False

    page = await client.v1.events.list_async({"limit": 3})
    assert page.has_more is True
    assert len(page.data) == 3
    everything = [event.id async for event in page.auto_paging_iter()]
    assert everything == [e["id"] for e in reversed(fake.events)]
    cursors = [c.params.get("starting_after") for c in fake.calls if c.path == "/v1/events"]
    assert cursors[-3:] == [None, everything[2], everything[5]]  # three pages of 3, 3 and 2

    charges = await client.v1.events.list_async(
        {"types": ["charge.succeeded", "checkout.session.completed"]}
    )
    assert {e.type for e in charges.data} == {"charge.succeeded", "checkout.session.completed"}
    assert len(charges.data) == 4
    one = await client.v1.events.retrieve_async(fake.events[0]["id"])
    assert one.type == "payment_intent.created"
    assert one.api_version == API_VERSION


# ---- webhooks ------------------------------------------------------------------------------


async def test_webhooks_verify_only_when_genuine(
    fake: FakeStripe, client: stripe.StripeClient, receiver: Receiver
) -> None:
    session = await create_session(client, PAYMENT_SESSION)
    events = await fake.complete_checkout(session.id)

    assert fake.deliveries == [(e["id"], 200) for e in events]
    assert [e.type for e in receiver.verified] == [e["type"] for e in events]
    completed = receiver.verified[-1]
    assert completed.data.object["id"] == session.id
    assert all(e["pending_webhooks"] == 0 for e in fake.events)

    assert await fake.deliver(events[-1], times=2) == [200, 200]  # Stripe may send it twice
    assert await fake.deliver(events[-1], tamper=True) == [400]
    assert await fake.deliver(events[-1], timestamp=int(time.time()) - 600) == [400]
    assert await fake.deliver(events[-1], secret="whsec_someone_else") == [400]
    assert len(receiver.rejected) == 3
    assert "tolerance" in receiver.rejected[1]


async def test_unreachable_webhook_is_recorded(
    fake: FakeStripe, client: stripe.StripeClient
) -> None:
    fake.webhook_url = "http://127.0.0.1:9/nothing-listens-here"
    session = await create_session(client, PAYMENT_SESSION)
    events = await fake.complete_checkout(session.id)
    assert [status for _, status in fake.deliveries] == [0] * len(events)
    assert all(e["pending_webhooks"] == 1 for e in fake.events)


# ---- errors the client meets ---------------------------------------------------------------


async def test_lock_timeout_429_is_retried_when_retries_are_on(fake: FakeStripe) -> None:
    fake.fail_next("POST", r"^/v1/checkout/sessions$", 429)
    async with connect(fake, retries=1) as retrying:
        session = await create_session(retrying, PAYMENT_SESSION)
    first = await fake.wait_for_call("POST", r"^/v1/checkout/sessions$", timeout=WAIT)
    second = await fake.wait_for_call("POST", r"^/v1/checkout/sessions$", timeout=WAIT)
    assert (first.status, second.status) == (429, 200)
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]  # auto key
    assert second.response["id"] == session.id
    assert len(fake.sessions) == 1

    fake.fail_next("POST", r"^/v1/checkout/sessions$", 429)
    async with connect(fake, retries=0) as once:
        with pytest.raises(stripe.RateLimitError):
            await create_session(once, PAYMENT_SESSION)


async def test_plain_rate_limit_is_not_retried(fake: FakeStripe) -> None:
    fake.fail_next("GET", r"^/v1/events$", 429, code="rate_limit")
    async with connect(fake, retries=2) as retrying:
        with pytest.raises(stripe.RateLimitError) as caught:
            await retrying.v1.events.list_async()
    assert caught.value.code is None  # stripe-python leaves .code unset on 429s ...
    assert caught.value.error is not None
    assert caught.value.error.code == "rate_limit"
    assert [c.status for c in fake.calls] == [429]


async def test_server_errors_and_card_errors(fake: FakeStripe) -> None:
    fake.fail_next("POST", r"/refunds$", 402)
    fake.fail_next("GET", r"^/v1/checkout/sessions/", 500, times=2)
    async with connect(fake, retries=0) as once:
        with pytest.raises(stripe.CardError) as card:
            await once.v1.refunds.create_async({"payment_intent": "pi_any"})
        assert card.value.code == "card_declined"
        with pytest.raises(stripe.APIError):
            await once.v1.checkout.sessions.retrieve_async("cs_test_x")
    async with connect(fake, retries=1) as retrying:
        with pytest.raises(stripe.InvalidRequestError):  # the retry reaches the endpoint: 404
            await retrying.v1.checkout.sessions.retrieve_async("cs_test_x")
    assert [c.status for c in fake.calls] == [402, 500, 500, 404]


async def test_bad_api_key(fake: FakeStripe) -> None:
    async with connect(fake, key="sk_test_wrong_key_1234") as wrong:
        with pytest.raises(stripe.AuthenticationError) as caught:
            await create_session(wrong, PAYMENT_SESSION)
    assert caught.value.http_status == 401
    assert "sk_test_" in str(caught.value)
    assert "wrong_key" not in str(caught.value)
    assert fake.sessions == {}


@pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")
async def test_httpx_client_works_too(fake: FakeStripe) -> None:
    """stripe-python's default async client (HTTPX) also runs against the fake; it passes the
    form body as `data=`, which httpx 0.28 deprecates, hence the warning filter."""
    async with connect(fake, http="httpx") as httpx_client:
        session = await create_session(
            httpx_client, PAYMENT_SESSION, {"idempotency_key": "httpx-1"}
        )
        again = await httpx_client.v1.checkout.sessions.retrieve_async(session.id)
    assert again.id == session.id

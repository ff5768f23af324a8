"""A fake Stripe API on loopback that the REAL stripe-python 16.1 async client runs against.

Point a client at it with `async with connect(fake) as client:` (a StripeClient with an
aiohttp client closed afterwards; the default async fallback, HTTPX, works too but warns on
every POST and cannot be closed through the StripeClient). Set `fake.webhook_url` to receive
events, signed like Stripe's.

It answers `/v1/...` with JSON, reads form-encoded bodies and query strings
(`metadata[plan]=pro`, `line_items[0][price_data][recurring][interval]=month`, `types[0]=...`)
and shapes objects as API version 2026-10-28.endive does (see stripe_payloads). Where Stripe's
behaviour would surprise a bot, the fake behaves like Stripe, so payment tests catch what
production would hit:
- A repeated POST with the same Idempotency-Key and parameters gets the first answer again
  (header `Idempotent-Replayed: true`), errors included; other parameters under a used key are a
  400 idempotency_error. As on Stripe, nothing is saved when the request failed before the
  endpoint ran: bad or missing parameters, and failures injected with `fail_next`.
- Unknown parameters are rejected ("Received unknown parameter: ..."), ids that do not exist
  are 404 resource_missing (400 when they are parameters), a bad API key is a 401.
- Events are delivered one by one; those caused by API requests (a refund, a cancellation) are
  delivered after the response, as Stripe does, and carry `request.id`/`idempotency_key`.
  Nothing is redelivered by itself: call `deliver()` again to model Stripe's retries, and
  deliver out of order or twice to model what Stripe does not promise.
- A Checkout subscription starts `incomplete` and turns `active` once its first invoice is paid
  (customer.subscription.created, then .updated); a renewal moves each item's period forward
  whether or not the payment succeeds (a failed one makes the subscription `past_due`).
- 429 lock_timeout (the default 429 of `fail_next`) carries `Stripe-Should-Retry: true`, so the
  client retries it; a 429 with code "rate_limit" does not, and Stripe's clients do not retry
  those. stripe-python ignores Retry-After.
- Invoices carry no `subscription`/`payment_intent`: read `parent.subscription_details` and the
  invoice's payments (`GET /v1/invoice_payments?invoice=`, or `expand[]=payments`).
Waiting, never sleeping: `wait_for_call`, `wait_for_event` (returns once an API-caused event has
been delivered) and `drain()`. `now()`/`advance(seconds)` is the fake's clock for `created`
(webhook signatures use real time); `add_price()` makes a dashboard price for `line_items[][price]`;
`crashes` lists bugs in the fake itself (answered as 500 api_error).
Not modelled: Prices/Products/Customers create APIs, coupons and promotion codes (the flag is
stored), taxes, test clocks, setup mode, Connect, automatic redelivery. Parameters that exist on
Stripe but that the fake does not model answer 400 "fake Stripe does not model ..." rather than
being ignored.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import fnmatch
import json
import re
import time
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp
import stripe
from aiohttp import web

from tests.fakes import stripe_payloads as p
from tests.fakes.recording import (
    CallLog,
    Failures,
    LoopbackServer,
    WebhookSender,
    notify,
    wait_for_request,
    wait_until,
)
from tests.fakes.stripe_payloads import JSON

API_PREFIX = "/v1"
_RECORDED_HEADERS = ("Idempotency-Key", "Stripe-Version", "Stripe-Account", "Content-Type")
_LOCK_TIMEOUT = (
    "This object cannot be accessed right now because another API request or Stripe process is "
    "currently accessing it. If you see this error intermittently, retry the request. If you see "
    "this error frequently and are making multiple concurrent requests to a single object, make "
    "your requests serially or at a lower rate."
)
_RATE_LIMIT = (
    "Request rate limit exceeded. Learn more about rate limits here "
    "https://stripe.com/docs/rate-limits."
)


@dataclass
class RecordedCall:
    """One API request as the fake received it, and what it answered."""

    method: str
    path: str  # "/v1/refunds", percent-decoded
    params: JSON  # query string and body, decoded into nested dicts/lists of strings
    headers: dict[str, str]  # Idempotency-Key, Stripe-Version, Stripe-Account, Content-Type
    status: int | None = None
    response: Any = None  # the JSON body answered
    replayed: bool = False  # answered from the idempotency store


class _ApiError(Exception):
    def __init__(
        self,
        status: int,
        error_type: str,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
        saved: bool = True,  # False: failed before the endpoint ran; not idempotency-saved
        **extra: Any,
    ) -> None:
        super().__init__(status, message)
        self.status = status
        self.message = message
        self.body = p.error(error_type, message, code=code, param=param, **extra)
        self.headers = dict(headers or {})
        self.saved = saved


def _invalid(message: str, param: str | None = None, code: str | None = None) -> _ApiError:
    return _ApiError(400, "invalid_request_error", message, code=code, param=param, saved=False)


def _missing(param: str) -> _ApiError:
    return _invalid(f"Missing required param: {param}.", param, "parameter_missing")


def _unknown(param: str) -> _ApiError:
    return _invalid(
        f"Received unknown parameter: {param}. Did you mean to pass it in metadata?",
        param,
        "parameter_unknown",
    )


def _unmodelled(what: str) -> _ApiError:
    return _invalid(f"fake Stripe does not model {what}; extend tests/fakes/stripe_server.py")


def _no_such(kind: str, object_id: str, param: str, *, status: int = 404) -> _ApiError:
    return _ApiError(
        status,
        "invalid_request_error",
        f"No such {kind}: '{object_id}'",
        code="resource_missing",
        param=param,
        saved=status != 400,
    )


@dataclass
class _Failure:
    status: int
    error_type: str | None
    code: str | None
    should_retry: bool | None
    message: str | None


@dataclass
class _Saved:
    fingerprint: tuple[str, str, str]
    status: int
    body: Any
    headers: dict[str, str]
    request_id: str


@dataclass
class _Context:
    """The API request an endpoint runs for: events it causes name it."""

    request_id: str | None
    idempotency_key: str | None
    events: list[JSON] = field(default_factory=list)


Handler = Callable[[RecordedCall, re.Match[str], _Context], Awaitable[JSON]]


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Parameters Stripe documents, so that a misspelt one is a 400 as on Stripe.
_SESSION_PARAMS = _names(
    "adaptive_pricing after_expiration allow_promotion_codes automatic_tax "
    "billing_address_collection branding_settings cancel_url client_reference_id "
    "consent_collection currency custom_fields custom_text customer customer_account "
    "customer_creation customer_email customer_update discounts excluded_payment_method_types "
    "expand expires_at invoice_creation line_items locale metadata mode name_collection "
    "optional_items origin_context payment_intent_data payment_method_collection "
    "payment_method_configuration payment_method_data payment_method_options "
    "payment_method_types permissions phone_number_collection redirect_on_completion return_url "
    "saved_payment_method_options setup_intent_data shipping_address_collection "
    "shipping_options submit_type subscription_data success_url tax_id_collection ui_mode "
    "wallet_options"
)
_SESSION_MODELLED = _names(
    "allow_promotion_codes billing_address_collection cancel_url client_reference_id customer "
    "customer_creation customer_email expand expires_at line_items locale metadata mode "
    "payment_intent_data payment_method_types submit_type subscription_data success_url "
    "ui_mode"
)
_LINE_ITEM_PARAMS = _names(
    "adjustable_quantity dynamic_tax_rates metadata price price_data quantity tax_rates"
)
_PRICE_DATA_PARAMS = _names(
    "currency product product_data recurring tax_behavior unit_amount unit_amount_decimal"
)
_PRODUCT_DATA_PARAMS = _names("description images metadata name tax_code unit_label")
_RECURRING_PARAMS = frozenset({"interval", "interval_count"})
_SUBSCRIPTION_DATA_PARAMS = _names(
    "application_fee_percent billing_cycle_anchor billing_mode default_tax_rates description "
    "invoice_settings metadata on_behalf_of proration_behavior transfer_data trial_end "
    "trial_period_days trial_settings"
)
_PAYMENT_INTENT_DATA_PARAMS = _names(
    "application_fee_amount capture_method description metadata on_behalf_of receipt_email "
    "setup_future_usage shipping statement_descriptor statement_descriptor_suffix "
    "transfer_data transfer_group"
)
_SUBSCRIPTION_UPDATE_PARAMS = _names(
    "add_invoice_items application_fee_percent automatic_tax billing_cycle_anchor "
    "billing_thresholds cancel_at cancel_at_period_end cancellation_details collection_method "
    "days_until_due default_payment_method default_source default_tax_rates description "
    "discounts expand invoice_settings items metadata off_session on_behalf_of "
    "pause_collection payment_behavior payment_settings pending_invoice_item_interval "
    "proration_behavior proration_date transfer_data trial_end trial_from_plan "
    "trial_settings"
)
_REFUND_PARAMS = _names(
    "amount charge currency customer expand instructions_email metadata origin payment_intent "
    "reason refund_application_fee reverse_transfer"
)
_PORTAL_PARAMS = _names(
    "configuration customer customer_account expand flow_data locale on_behalf_of return_url"
)
_LIST_PARAMS = frozenset({"limit", "starting_after", "ending_before", "expand", "created"})


class FakeStripe:
    """Stripe for one test-mode account. Public coroutines take `timeout` arguments (ruff's
    ASYNC109 is silenced on them) because the payments tests are written against that API."""

    API_KEY = "sk_test_fake_knowpay"
    WEBHOOK_SECRET = "whsec_test_fake_knowpay"

    def __init__(self) -> None:
        self.api_base = ""
        self.webhook_url: str | None = None
        self.webhook_timeout = 10.0  # seconds to wait for the bot's answer to a delivery
        self._changed = asyncio.Condition()
        self._calls = CallLog[RecordedCall](self._changed)
        self._events = CallLog[JSON](self._changed)
        self.calls = self._calls.items
        self.events = self._events.items
        self.deliveries: list[tuple[str, int]] = []  # (event id, HTTP status; 0 = unreachable)
        self.crashes: list[Exception] = []  # bugs in the fake itself, answered as 500s
        self.sessions: dict[str, JSON] = {}
        self.subscriptions: dict[str, JSON] = {}
        self.invoices: dict[str, JSON] = {}
        self.invoice_payments: dict[str, JSON] = {}
        self.payment_intents: dict[str, JSON] = {}
        self.charges: dict[str, JSON] = {}
        self.refunds: dict[str, JSON] = {}
        self.customers: dict[str, JSON] = {}
        self.disputes: dict[str, JSON] = {}
        self.prices: dict[str, JSON] = {}  # usable as line_items[i][price]; see add_price
        self.portal_sessions: dict[str, JSON] = {}
        self._line_items: dict[str, list[JSON]] = {}  # checkout session -> its line items
        self._session_params: dict[str, JSON] = {}  # checkout session -> create params
        self._product_names: dict[str, str] = {}  # price id -> product name
        self._events_by_id: dict[str, JSON] = {}
        self._idempotency: dict[str, _Saved] = {}
        self._in_flight: set[str] = set()
        self._failures = Failures[_Failure]()
        self._outbox: list[JSON] = []  # caused by API requests, delivered after the response
        self._offset = 0
        self._closing = False
        self._server = LoopbackServer()
        self._sender = WebhookSender()
        self._stores: dict[str, dict[str, JSON]] = {
            "cs_": self.sessions,
            "sub_": self.subscriptions,
            "in_": self.invoices,
            "inpay_": self.invoice_payments,
            "pi_": self.payment_intents,
            "ch_": self.charges,
            "re_": self.refunds,
            "cus_": self.customers,
            "dp_": self.disputes,
            "price_": self.prices,
            "evt_": self._events_by_id,
        }
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = [
            (method, re.compile(rx + "$"), handler)
            for method, rx, handler in [
                ("POST", r"/checkout/sessions", self._create_session),
                ("GET", r"/checkout/sessions", self._list_sessions),
                ("GET", r"/checkout/sessions/([^/]+)", self._get_session),
                ("GET", r"/checkout/sessions/([^/]+)/line_items", self._session_line_items),
                ("POST", r"/checkout/sessions/([^/]+)/expire", self._expire_session),
                ("GET", r"/subscriptions", self._list_subscriptions),
                ("GET", r"/subscriptions/([^/]+)", self._get_subscription),
                ("POST", r"/subscriptions/([^/]+)", self._update_subscription),
                ("DELETE", r"/subscriptions/([^/]+)", self._cancel_subscription),
                ("GET", r"/payment_intents/([^/]+)", self._get_payment_intent),
                ("GET", r"/charges/([^/]+)", self._get_charge),
                ("POST", r"/refunds", self._create_refund),
                ("GET", r"/refunds", self._list_refunds),
                ("GET", r"/refunds/([^/]+)", self._get_refund),
                ("GET", r"/invoices", self._list_invoices),
                ("GET", r"/invoices/([^/]+)", self._get_invoice),
                ("GET", r"/invoice_payments", self._list_invoice_payments),
                ("GET", r"/invoice_payments/([^/]+)", self._get_invoice_payment),
                ("GET", r"/customers/([^/]+)", self._get_customer),
                ("GET", r"/disputes/([^/]+)", self._get_dispute),
                ("POST", r"/billing_portal/sessions", self._create_portal_session),
                ("GET", r"/events", self._list_events),
                ("GET", r"/events/([^/]+)", self._get_event),
            ]
        ]

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        await self._server.start(app)
        self.api_base = self._server.url()
        self._sender.start(self._outbox_worker, name="fake-stripe-webhooks")

    async def stop(self) -> None:
        self._closing = True
        await notify(self._changed)
        await self._sender.stop()
        await self._server.stop()

    # ---- test controls ---------------------------------------------------------------------

    def now(self) -> int:
        """The fake's clock for `created` and billing periods: real time plus `advance()`."""
        return int(time.time()) + self._offset

    def advance(self, seconds: int) -> None:
        """Move the fake's clock forward (webhook signatures keep using real time)."""
        self._offset += seconds

    def add_price(
        self,
        *,
        unit_amount: int,
        currency: str = "usd",
        interval: str | None = None,
        product_name: str = "KnowPay",
        price_id: str | None = None,
    ) -> JSON:
        """A price made in the dashboard, usable as `line_items[i][price]`."""
        created = self.now()
        prod = p.product(product_name, created)
        made = p.price(
            unit_amount=unit_amount,
            currency=currency,
            product_id=prod["id"],
            created=created,
            interval=interval,
            active=True,
            price_id=price_id,
        )
        self.prices[made["id"]] = made
        self._product_names[made["id"]] = product_name
        return made

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        *,
        times: int = 1,
        error_type: str | None = None,
        code: str | None = None,
        should_retry: bool | None = None,
        message: str | None = None,
    ) -> None:
        """Answer the next `times` matching calls (re.search on the path, e.g. r"/v1/refunds$")
        with an error, before the endpoint runs (so no idempotent result is saved).

        Defaults by status, as Stripe answers: 429 -> code "lock_timeout" with
        `Stripe-Should-Retry: true` (retried by the client when max_network_retries >= 1;
        pass code="rate_limit" for a plain rate limit, which clients do not retry);
        402 -> card_error "card_declined"; 400 -> invalid_request_error; 401 -> bad API key;
        5xx -> api_error (no Stripe-Should-Retry: the client retries 5xx)."""
        failure = _Failure(status, error_type, code, should_retry, message)
        self._failures.add(failure, method=method.upper(), path_regex=path_regex, times=times)

    async def wait_for_call(
        self,
        method: str,
        path_regex: str,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> RecordedCall:
        """The earliest answered call matching (re.search on the path) not returned before.

        Each call is handed out once, so waiting twice sees a retry as the second call."""
        return await wait_for_request(self._calls, method, path_regex, timeout=timeout)

    async def wait_for_event(
        self,
        event_type: str,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> JSON:
        """The earliest event of `event_type` not returned before, once its delivery (if one
        is due after an API request) has happened."""

        def ready(event: JSON) -> bool:
            return event["type"] == event_type and all(e["id"] != event["id"] for e in self._outbox)

        def missing() -> str:
            seen = [e["type"] for e in self.events]
            return f"no {event_type} event within {timeout}s; events: {seen}"

        return await self._events.wait_for(ready, timeout=timeout, on_timeout=missing)

    async def drain(self, *, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until every event caused by an API request has been delivered."""
        await wait_until(self._changed, lambda: not self._outbox, timeout=timeout)

    # ---- things that happen on Stripe's side -----------------------------------------------

    async def complete_checkout(
        self,
        session_id: str,
        *,
        paid: bool = True,
        async_payment: bool = False,
        deliver: bool = True,
    ) -> list[JSON]:
        """The customer pays on the Checkout page.

        mode=payment: a PaymentIntent and its charge; checkout.session.completed with
        payment_status "paid", or "unpaid" with `async_payment` (then `settle_async_payment`).
        mode=subscription: customer, subscription (trialing with subscription_data
        .trial_period_days, else incomplete then active), first invoice paid (0 in a trial),
        checkout.session.completed. With `paid=False` the card is declined: the session stays
        open and no checkout.session.completed is sent (the customer may try again)."""
        session = self._find(self.sessions, session_id, "checkout session")
        if session["status"] != "open":
            raise ValueError(f"checkout session {session_id} is {session['status']}, not open")
        if session["mode"] == "payment":
            events = self._pay_session(session, paid=paid, async_payment=async_payment)
        elif async_payment:
            raise ValueError("async_payment is modelled for mode=payment sessions only")
        else:
            events = self._subscribe_session(session, paid=paid)
        if deliver:
            await self._deliver_all(events)
        return events

    async def settle_async_payment(
        self, session_id: str, *, succeeded: bool, deliver: bool = True
    ) -> list[JSON]:
        """A delayed payment method (bank debit) settles days after checkout completed."""
        session = self._find(self.sessions, session_id, "checkout session")
        if session["status"] != "complete" or session["payment_status"] != "unpaid":
            raise ValueError(f"checkout session {session_id} has no payment awaiting settlement")
        intent = self.payment_intents[session["payment_intent"]]
        ch = self.charges[intent["latest_charge"]]
        events = []
        if succeeded:
            ch.update(status="succeeded", paid=True)
            intent.update(status="succeeded", amount_received=intent["amount"])
            session["payment_status"] = "paid"
            events += [
                self._event("charge.succeeded", ch),
                self._event("payment_intent.succeeded", intent),
                self._event("checkout.session.async_payment_succeeded", session),
            ]
        else:
            ch.update(status="failed", paid=False, failure_code="insufficient_funds")
            ch["failure_message"] = "The account has insufficient funds to cover the payment."
            intent.update(status="requires_payment_method", canceled_at=None)
            intent["last_payment_error"] = self._payment_error(ch, "insufficient_funds")
            events += [
                self._event("charge.failed", ch),
                self._event("payment_intent.payment_failed", intent),
                self._event("checkout.session.async_payment_failed", session),
            ]
        if deliver:
            await self._deliver_all(events)
        return events

    async def renew(
        self, subscription_id: str, *, paid: bool = True, deliver: bool = True
    ) -> list[JSON]:
        """The next billing period starts: each item's period moves forward by its interval
        (a trial ends), a subscription_cycle invoice is created and charged. Paid: invoice.paid
        (a past_due subscription becomes active). Declined: invoice.payment_failed and the
        subscription turns past_due (its period has moved forward all the same, as on Stripe)."""
        sub = self._find(self.subscriptions, subscription_id, "subscription")
        if sub["status"] not in ("active", "trialing", "past_due"):
            raise ValueError(f"subscription {subscription_id} is {sub['status']}; nothing renews")
        if sub["cancel_at_period_end"]:
            raise ValueError(
                f"subscription {subscription_id} is set to cancel at period end: Stripe ends it "
                "instead of renewing (use end_subscription)"
            )
        old_items = copy.deepcopy(sub["items"])
        period_start = min(i["current_period_start"] for i in sub["items"]["data"])
        period_end = max(i["current_period_end"] for i in sub["items"]["data"])
        for item in sub["items"]["data"]:
            recurring = item["price"]["recurring"]
            start = item["current_period_end"]
            item["current_period_start"] = start
            item["current_period_end"] = p.add_interval(
                start, recurring["interval"], recurring["interval_count"]
            )
        previous: JSON = {"items": old_items, "latest_invoice": sub["latest_invoice"]}
        if sub["status"] == "trialing":
            previous["status"] = "trialing"
            sub["status"] = "active"
        cust = self.customers[sub["customer"]]
        inv, bill = self._bill(
            sub, cust, "subscription_cycle", period_start, period_end, paid=paid, zero=False
        )
        sub["latest_invoice"] = inv["id"]
        events = [self._event("customer.subscription.updated", sub, previous=previous), *bill]
        if not paid and sub["status"] != "past_due":
            before = sub["status"]
            sub["status"] = "past_due"
            events.append(
                self._event("customer.subscription.updated", sub, previous={"status": before})
            )
        elif paid and sub["status"] == "past_due":
            sub["status"] = "active"
            events.append(
                self._event("customer.subscription.updated", sub, previous={"status": "past_due"})
            )
        if deliver:
            await self._deliver_all(events)
        return events

    async def update_subscription(
        self, subscription_id: str, *, deliver: bool = True, **changes: Any
    ) -> list[JSON]:
        """A change made in the dashboard or the billing portal: customer.subscription.updated
        with previous_attributes. `cancel_at_period_end=True` also sets cancel_at and
        canceled_at, as Stripe does; `metadata` is merged ("" or None removes a key)."""
        sub = self._find(self.subscriptions, subscription_id, "subscription")
        unknown = set(changes) - set(sub)
        if unknown:
            raise ValueError(f"subscriptions have no fields {sorted(unknown)}")
        previous = self._change_subscription(sub, changes)
        events = [self._event("customer.subscription.updated", sub, previous=previous)]
        if deliver:
            await self._deliver_all(events)
        return events

    async def end_subscription(self, subscription_id: str, *, deliver: bool = True) -> list[JSON]:
        """The subscription ends (period over after cancel_at_period_end, retries exhausted, or
        canceled in the dashboard): customer.subscription.deleted with status canceled."""
        sub = self._find(self.subscriptions, subscription_id, "subscription")
        if sub["status"] == "canceled":
            raise ValueError(f"subscription {subscription_id} is already canceled")
        reason = "payment_failed" if sub["status"] in ("past_due", "unpaid") else None
        events = [self._cancel(sub, reason=reason)]
        if deliver:
            await self._deliver_all(events)
        return events

    async def refund_externally(
        self, payment_intent_id: str, amount: int | None = None, *, deliver: bool = True
    ) -> list[JSON]:
        """A refund made in the dashboard: refund.created and charge.refunded (amount_refunded
        is cumulative; `refunded` once it all is). `amount` None refunds what remains."""
        intent = self._find(self.payment_intents, payment_intent_id, "payment intent")
        try:
            _, events = self._refund(intent, amount, None, {}, _Context(None, None))
        except _ApiError as exc:
            raise ValueError(exc.message) from None
        if deliver:
            await self._deliver_all(events)
        return events

    async def open_dispute(
        self, payment_intent_id: str, *, reason: str = "fraudulent", deliver: bool = True
    ) -> list[JSON]:
        """The cardholder disputes the payment with their bank: charge.dispute.created."""
        intent = self._find(self.payment_intents, payment_intent_id, "payment intent")
        ch = self.charges.get(intent["latest_charge"] or "")
        if ch is None or ch["status"] != "succeeded":
            raise ValueError(f"payment intent {payment_intent_id} has no succeeded charge")
        if ch["disputed"]:
            raise ValueError(f"charge {ch['id']} is already disputed")
        opened = p.dispute(ch, self.now(), reason=reason)
        self.disputes[opened["id"]] = opened
        ch["disputed"] = True
        events = [self._event("charge.dispute.created", opened)]
        if deliver:
            await self._deliver_all(events)
        return events

    async def deliver(
        self,
        event: JSON,
        *,
        times: int = 1,
        timestamp: int | None = None,
        secret: str | None = None,
        tamper: bool = False,
    ) -> list[int]:
        """(Re)POST an event to `webhook_url`, signed with
        `stripe.WebhookSignature.generate_signature_header` (real time unless `timestamp`).
        `tamper` changes the body after signing. Returns the statuses (0: unreachable)."""
        if self.webhook_url is None:
            raise RuntimeError("set fake.webhook_url before delivering events")
        payload = json.dumps(event, indent=2)  # Stripe sends pretty-printed JSON
        statuses = []
        for _ in range(times):
            signed_at = int(time.time()) if timestamp is None else timestamp
            header = stripe.WebhookSignature.generate_signature_header(
                payload, secret or self.WEBHOOK_SECRET, timestamp=signed_at
            )
            body = json.dumps({**event, "livemode": True}, indent=2) if tamper else payload
            status = await self._post_webhook(self.webhook_url, body, header)
            statuses.append(status)
            self.deliveries.append((event["id"], status))
            stored = self._events_by_id.get(event["id"])
            if stored is not None and 200 <= status < 300:
                stored["pending_webhooks"] = 0
            await notify(self._changed)
        return statuses

    # ---- Checkout completion ---------------------------------------------------------------

    def _pay_session(self, session: JSON, *, paid: bool, async_payment: bool) -> list[JSON]:
        params = self._session_params[session["id"]]
        now, events = self.now(), []
        email = session["customer_email"]
        customer_id = session["customer"]
        if customer_id is not None:
            email = email or self.customers[customer_id]["email"]
        elif session["customer_creation"] == "always":
            made = p.customer(now, email=email or "buyer@example.com", name="Test Buyer")
            self.customers[made["id"]] = made
            customer_id = made["id"]
            events.append(self._event("customer.created", made))
        intent_data = params.get("payment_intent_data") or {}
        intent = p.payment_intent(
            amount=session["amount_total"],
            currency=session["currency"],
            created=now,
            customer_id=customer_id,
            metadata=intent_data.get("metadata"),
            description=intent_data.get("description"),
        )
        intent["payment_method"] = p.new_id("pm_")
        self.payment_intents[intent["id"]] = intent
        events.append(self._event("payment_intent.created", intent))
        status = "pending" if async_payment else "succeeded" if paid else "failed"
        ch = p.charge(
            intent, now, status=status, email=email, payment_method=intent["payment_method"]
        )
        self.charges[ch["id"]] = ch
        intent["latest_charge"] = ch["id"]
        if async_payment:
            intent["status"] = "processing"
            events += [
                self._event("charge.pending", ch),
                self._event("payment_intent.processing", intent),
            ]
        elif paid:
            intent.update(status="succeeded", amount_received=intent["amount"])
            events += [
                self._event("charge.succeeded", ch),
                self._event("payment_intent.succeeded", intent),
            ]
        else:
            intent["last_payment_error"] = self._payment_error(ch, "card_declined")
            events += [
                self._event("charge.failed", ch),
                self._event("payment_intent.payment_failed", intent),
            ]
            return events  # the Checkout page shows the decline; the session stays open
        session.update(
            status="complete",
            payment_status="unpaid" if async_payment else "paid",
            payment_intent=intent["id"],
            customer=customer_id,
            customer_details=p.customer_details(email),
        )
        events.append(self._event("checkout.session.completed", session))
        return events

    def _subscribe_session(self, session: JSON, *, paid: bool) -> list[JSON]:
        params = self._session_params[session["id"]]
        data = params.get("subscription_data") or {}
        trial_days = int(data["trial_period_days"]) if data.get("trial_period_days") else None
        if trial_days and not paid:
            raise ValueError("paid=False with a trial: nothing is charged at checkout")
        now, events = self.now(), []
        email = session["customer_email"]
        if session["customer"] is not None:
            cust = self.customers[session["customer"]]
        else:
            cust = p.customer(now, email=email or "buyer@example.com", name="Test Buyer")
            self.customers[cust["id"]] = cust
            events.append(self._event("customer.created", cust))
        sub_id = p.new_id("sub_")
        trial_end = p.add_interval(now, "day", trial_days) if trial_days else None
        items = []
        for line in self._line_items[session["id"]]:
            recurring = line["price"]["recurring"]
            if recurring is None:
                continue
            end = trial_end or p.add_interval(
                now, recurring["interval"], recurring["interval_count"]
            )
            items.append(
                p.subscription_item(
                    line["price"],
                    line["quantity"],
                    subscription_id=sub_id,
                    created=now,
                    start=now,
                    end=end,
                )
            )
        sub = p.subscription(
            subscription_id=sub_id,
            customer_id=cust["id"],
            created=now,
            currency=session["currency"],
            items=items,
            status="trialing" if trial_days else "incomplete",
            metadata=data.get("metadata") or {},
            trial_start=now if trial_days else None,
            trial_end=trial_end,
            payment_method=p.new_id("pm_"),
            description=data.get("description"),
        )
        self.subscriptions[sub_id] = sub
        inv, bill = self._bill(
            sub, cust, "subscription_create", now, now, paid=paid, zero=bool(trial_days)
        )
        sub["latest_invoice"] = inv["id"]
        events.append(self._event("customer.subscription.created", sub))
        events += bill
        if not paid:
            return events  # declined: the subscription stays incomplete, the session open
        if sub["status"] == "incomplete":
            sub["status"] = "active"
            events.append(
                self._event("customer.subscription.updated", sub, previous={"status": "incomplete"})
            )
        session.update(
            status="complete",
            payment_status="no_payment_required" if inv["amount_due"] == 0 else "paid",
            customer=cust["id"],
            customer_details=p.customer_details(email or cust["email"]),
            subscription=sub_id,
            invoice=inv["id"],
        )
        events.append(self._event("checkout.session.completed", session))
        return events

    def _bill(
        self,
        sub: JSON,
        cust: JSON,
        billing_reason: str,
        period_start: int,
        period_end: int,
        *,
        paid: bool,
        zero: bool,
    ) -> tuple[JSON, list[JSON]]:
        """Create, finalize and charge an invoice for the subscription's current items."""
        now = self.now()
        invoice_id = p.new_id("in_")
        lines = [
            p.invoice_line(
                item,
                name=self._product_names.get(item["price"]["id"], "Subscription"),
                invoice_id=invoice_id,
                amount=0 if zero else item["price"]["unit_amount"] * item["quantity"],
                start=item["current_period_start"],
                end=item["current_period_end"],
            )
            for item in sub["items"]["data"]
        ]
        number = f"{cust['invoice_prefix']}-{cust['next_invoice_sequence']:04d}"
        cust["next_invoice_sequence"] += 1
        inv = p.invoice(
            sub=sub,
            customer_obj=cust,
            created=now,
            billing_reason=billing_reason,
            lines=lines,
            number=number,
            invoice_id=invoice_id,
            period_start=period_start,
            period_end=period_end,
        )
        self.invoices[invoice_id] = inv
        inv.update(status="draft")
        inv["status_transitions"]["finalized_at"] = None
        events = [self._event("invoice.created", inv)]
        inv["status"] = "open"
        inv["status_transitions"]["finalized_at"] = now
        events.append(self._event("invoice.finalized", inv))
        if inv["amount_due"] == 0:
            self._mark_paid(inv, now)
            events += [
                self._event("invoice.paid", inv),
                self._event("invoice.payment_succeeded", inv),
            ]
            return inv, events
        intent = p.payment_intent(
            amount=inv["amount_due"],
            currency=inv["currency"],
            created=now,
            customer_id=cust["id"],
            description="Subscription creation"
            if billing_reason == "subscription_create"
            else "Subscription update",
        )
        intent["payment_method"] = sub["default_payment_method"]
        self.payment_intents[intent["id"]] = intent
        payment = p.invoice_payment(inv, intent, now)
        self.invoice_payments[payment["id"]] = payment
        events.append(self._event("payment_intent.created", intent))
        ch = p.charge(
            intent,
            now,
            status="succeeded" if paid else "failed",
            email=cust["email"],
            payment_method=intent["payment_method"],
        )
        self.charges[ch["id"]] = ch
        intent["latest_charge"] = ch["id"]
        inv.update(attempt_count=inv["attempt_count"] + 1, attempted=True)
        if paid:
            intent.update(status="succeeded", amount_received=intent["amount"])
            payment.update(status="paid", amount_paid=intent["amount"])
            payment["status_transitions"]["paid_at"] = now
            self._mark_paid(inv, now)
            events += [
                self._event("charge.succeeded", ch),
                self._event("payment_intent.succeeded", intent),
                self._event("invoice_payment.paid", payment),
                self._event("invoice.paid", inv),
                self._event("invoice.payment_succeeded", inv),
            ]
        else:
            intent["last_payment_error"] = self._payment_error(ch, "card_declined")
            if billing_reason != "subscription_create":
                inv["next_payment_attempt"] = now + 3 * 86400  # Smart Retries try again
            events += [
                self._event("charge.failed", ch),
                self._event("payment_intent.payment_failed", intent),
                self._event("invoice.payment_failed", inv),
            ]
        return inv, events

    @staticmethod
    def _mark_paid(inv: JSON, now: int) -> None:
        inv.update(
            status="paid",
            amount_paid=inv["amount_due"],
            amount_remaining=0,
            attempted=True,
            next_payment_attempt=None,
        )
        inv["status_transitions"]["paid_at"] = now

    @staticmethod
    def _payment_error(ch: JSON, code: str) -> JSON:
        decline = "generic_decline" if code == "card_declined" else code
        return {
            "charge": ch["id"],
            "code": code,
            "decline_code": decline,
            "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
            "message": ch["failure_message"] or "Your card was declined.",
            "payment_method": {"id": ch["payment_method"], "object": "payment_method"},
            "type": "card_error",
        }

    def _change_subscription(self, sub: JSON, changes: Mapping[str, Any]) -> JSON:
        previous: JSON = {}
        for key, value in changes.items():
            if key == "metadata":
                merged = {**sub["metadata"], **(value or {})}
                merged = {k: v for k, v in merged.items() if v not in (None, "")}
                if merged != sub["metadata"]:
                    previous["metadata"] = sub["metadata"]
                    sub["metadata"] = merged
                continue
            if sub.get(key) == value:
                continue
            previous[key] = copy.deepcopy(sub.get(key))
            sub[key] = value
            if key == "cancel_at_period_end":
                period_end = max(i["current_period_end"] for i in sub["items"]["data"])
                for derived, new in (
                    ("cancel_at", period_end if value else None),
                    ("canceled_at", self.now() if value else None),
                ):
                    if sub[derived] != new:
                        previous[derived] = sub[derived]
                        sub[derived] = new
                details = sub["cancellation_details"]
                previous["cancellation_details"] = dict(details)
                details["reason"] = "cancellation_requested" if value else None
        return previous

    def _cancel(self, sub: JSON, *, reason: str | None, ctx: _Context | None = None) -> JSON:
        now = self.now()
        sub.update(status="canceled", ended_at=now, canceled_at=sub["canceled_at"] or now)
        sub["cancellation_details"]["reason"] = reason or "cancellation_requested"
        return self._event("customer.subscription.deleted", sub, ctx=ctx)

    def _refund(
        self,
        intent: JSON,
        amount: int | None,
        reason: str | None,
        metadata: Mapping[str, str],
        ctx: _Context,
        *,
        via_charge: JSON | None = None,
    ) -> tuple[JSON, list[JSON]]:
        ch = via_charge or self.charges.get(intent["latest_charge"] or "")
        if ch is None or ch["status"] != "succeeded":
            raise _ApiError(
                400,
                "invalid_request_error",
                f"This PaymentIntent ({intent['id']}) does not have a successful charge to refund.",
                code="charge_not_refundable",
            )
        if ch["disputed"]:
            raise _ApiError(
                400,
                "invalid_request_error",
                f"Charge {ch['id']} has been charged back; cannot issue a refund.",
                code="charge_disputed",
            )
        remaining = ch["amount"] - ch["amount_refunded"]
        if remaining <= 0:
            raise _ApiError(
                400,
                "invalid_request_error",
                f"Charge {ch['id']} has already been refunded.",
                code="charge_already_refunded",
            )
        amount = remaining if amount is None else amount
        if amount > remaining:
            raise _ApiError(
                400,
                "invalid_request_error",
                f"Refund amount ({_money(amount, ch['currency'])}) is greater than unrefunded "
                f"amount on charge ({_money(remaining, ch['currency'])})",
                code="amount_too_large",
                param="amount",
            )
        made = p.refund(ch, amount, self.now(), reason=reason, metadata=metadata)
        self.refunds[made["id"]] = made
        previous: JSON = {"amount_refunded": ch["amount_refunded"]}
        ch["amount_refunded"] += amount
        if ch["amount_refunded"] >= ch["amount"]:
            previous["refunded"] = False
            ch["refunded"] = True
        events = [
            self._event("refund.created", made, ctx=ctx),
            self._event("charge.refunded", ch, ctx=ctx, previous=previous),
        ]
        return made, events

    # ---- events ----------------------------------------------------------------------------

    def _event(
        self,
        event_type: str,
        obj: JSON,
        *,
        previous: JSON | None = None,
        ctx: _Context | None = None,
    ) -> JSON:
        """Record an event with a snapshot of `obj` as it is now."""
        made = p.event(
            event_type,
            copy.deepcopy(obj),
            self.now(),
            previous_attributes=copy.deepcopy(previous) if previous is not None else None,
            request_id=ctx.request_id if ctx else None,
            idempotency_key=ctx.idempotency_key if ctx else None,
            pending_webhooks=1 if self.webhook_url else 0,
        )
        self._events.record(made)
        self._events_by_id[made["id"]] = made
        if ctx is not None:
            ctx.events.append(made)
        return made

    async def _deliver_all(self, events: Iterable[JSON]) -> None:
        if self.webhook_url is None:
            await notify(self._changed)
            return
        for made in events:
            await self.deliver(made)

    async def _outbox_worker(self) -> None:
        """Deliver events caused by API requests after their response, in order."""
        while True:
            async with self._changed:
                await self._changed.wait_for(lambda: self._closing or bool(self._outbox))
            if self._closing:
                return
            made = self._outbox[0]
            if self.webhook_url is not None:
                await self.deliver(made)
            self._outbox.pop(0)
            await notify(self._changed)

    async def _post_webhook(self, url: str, body: str, signature: str) -> int:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            "Stripe-Signature": signature,
            "Cache-Control": "no-cache",
            "Accept": "*/*; q=0.5, application/xml",
        }
        timeout = aiohttp.ClientTimeout(total=self.webhook_timeout)
        return await self._sender.post(url, body.encode(), headers, client_timeout=timeout)

    # ---- HTTP ------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        key = request.headers.get("Idempotency-Key")
        call = self._calls.record(
            RecordedCall(
                request.method,
                request.path,
                {},
                {h: request.headers[h] for h in _RECORDED_HEADERS if h in request.headers},
            )
        )
        request_id = p.new_id("req_", 14)
        headers = {
            "Request-Id": request_id,
            "Stripe-Version": request.headers.get("Stripe-Version", p.API_VERSION),
        }
        if key is not None:
            headers["Idempotency-Key"] = key
        ctx = _Context(request_id, key if request.method == "POST" else None)
        try:
            call.params = _read_params(request.query_string, await request.text())
            self._authenticate(request.headers.get("Authorization", ""))
            handler, match = self._route(request.method, request.path)
            self._injected_failure(request.method, request.path)
            status, body, extra, replayed = await self._run(handler, match, call, ctx)
            headers.update(extra)
            call.replayed = replayed
        except _ApiError as exc:
            status, body = exc.status, exc.body
            headers.update(exc.headers)
        except Exception as exc:  # a bug in the fake: answer as Stripe would, keep the cause
            self.crashes.append(exc)
            status, body = 500, p.error("api_error", f"fake Stripe crashed: {exc!r}")
        call.status, call.response = status, body
        if status < 300 and ctx.events and not call.replayed and self.webhook_url is not None:
            self._outbox.extend(ctx.events)
        await notify(self._changed)
        return web.json_response(body, status=status, headers=headers)

    async def _run(
        self, handler: Handler, match: re.Match[str], call: RecordedCall, ctx: _Context
    ) -> tuple[int, Any, dict[str, str], bool]:
        """Run the endpoint, or replay what was saved under the Idempotency-Key."""
        key = ctx.idempotency_key
        if key is None:
            return 200, await handler(call, match, ctx), {}, False
        fingerprint = (call.method, call.path, json.dumps(call.params, sort_keys=True))
        saved = self._idempotency.get(key)
        if saved is not None:
            if saved.fingerprint != fingerprint:
                raise _ApiError(
                    400,
                    "idempotency_error",
                    "Keys for idempotent requests can only be used with the same parameters "
                    f"they were first used with. Try using a key other than '{key}' if you "
                    "meant to execute a different request.",
                    saved=False,
                )
            replay = {"Idempotent-Replayed": "true", "Original-Request": saved.request_id}
            return saved.status, copy.deepcopy(saved.body), {**saved.headers, **replay}, True
        if key in self._in_flight:
            raise _ApiError(
                409,
                "idempotency_error",
                "There is currently another in-progress request using this Idempotent Key "
                "(that probably means you submitted twice, and the other request is still "
                f"going through): {key}. Please try again later.",
                code="idempotency_key_in_use",
                saved=False,
            )
        self._in_flight.add(key)
        try:
            status, body, extra = 200, await handler(call, match, ctx), {}
        except _ApiError as exc:
            if not exc.saved:
                raise
            status, body, extra = exc.status, exc.body, exc.headers
        finally:
            self._in_flight.discard(key)
        self._idempotency[key] = _Saved(
            fingerprint, status, copy.deepcopy(body), extra, ctx.request_id or ""
        )
        return status, body, extra, False

    def _authenticate(self, authorization: str) -> None:
        scheme, _, credential = authorization.partition(" ")
        if scheme.lower() == "basic":
            with contextlib.suppress(ValueError):
                credential = base64.b64decode(credential).decode().partition(":")[0]
        elif scheme.lower() != "bearer":
            credential = ""
        if not credential:
            raise _ApiError(
                401,
                "invalid_request_error",
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                "YOUR_SECRET_KEY').",
                saved=False,
            )
        if credential != self.API_KEY:
            shown = credential[:8] + "*" * 12 + credential[-4:]
            raise _ApiError(
                401,
                "invalid_request_error",
                f"Invalid API Key provided: {shown}",
                saved=False,
            )

    def _route(self, method: str, path: str) -> tuple[Handler, re.Match[str]]:
        if path.startswith(API_PREFIX + "/"):
            tail = path[len(API_PREFIX) :]
            for route_method, pattern, handler in self._routes:
                if route_method == method and (match := pattern.match(tail)):
                    return handler, match
        raise _ApiError(
            404,
            "invalid_request_error",
            f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
            "or we can help at https://support.stripe.com/.",
            saved=False,
        )

    def _injected_failure(self, method: str, path: str) -> None:
        failure = self._failures.take(method, path)
        if failure is not None:
            raise _failure_error(failure)

    # ---- endpoints -------------------------------------------------------------------------

    async def _create_session(self, call: RecordedCall, m: re.Match[str], ctx: _Context) -> JSON:
        params = call.params
        mode = self._check_session_params(params)
        _check_mode_data(params, mode)
        now = self.now()
        if "expires_at" in params:
            expires = _int(params["expires_at"], "expires_at")
            if not now + 1800 <= expires <= now + 86400:
                raise _invalid(
                    "The `expires_at` timestamp must be between 30 minutes and 24 hours from "
                    "Checkout Session creation.",
                    "expires_at",
                )
        lines = self._session_lines(params, mode, now)
        subtotal = sum(line["amount_subtotal"] for line in lines)
        trial = bool((params.get("subscription_data") or {}).get("trial_period_days"))
        session_id = p.new_id("cs_test_", 58)
        promotion_codes = params.get("allow_promotion_codes")
        session = p.checkout_session(
            session_id=session_id,
            mode=mode,
            created=now,
            currency=lines[0]["currency"],
            amount_subtotal=0 if trial else subtotal,
            amount_total=0 if trial else subtotal,
            params={
                **params,
                "allow_promotion_codes": None
                if promotion_codes is None
                else _bool(promotion_codes, "allow_promotion_codes"),
            },
        )
        if "expires_at" in params:
            session["expires_at"] = int(params["expires_at"])
        self.sessions[session_id] = session
        self._line_items[session_id] = lines
        self._session_params[session_id] = copy.deepcopy(params)
        return self._render(session, params)

    def _check_session_params(self, params: JSON) -> str:
        """Validate what does not depend on the mode; return the mode."""
        _check_known(params, _SESSION_PARAMS)
        for name in params:
            if name not in _SESSION_MODELLED:
                raise _unmodelled(f"`{name}` on Checkout Sessions")
        mode = params.get("mode")
        if mode is None:
            raise _missing("mode")
        if mode not in ("payment", "subscription", "setup"):
            raise _invalid(
                f"Invalid mode: must be one of payment, setup, or subscription (got {mode!r})",
                "mode",
            )
        if mode == "setup" or params.get("ui_mode", "hosted") != "hosted":
            raise _unmodelled("setup mode and embedded or custom ui_mode")
        if "success_url" not in params:
            raise _missing("success_url")
        for name in ("success_url", "cancel_url"):
            if name in params and not _is_url(params[name]):
                raise _invalid("Not a valid URL", name, "url_invalid")
        _exclusive(params, "customer", "customer_email")
        _exclusive(params, "allow_promotion_codes", "discounts")
        if "allow_promotion_codes" in params:
            _bool(params["allow_promotion_codes"], "allow_promotion_codes")
        if "customer" in params and params["customer"] not in self.customers:
            raise _no_such("customer", params["customer"], "customer", status=400)
        if len(str(params.get("client_reference_id", ""))) > 200:
            raise _invalid(
                "client_reference_id must be at most 200 characters", "client_reference_id"
            )
        _check_metadata(params.get("metadata"), "metadata")
        return str(mode)

    def _session_lines(self, params: JSON, mode: str, now: int) -> list[JSON]:
        if "line_items" not in params:
            raise _missing("line_items")
        items = params["line_items"]
        if not isinstance(items, list) or not items:
            raise _invalid("Invalid array", "line_items")
        lines = [self._session_line(raw, f"line_items[{i}]", now) for i, raw in enumerate(items)]
        if len({line["currency"] for line in lines}) > 1:
            raise _invalid("All line items must use the same currency.", "line_items")
        recurring = [line for line in lines if line["price"]["recurring"] is not None]
        if mode == "payment" and recurring:
            raise _invalid(
                "You specified `payment` mode but passed a recurring price. Either switch to "
                "`subscription` mode or use only one-time prices.",
                "line_items",
            )
        if mode == "subscription" and not recurring:
            raise _invalid(
                "You must provide at least one recurring price in `subscription` mode when "
                "using prices.",
                "line_items",
            )
        return lines

    def _session_line(self, raw: Any, where: str, now: int) -> JSON:
        item = _dict(raw, where)
        _check_known(item, _LINE_ITEM_PARAMS, where)
        for name in item:
            if name not in ("price", "price_data", "quantity", "metadata"):
                raise _unmodelled(f"{where}[{name}]")
        _exclusive(item, "price", "price_data", prefix=where)
        if "quantity" not in item:
            raise _missing(f"{where}[quantity]")
        quantity = _int(item["quantity"], f"{where}[quantity]")
        if quantity < 1:
            raise _invalid("This value must be greater than or equal to 1.", f"{where}[quantity]")
        if "price" in item:
            found = self.prices.get(item["price"])
            if found is None:
                raise _no_such("price", item["price"], f"{where}[price]", status=400)
            made, name = found, self._product_names.get(found["id"], "Product")
        elif "price_data" in item:
            data = _dict(item["price_data"], f"{where}[price_data]")
            made, name = self._inline_price(data, f"{where}[price_data]", now)
        else:
            raise _missing(f"{where}[price]")
        return p.checkout_line_item(made, quantity, name)

    def _inline_price(self, data: JSON, where: str, now: int) -> tuple[JSON, str]:
        _check_known(data, _PRICE_DATA_PARAMS, where)
        if "currency" not in data:
            raise _missing(f"{where}[currency]")
        currency = str(data["currency"]).lower()
        if not re.fullmatch(r"[a-z]{3}", currency):
            raise _invalid(f"Invalid currency: {data['currency']}", f"{where}[currency]")
        _exclusive(data, "product", "product_data", prefix=where)
        if "product_data" in data:
            product_data = _dict(data["product_data"], f"{where}[product_data]")
            _check_known(product_data, _PRODUCT_DATA_PARAMS, f"{where}[product_data]")
            if not product_data.get("name"):
                raise _missing(f"{where}[product_data][name]")
            name = str(product_data["name"])
        elif "product" in data:
            raise _no_such("product", str(data["product"]), f"{where}[product]", status=400)
        else:
            raise _missing(f"{where}[product_data]")
        _exclusive(data, "unit_amount", "unit_amount_decimal", prefix=where)
        if "unit_amount" not in data:
            if "unit_amount_decimal" in data:
                raise _unmodelled(f"{where}[unit_amount_decimal]")
            raise _missing(f"{where}[unit_amount]")
        unit_amount = _int(data["unit_amount"], f"{where}[unit_amount]")
        if unit_amount < 0:
            raise _invalid(
                "This value must be greater than or equal to 0.", f"{where}[unit_amount]"
            )
        interval, count = None, 1
        if "recurring" in data:
            recurring = _dict(data["recurring"], f"{where}[recurring]")
            _check_known(recurring, _RECURRING_PARAMS, f"{where}[recurring]")
            if "interval" not in recurring:
                raise _missing(f"{where}[recurring][interval]")
            interval = recurring["interval"]
            if interval not in p.INTERVALS:
                raise _invalid(
                    "Invalid recurring[interval]: must be one of day, month, week, or year",
                    f"{where}[recurring][interval]",
                )
            count = _int(recurring.get("interval_count", 1), f"{where}[recurring][interval_count]")
        prod = p.product(name, now)
        made = p.price(
            unit_amount=unit_amount,
            currency=currency,
            product_id=prod["id"],
            created=now,
            interval=interval,
            interval_count=count,
        )
        self._product_names[made["id"]] = name
        return made, name

    async def _list_sessions(self, call: RecordedCall, m: re.Match[str], ctx: _Context) -> JSON:
        filters = ("customer", "payment_intent", "subscription", "status")
        return self._page(self.sessions, call.params, "/v1/checkout/sessions", filters)

    async def _get_session(self, call: RecordedCall, m: re.Match[str], ctx: _Context) -> JSON:
        _check_known(call.params, {"expand"})
        session = self._path_object(self.sessions, m[1], "checkout.session", "session")
        return self._render(session, call.params)

    async def _session_line_items(
        self, call: RecordedCall, m: re.Match[str], ctx: _Context
    ) -> JSON:
        self._path_object(self.sessions, m[1], "checkout.session", "session")
        items = {line["id"]: line for line in self._line_items[m[1]]}
        return self._page(
            items, call.params, f"/v1/checkout/sessions/{m[1]}/line_items", (), oldest_first=True
        )

    async def _expire_session(self, call: RecordedCall, m: re.Match[str], ctx: _Context) -> JSON:
        _check_known(call.params, {"expand"})
        session = self._path_object(self.sessions, m[1], "checkout.session", "session")
        if session["status"] != "open":
            raise _ApiError(
                400,
                "invalid_request_error",
                f'Only Checkout Sessions with a status in ["open"] can be expired. This '
                f'Checkout Session has a status of "{session["status"]}".',
            )
        session["status"] = "expired"
        self._event("checkout.session.expired", session, ctx=ctx)
        return self._render(session, call.params)

    async def _list_subscriptions(
        self, call: RecordedCall, m: re.Match[str], ctx: _Context
    ) -> JSON:
        status = call.params.get("status")
        pool = {
            k: v
            for k, v in self.subscriptions.items()
            if (v["status"] != "canceled" if status is None else status in ("all", v["status"]))
        }
        params = {k: v for k, v in call.params.items() if k != "status"}
        return self._page(pool, params, "/v1/subscriptions", ("customer",))

    async def _get_subscription(self, call: RecordedCall, m: re.Match[str], ctx: _Context) -> JSON:
        _check_known(call.params, {"expand"})
        sub = self._path_object(self.subscriptions, m[1], "subscription", "id")
        return self._render(sub, call.params)

    async def _update_subscription(
        self, call: RecordedCall, m: re.Match[str], ctx: _Context
    ) -> JSON:
        params = call.params
        _check_known(params, _SUBSCRIPTION_UPDATE_PARAMS)
        sub = self._path_object(self.subscriptions, m[1], "subscription", "id")
        modelled = {
            "cancel_at_period_end",
            "metadata",
            "description",
            "expand",
            "proration_behavior",
        }
        for name in params:
            if name not in modelled:
                raise _unmodelled(f"`{name}` on subscription updates")
        if sub["status"] == "canceled" and set(params) - {"metadata", "expand"}:
            raise _invalid(
                "A canceled subscription can only update its cancellation_details and metadata."
            )
        changes: JSON = {}
        if "cancel_at_period_end" in params:
            changes["cancel_at_period_end"] = _bool(
                params["cancel_at_period_end"], "cancel_at_period_end"
            )
        if "metadata" in params:
            metadata = params["metadata"]
            if metadata == "":
                metadata = dict.fromkeys(sub["metadata"], "")  # metadata= clears all keys
            _check_metadata(metadata, "metadata")
            changes["metadata"] = metadata
        if "description" in params:
            changes["description"] = params["description"] or None
        previous = self._change_subscription(sub, changes)
        if previous:
            self._event("customer.subscription.updated", sub, previous=previous, ctx=ctx)
        return self._render(sub, params)

    async def _cancel_subscription(
        self, call: RecordedCall, m: re.Match[str], ctx: _Context
    ) -> JSON:
        _check_known(call.params, {"expand", "invoice_now", "prorate", "cancellation_details"})
        sub = self._path_object(self.subscriptions, m[1], "subscription", "id")
        if sub["status"] == "canceled":
            raise _ApiError(
                400,
                "invalid_request_error",
                f"No such subscription: '{sub['id']}'; it has been canceled.",
                code="resource_missing",
                param="id",
            )
        self._cancel(sub, reason="cancellation_requested", ctx=ctx)
        return self._render(sub, call.params)

    async def _get_payment_intent(
        self, call: RecordedCall, m: re.Match[str], ctx: _Context
    ) -> JSON:
        _check_known(call.params, {"expand", "client_secret"})
        intent = self._path_object(self.payment_intents, m[1], "payment_intent", "intent")
        return self._render(intent, call.params)

    async def _get_charge(self, call: RecordedCall, m: re.Match[str], ctx: _Context) -> JSON:
        _check_known(call.params, {"expand"})
        return self._render(self._path_object(self.charges, m[1], "charge", "charge"), call.params)

    async def _create_refund(self, call: RecordedCall, m: re.Match[str], ctx: _Context) -> JSON:
        params = call.params
        _check_known(params, _REFUND_PARAMS)
        for name in params:
            if name not in ("amount", "charge", "payment_intent", "reason", "metadata", "expand"):
                raise _unmodelled(f"`{name}` on refunds")
        if "payment_intent" not in params and "charge" not in params:
            raise _invalid(
                "One of the following params should be provided for this request: "
                "payment_intent or charge."
            )
        via_charge = None
        if "charge" in params:
            via_charge = self.charges.get(params["charge"])
            if via_charge is None:
                raise _no_such("charge", params["charge"], "charge", status=400)
        if "payment_intent" in params:
            intent = self.payment_intents.get(params["payment_intent"])
            if intent is None:
                raise _no_such(
                    "payment_intent", params["payment_intent"], "payment_intent", status=400
                )
            if via_charge is not None and via_charge["payment_intent"] != intent["id"]:
                raise _invalid("The charge does not belong to the payment_intent.", "charge")
        else:
            assert via_charge is not None
            intent = self.payment_intents[via_charge["payment_intent"]]
        amount = None
        if "amount" in params:
            amount = _int(params["amount"], "amount")
            if amount < 1:
                raise _invalid("This value must be greater than or equal to 1.", "amount")
        reason = params.get("reason")
        if reason is not None and reason not in (
            "duplicate",
            "fraudulent",
            "requested_by_customer",
        ):
            raise _invalid(
                "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer",
                "reason",
            )
        _check_metadata(params.get("metadata"), "metadata")
        made, _ = self._refund(
            intent, amount, reason, params.get("metadata") or {}, ctx, via_charge=via_charge
        )
        return self._render(made, params)

    async def _list_refunds(self, call: RecordedCall, m: re.Match[str], ctx: _Context) -> JSON:
        return self._page(self.refunds, call.params, "/v1/refunds", ("charge", "payment_intent"))

    async def _get_refund(self, call: RecordedCall, m: re.Match[str], ctx: _Context) -> JSON:
        _check_known(call.params, {"expand"})
        return self._render(self._path_object(self.refunds, m[1], "refund", "refund"), call.params)

    async def _list_invoices(self, call: RecordedCall, m: re.Match[str], ctx: _Context) -> JSON:
        pool = self.invoices
        params = dict(call.params)
        if "subscription" in params:
            wanted = params.pop("subscription")
            pool = {
                k: v
                for k, v in pool.items()
                if v["parent"]["subscription_details"]["subscription"] == wanted
            }
        return self._page(pool, params, "/v1/invoices", ("customer", "status"))

    async def _get_invoice(self, call: RecordedCall, m: re.Match[str], ctx: _Context) -> JSON:
        _check_known(call.params, {"expand"})
        inv = self._path_object(self.invoices, m[1], "invoice", "invoice")
        return self._render(inv, call.params)

    async def _list_invoice_payments(
        self, call: RecordedCall, m: re.Match[str], ctx: _Context
    ) -> JSON:
        return self._page(
            self.invoice_payments, call.params, "/v1/invoice_payments", ("invoice", "status")
        )

    async def _get_invoice_payment(
        self, call: RecordedCall, m: re.Match[str], ctx: _Context
    ) -> JSON:
        _check_known(call.params, {"expand"})
        found = self._path_object(self.invoice_payments, m[1], "invoice_payment", "id")
        return self._render(found, call.params)

    async def _get_customer(self, call: RecordedCall, m: re.Match[str], ctx: _Context) -> JSON:
        _check_known(call.params, {"expand"})
        found = self._path_object(self.customers, m[1], "customer", "id")
        return self._render(found, call.params)

    async def _get_dispute(self, call: RecordedCall, m: re.Match[str], ctx: _Context) -> JSON:
        _check_known(call.params, {"expand"})
        return self._render(
            self._path_object(self.disputes, m[1], "dispute", "dispute"), call.params
        )

    async def _create_portal_session(
        self, call: RecordedCall, m: re.Match[str], ctx: _Context
    ) -> JSON:
        params = call.params
        _check_known(params, _PORTAL_PARAMS)
        for name in params:
            if name not in ("customer", "return_url", "expand", "locale"):
                raise _unmodelled(f"`{name}` on billing portal sessions")
        if "customer" not in params:
            raise _missing("customer")
        if params["customer"] not in self.customers:
            raise _no_such("customer", params["customer"], "customer", status=400)
        if "return_url" in params and not _is_url(params["return_url"]):
            raise _invalid("Not a valid URL", "return_url", "url_invalid")
        made = p.billing_portal_session(params["customer"], params.get("return_url"), self.now())
        made["locale"] = params.get("locale")
        self.portal_sessions[made["id"]] = made
        return self._render(made, params)

    async def _list_events(self, call: RecordedCall, m: re.Match[str], ctx: _Context) -> JSON:
        params = dict(call.params)
        _check_known(params, _LIST_PARAMS | {"type", "types", "delivery_success"})
        _exclusive(params, "type", "types")
        pool = self._events_by_id
        if "type" in params:
            pattern = str(params.pop("type"))
            pool = {k: v for k, v in pool.items() if fnmatch.fnmatchcase(v["type"], pattern)}
        if "types" in params:
            wanted = params.pop("types")
            if not isinstance(wanted, list) or len(wanted) > 20:
                raise _invalid("types must be an array of at most 20 event types", "types")
            pool = {k: v for k, v in pool.items() if v["type"] in wanted}
        if "delivery_success" in params:
            delivered = _bool(params.pop("delivery_success"), "delivery_success")
            pool = {k: v for k, v in pool.items() if (v["pending_webhooks"] == 0) == delivered}
        return self._page(pool, params, "/v1/events", ())

    async def _get_event(self, call: RecordedCall, m: re.Match[str], ctx: _Context) -> JSON:
        _check_known(call.params, {"expand"})
        return self._render(self._path_object(self._events_by_id, m[1], "event", "id"), call.params)

    # ---- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _find(store: dict[str, JSON], object_id: str, kind: str) -> JSON:
        found = store.get(object_id)
        if found is None:
            raise LookupError(f"no {kind} {object_id!r}")
        return found

    @staticmethod
    def _path_object(store: dict[str, JSON], object_id: str, kind: str, param: str) -> JSON:
        found = store.get(urllib.parse.unquote(object_id))
        if found is None:
            raise _no_such(kind, object_id, param)
        return found

    def _lookup(self, object_id: str) -> JSON | None:
        for prefix, store in self._stores.items():
            if object_id.startswith(prefix):
                return store.get(object_id)
        return None

    def _page(
        self,
        store: Mapping[str, JSON],
        params: JSON,
        url: str,
        filters: Iterable[str],
        *,
        oldest_first: bool = False,
    ) -> JSON:
        """A Stripe list: newest first, `limit` (1-100, default 10), `starting_after` /
        `ending_before` cursors, `created` as a timestamp or {gt, gte, lt, lte}."""
        filters = tuple(filters)
        _check_known(params, _LIST_PARAMS | set(filters))
        pool = list(store.values()) if oldest_first else list(reversed(list(store.values())))
        if not oldest_first:
            pool.sort(key=lambda obj: -int(obj.get("created", 0)))  # stable: newest first
        for name in filters:
            if name in params:
                pool = [obj for obj in pool if obj.get(name) == params[name]]
        if "created" in params:
            pool = [obj for obj in pool if _created_matches(obj["created"], params["created"])]
        limit = _int(params.get("limit", 10), "limit")
        if not 1 <= limit <= 100:
            raise _invalid("This value must be between 1 and 100.", "limit")
        _exclusive(params, "starting_after", "ending_before")
        ids = [obj["id"] for obj in pool]
        if "starting_after" in params:
            cursor = params["starting_after"]
            if cursor not in ids:
                raise _no_such(
                    url.rsplit("/", 1)[-1].rstrip("s"), cursor, "starting_after", status=400
                )
            window = pool[ids.index(cursor) + 1 :]
            page, has_more = window[:limit], len(window) > limit
        elif "ending_before" in params:
            cursor = params["ending_before"]
            if cursor not in ids:
                raise _no_such(
                    url.rsplit("/", 1)[-1].rstrip("s"), cursor, "ending_before", status=400
                )
            window = pool[: ids.index(cursor)]
            page, has_more = window[-limit:], len(window) > limit
        else:
            page, has_more = pool[:limit], len(pool) > limit
        expand = [
            path.removeprefix("data.")
            for path in _as_list(params.get("expand", []), "expand")
            if path.startswith("data.")
        ]
        data = [self._render(obj, {"expand": expand}) for obj in page]
        return p.list_object(data, url, has_more=has_more)

    def _render(self, obj: JSON, params: JSON) -> JSON:
        """A copy of `obj` for a response, with `expand[]` applied (ids replaced by objects;
        includable fields such as a session's line_items or an invoice's payments added)."""
        rendered = copy.deepcopy(obj)
        for path in _as_list(params.get("expand", []), "expand"):
            self._expand(rendered, str(path).split("."), str(path))
        return rendered

    def _expand(self, node: Any, parts: list[str], full: str) -> None:
        if not isinstance(node, dict):
            raise _invalid(f"This property cannot be expanded ({full}).", "expand")
        key, rest = parts[0], parts[1:]
        if key == "data" and node.get("object") == "list":
            for item in node["data"]:
                if rest:
                    self._expand(item, rest, full)
            return
        kind = node.get("object")
        if kind == "checkout.session" and key == "line_items":
            lines = self._line_items.get(node["id"], [])
            url = f"/v1/checkout/sessions/{node['id']}/line_items"
            node[key] = p.list_object(copy.deepcopy(lines), url)
        elif kind == "invoice" and key == "payments":
            payments = [v for v in self.invoice_payments.values() if v["invoice"] == node["id"]]
            url = f"/v1/invoice_payments?invoice={node['id']}"
            node[key] = p.list_object(copy.deepcopy(payments), url)
        elif key not in node:
            raise _invalid(f"This property cannot be expanded ({full}).", "expand")
        value = node[key]
        if isinstance(value, str):
            found = self._lookup(value)
            if found is None:
                raise _invalid(f"This property cannot be expanded ({full}).", "expand")
            node[key] = value = copy.deepcopy(found)
        if rest and value is not None:
            self._expand(value, rest, full)


# ---- module helpers ------------------------------------------------------------------------


def _read_params(query: str, body: str) -> JSON:
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    pairs += urllib.parse.parse_qsl(body, keep_blank_values=True)
    return p.decode_form(pairs)


def _failure_error(failure: _Failure) -> _ApiError:
    status, code = failure.status, failure.code
    headers: dict[str, str] = {}
    extra: JSON = {}
    if status == 429:
        code = code or "lock_timeout"
        error_type = failure.error_type or "invalid_request_error"
        message = failure.message or (_LOCK_TIMEOUT if code == "lock_timeout" else _RATE_LIMIT)
        should_retry = failure.should_retry
        if should_retry is None and code == "lock_timeout":
            should_retry = True
    elif status == 402:
        code = code or "card_declined"
        error_type = failure.error_type or "card_error"
        message = failure.message or "Your card was declined."
        extra["decline_code"] = "generic_decline"
        should_retry = failure.should_retry
    elif status == 401:
        error_type = failure.error_type or "invalid_request_error"
        message = failure.message or "Invalid API Key provided: sk_test_****************"
        should_retry = failure.should_retry
    elif 400 <= status < 500:
        error_type = failure.error_type or "invalid_request_error"
        message = failure.message or "Injected failure (fake Stripe fail_next)."
        should_retry = failure.should_retry
    else:
        error_type = failure.error_type or "api_error"
        message = failure.message or (
            "Sorry, something went wrong. We've already been notified of the problem, but if "
            "you need any help, you can reach us at support.stripe.com/contact."
        )
        should_retry = failure.should_retry
    if should_retry is not None:
        headers["Stripe-Should-Retry"] = "true" if should_retry else "false"
    return _ApiError(status, error_type, message, code=code, headers=headers, saved=False, **extra)


def _check_mode_data(params: JSON, mode: str) -> None:
    """customer_creation, payment_intent_data (payment mode), subscription_data (subscription)."""
    if "customer_creation" in params:
        if params["customer_creation"] not in ("always", "if_required"):
            raise _invalid("Invalid customer_creation", "customer_creation")
        if mode != "payment":
            raise _invalid(
                "`customer_creation` can only be used in `payment` mode.", "customer_creation"
            )
    if "payment_intent_data" in params:
        if mode != "payment":
            raise _invalid(
                f"You can not pass `payment_intent_data` in `{mode}` mode.", "payment_intent_data"
            )
        intent_data = _dict(params["payment_intent_data"], "payment_intent_data")
        _check_known(intent_data, _PAYMENT_INTENT_DATA_PARAMS, "payment_intent_data")
        _check_metadata(intent_data.get("metadata"), "payment_intent_data[metadata]")
    if "subscription_data" not in params:
        return
    if mode != "subscription":
        raise _invalid(
            "You can only pass `subscription_data` in `subscription` mode.", "subscription_data"
        )
    data = _dict(params["subscription_data"], "subscription_data")
    _check_known(data, _SUBSCRIPTION_DATA_PARAMS, "subscription_data")
    for name in data:
        if name not in ("metadata", "trial_period_days", "description"):
            raise _unmodelled(f"subscription_data[{name}]")
    _check_metadata(data.get("metadata"), "subscription_data[metadata]")
    if "trial_period_days" in data:
        days = _int(data["trial_period_days"], "subscription_data[trial_period_days]")
        if not 1 <= days <= 730:
            raise _invalid(
                "trial_period_days must be between 1 and 730",
                "subscription_data[trial_period_days]",
            )


def _check_known(params: Mapping[str, Any], known: Iterable[str], prefix: str = "") -> None:
    allowed = set(known)
    for name in params:
        if name not in allowed:
            raise _unknown(f"{prefix}[{name}]" if prefix else name)


def _exclusive(params: Mapping[str, Any], first: str, second: str, *, prefix: str = "") -> None:
    if first in params and second in params:
        names = (f"{prefix}[{first}]", f"{prefix}[{second}]") if prefix else (first, second)
        raise _invalid(f"You may only specify one of these parameters: {', '.join(names)}.")


def _check_metadata(value: Any, param: str) -> None:
    if value is None:
        return
    metadata = _dict(value, param)
    if len(metadata) > 50:
        raise _invalid("Metadata can have at most 50 keys.", param)
    for key, item in metadata.items():
        if not isinstance(item, str):
            raise _invalid(f"Invalid string: {item!r}", f"{param}[{key}]")
        if len(key) > 40:
            raise _invalid("Metadata keys can be at most 40 characters long.", f"{param}[{key}]")
        if len(item) > 500:
            raise _invalid("Metadata values can be at most 500 characters long.", f"{param}[{key}]")


def _int(value: Any, param: str) -> int:
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise _invalid(f"Invalid integer: {value}", param, "parameter_invalid_integer")


def _bool(value: Any, param: str) -> bool:
    if value in ("true", True):
        return True
    if value in ("false", False):
        return False
    raise _invalid(f"Invalid boolean: {value}", param)


def _dict(value: Any, param: str) -> JSON:
    if not isinstance(value, dict):
        raise _invalid(f"Invalid object: {param} must be a hash", param)
    return value


def _as_list(value: Any, param: str) -> list[Any]:
    if isinstance(value, list):
        return value
    raise _invalid("Invalid array", param)


def _is_url(value: Any) -> bool:
    parsed = urllib.parse.urlparse(str(value))
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


def _created_matches(created: int, condition: Any) -> bool:
    if not isinstance(condition, dict):
        return created == _int(condition, "created")
    _check_known(condition, ("gt", "gte", "lt", "lte"), "created")
    bounds = {op: _int(v, f"created[{op}]") for op, v in condition.items()}
    return (
        ("gt" not in bounds or created > bounds["gt"])
        and ("gte" not in bounds or created >= bounds["gte"])
        and ("lt" not in bounds or created < bounds["lt"])
        and ("lte" not in bounds or created <= bounds["lte"])
    )


def _money(amount: int, currency: str) -> str:
    symbol = {"usd": "$", "eur": "€", "gbp": "£"}.get(currency, "")
    return f"{symbol}{amount / 100:.2f}" if symbol else f"{amount / 100:.2f} {currency.upper()}"


@contextlib.asynccontextmanager
async def connect(
    fake: FakeStripe,
    *,
    key: str | None = None,
    retries: int = 0,
    http: Literal["aiohttp", "httpx"] = "aiohttp",
) -> AsyncIterator[stripe.StripeClient]:
    """A StripeClient on the fake, with an async HTTP client that is closed afterwards."""
    http_client: stripe.HTTPClient = (
        stripe.AIOHTTPClient() if http == "aiohttp" else stripe.HTTPXClient()
    )
    client = stripe.StripeClient(
        key or FakeStripe.API_KEY,
        base_addresses={"api": fake.api_base},
        max_network_retries=retries,
        http_client=http_client,
    )
    try:
        yield client
    finally:
        await http_client.close_async()  # type: ignore[no-untyped-call]

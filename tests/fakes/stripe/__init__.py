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
been delivered) and `drain()`. Every `created` and billing period is stamped from `clock` (pass the
test's FakeClock and advance that; by default the fake has one of its own), `now()` reads it as a
Unix time; webhook signatures use real time, which `stripe.Webhook.construct_event` checks them
against. `add_price()` makes a dashboard price for `line_items[][price]`;
`crashes` lists bugs in the fake itself (answered as 500 api_error).
Not modelled: Prices/Products/Customers create APIs, coupons and promotion codes (the flag is
stored), taxes, test clocks, setup mode, Connect, automatic redelivery. Parameters that exist on
Stripe but that the fake does not model answer 400 "fake Stripe does not model ..." rather than
being ignored.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Literal

import stripe
from aiohttp import web

from bot.core.clock import Clock
from tests.fakes.recording import LoopbackServer, notify
from tests.fakes.stripe.api import Api
from tests.fakes.stripe.checkout import Checkout
from tests.fakes.stripe.checkout_page import CheckoutPage
from tests.fakes.stripe.customers import Customers
from tests.fakes.stripe.refunds import Refunds
from tests.fakes.stripe.state import RecordedCall
from tests.fakes.stripe.wire import JSON

__all__ = ["JSON", "FakeStripe", "RecordedCall", "connect"]


class FakeStripe(CheckoutPage, Checkout, Refunds, Customers, Api):
    """Stripe for one test-mode account, composed of its resources (checkout, subscriptions,
    invoices, refunds, customers, events, the HTTP API). Public coroutines take `timeout`
    arguments (ruff's ASYNC109 is silenced on them) because the payments tests are written
    against that API."""

    def __init__(self, *, clock: Clock | None = None) -> None:
        super().__init__(clock=clock)
        self._server = LoopbackServer()

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

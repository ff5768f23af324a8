"""What every part of the fake Stripe shares: the account's objects in one object, the clock that
stamps them, the recorded calls, and the API request an endpoint runs for."""

from __future__ import annotations

import asyncio
import re
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.core.clock import Clock, FakeClock
from tests.fakes.recording import CallLog, Failures, WebhookSender
from tests.fakes.stripe.params import no_such
from tests.fakes.stripe.wire import JSON

API_PREFIX = "/v1"


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


@dataclass
class Context:
    """The API request an endpoint runs for: events it causes name it."""

    request_id: str | None
    idempotency_key: str | None
    events: list[JSON] = field(default_factory=list)


@dataclass
class Failure:
    """What `fail_next` injected: the error to answer with before the endpoint runs."""

    status: int
    error_type: str | None
    code: str | None
    should_retry: bool | None
    message: str | None


@dataclass
class Saved:
    """An answer kept under its Idempotency-Key, replayed for the same request."""

    fingerprint: tuple[str, str, str]
    status: int
    body: Any
    headers: dict[str, str]
    request_id: str


Handler = Callable[[RecordedCall, re.Match[str], Context], Awaitable[JSON]]
Route = tuple[str, str, Handler]  # method, path regex (after /v1), handler


class StripeState:
    """Stripe for one test-mode account: every store the resources share, kept in one object
    (the resource mixins of FakeStripe read and write it)."""

    API_KEY = "sk_test_fake_knowpay"
    WEBHOOK_SECRET = "whsec_test_fake_knowpay"

    def __init__(self, *, clock: Clock | None) -> None:
        self.clock: Clock = clock or FakeClock()  # stamps `created` and periods, never the wall
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
        self._idempotency: dict[str, Saved] = {}
        self._in_flight: set[str] = set()
        self._failures = Failures[Failure]()
        self._outbox: list[JSON] = []  # caused by API requests, delivered after the response
        self._closing = False
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

    def _routes(self) -> list[Route]:
        """The endpoints under /v1; each resource adds its own."""
        return []

    def now(self) -> int:
        """The fake's clock as a Unix time: what `created` and billing periods are stamped with
        (advance the clock passed in to move it; webhook signatures keep using real time)."""
        return int(self.clock.now().timestamp())

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
            raise no_such(kind, object_id, param)
        return found

    def _lookup(self, object_id: str) -> JSON | None:
        for prefix, store in self._stores.items():
            if object_id.startswith(prefix):
                return store.get(object_id)
        return None

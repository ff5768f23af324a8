"""Events: recorded with a snapshot of their object, POSTed to the webhook one by one and signed
as Stripe signs them (those an API request caused after its response), and listed at /events."""

from __future__ import annotations

import copy
import fnmatch
import json
import re
import time
from collections.abc import Iterable

import aiohttp
import stripe

from tests.fakes.recording import notify, wait_until
from tests.fakes.stripe import wire
from tests.fakes.stripe.listing import LIST_PARAMS, Listing
from tests.fakes.stripe.params import as_bool, check_known, exclusive, invalid
from tests.fakes.stripe.state import Context, RecordedCall, Route
from tests.fakes.stripe.wire import JSON


class Events(Listing):
    """Events, their webhook deliveries and the /events endpoints."""

    def _routes(self) -> list[Route]:
        return [
            *super()._routes(),
            ("GET", r"/events", self._list_events),
            ("GET", r"/events/([^/]+)", self._get_event),
        ]

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
            # Real time, not the fake's clock: stripe.Webhook.construct_event checks the signed
            # timestamp against time.time() (300 s tolerance), whatever time the test is at.
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

    def _event(
        self,
        event_type: str,
        obj: JSON,
        *,
        previous: JSON | None = None,
        ctx: Context | None = None,
    ) -> JSON:
        """Record an event with a snapshot of `obj` as it is now."""
        made = wire.event(
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

    async def _list_events(self, call: RecordedCall, m: re.Match[str], ctx: Context) -> JSON:
        params = dict(call.params)
        check_known(params, LIST_PARAMS | {"type", "types", "delivery_success"})
        exclusive(params, "type", "types")
        pool = self._events_by_id
        if "type" in params:
            pattern = str(params.pop("type"))
            pool = {k: v for k, v in pool.items() if fnmatch.fnmatchcase(v["type"], pattern)}
        if "types" in params:
            wanted = params.pop("types")
            if not isinstance(wanted, list) or len(wanted) > 20:
                raise invalid("types must be an array of at most 20 event types", "types")
            pool = {k: v for k, v in pool.items() if v["type"] in wanted}
        if "delivery_success" in params:
            delivered = as_bool(params.pop("delivery_success"), "delivery_success")
            pool = {k: v for k, v in pool.items() if (v["pending_webhooks"] == 0) == delivered}
        return self._page(pool, params, "/v1/events", ())

    async def _get_event(self, call: RecordedCall, m: re.Match[str], ctx: Context) -> JSON:
        check_known(call.params, {"expand"})
        return self._render(self._path_object(self._events_by_id, m[1], "event", "id"), call.params)

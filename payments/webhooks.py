"""Stripe webhooks: verified, kept once by event id, processed in one transaction.

The same path takes events fetched by the catch-up (Stripe's event list), so an event missed
while the bot was down is processed exactly as if it had been delivered.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import stripe

from bot.core.clock import Clock
from payments.providers.stripe_events import StripeEvents
from payments.service import PaymentService
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

TOLERANCE_SECONDS = 300
MAX_BODY_BYTES = 256 * 1024
CATCH_UP_WINDOW = timedelta(days=3)


class StripeWebhook:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        service: PaymentService,
        events: StripeEvents,
        secret: str,
        clock: Clock,
        on_processed: Callable[[], None] | None = None,
    ) -> None:
        self._uow = uow
        self._service = service
        self._events = events
        self._secret = secret
        self._clock = clock
        self._on_processed = on_processed

    async def receive(self, body: bytes, signature: str | None) -> int:
        """The HTTP status to answer Stripe with. Forged, tampered or stale deliveries are
        refused with 400 and leave no trace; a failure while processing answers 500, so that
        Stripe delivers the event again later."""
        if len(body) > MAX_BODY_BYTES:
            return 413
        try:
            event = stripe.Webhook.construct_event(
                body.decode("utf-8"), signature or "", self._secret, tolerance=TOLERANCE_SECONDS
            )
        except (ValueError, UnicodeDecodeError, stripe.SignatureVerificationError) as error:
            log.warning("Stripe webhook refused: %s", type(error).__name__)
            return 400
        try:
            # Kept as Stripe sent it: the body's JSON, not the client's typed rendering of it.
            await self.ingest(json.loads(body))
        except Exception:
            log.exception("Stripe event %s could not be processed; Stripe will retry", event.id)
            return 500
        return 200

    async def ingest(self, event: Mapping[str, Any]) -> bool:
        """Process an event once; False if it had been processed before."""
        # Reading current state from Stripe (subscription events) happens before the
        # transaction, not inside it; a duplicate is recognised in the transaction.
        translated = await self._events.translate(event)
        async with self._uow() as uow:
            stored = await uow.webhook_events.record(
                "stripe", event["id"], event["type"], dict(event), self._clock.now()
            )
            if stored is None:
                return False  # a concurrent delivery of the same event won the race
            for payment_event in translated:
                await self._service.apply(uow, payment_event)
            stored.processed_at = self._clock.now()
        if translated and self._on_processed is not None:
            self._on_processed()
        return True


class StripeCatchUp:
    """Lists recent events from Stripe and processes the ones no webhook brought."""

    def __init__(self, client: stripe.StripeClient, webhook: StripeWebhook, clock: Clock) -> None:
        self._client = client
        self._webhook = webhook
        self._clock = clock

    async def run(self, window: timedelta = CATCH_UP_WINDOW) -> int:
        since = int((self._clock.now() - window).timestamp())
        found: list[dict[str, Any]] = []
        page = await self._client.v1.events.list_async({"created": {"gte": since}, "limit": 100})
        async for listed in page.auto_paging_iter():
            found.append(json.loads(json.dumps(listed.to_dict(), default=str)))
        processed = 0
        for event in sorted(found, key=lambda e: (e["created"], e["id"])):  # oldest first
            processed += await self._webhook.ingest(event)
        if processed:
            log.info("Stripe catch-up: %d missed events processed", processed)
        return processed

"""What providers tell us, in one vocabulary: a payment event, whichever provider sent it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.core.money import Money


class PaymentEventKind(StrEnum):
    PAID = "paid"  # the checkout was paid (or a trial started: amount 0)
    FAILED = "failed"  # the checkout's payment failed (a delayed method declined)
    EXPIRED = "expired"  # the checkout was abandoned or cancelled
    RENEWED = "renewed"  # a subscription's next period was paid
    RENEWAL_FAILED = "renewal_failed"
    SUBSCRIPTION_CHANGED = "subscription_changed"  # status or cancel-at-period-end changed
    SUBSCRIPTION_ENDED = "subscription_ended"
    REFUNDED = "refunded"  # `amount` is the total refunded so far (providers report it so)
    DISPUTED = "disputed"


@dataclass(frozen=True)
class PaymentEvent:
    provider: str
    kind: PaymentEventKind
    # A name for this very event (the provider's event id), so that replays are recognised.
    event_id: str
    occurred_at: datetime
    # Whichever of our names for the payment the event carries; any one of them finds it.
    payment_id: int | None = None
    checkout_ref: str | None = None
    charge_ref: str | None = None
    subscription_ref: str | None = None
    customer_ref: str | None = None
    amount: Money | None = None
    period_end: datetime | None = None
    subscription_status: str | None = None
    cancel_at_period_end: bool | None = None

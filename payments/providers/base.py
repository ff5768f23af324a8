"""The one interface every provider implements, and what passes through it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, Protocol

from bot.core.money import Money
from payments.purposes import Purpose
from storage.models import Payment

Interval = Literal["month", "year"]
# A period where no provider tells us its length (Stars, the sandbox, a grant by hand).
PERIODS: dict[str, timedelta] = {"month": timedelta(days=30), "year": timedelta(days=365)}


@dataclass(frozen=True)
class CheckoutRequest:
    payment_id: int
    purpose: Purpose
    member_id: int
    amount: Money
    title: str
    # Set for subscriptions: charged again every interval until cancelled.
    interval: Interval | None = None
    trial_days: int = 0


@dataclass(frozen=True)
class StarsInvoice:
    """An invoice to send in Telegram; it is paid there, in Stars."""

    title: str
    description: str
    payload: str
    amount: Money


@dataclass(frozen=True)
class Checkout:
    """Where the member pays: a page to open, or an invoice to show them."""

    reference: str
    url: str | None = None
    invoice: StarsInvoice | None = None


class PaymentProvider(Protocol):
    name: str

    async def create_checkout(self, request: CheckoutRequest) -> Checkout: ...

    async def refund(self, payment: Payment, amount: Money, *, key: str) -> None:
        """Ask the provider to pay `amount` back; `key` makes a retried request a no-op."""
        ...

    async def cancel_subscription(self, payment: Payment) -> None:
        """Stop renewing; the member keeps what they paid for until the period ends."""
        ...

    async def portal_link(self, payment: Payment) -> str | None:
        """A page where the member manages cards and the subscription, if the provider has one."""
        ...

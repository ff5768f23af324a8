"""The sandbox: a local checkout page that produces the same payment events as a real
provider, with no money involved. The default when no STRIPE_API_KEY is set."""

from __future__ import annotations

import secrets
from typing import Protocol

from bot.core.money import Money
from payments.providers.base import Checkout, CheckoutRequest
from storage.models import Payment

SANDBOX_PATH = "/sandbox/checkout/"
REFERENCE_PREFIX = "sandbox_"


class Cancels(Protocol):
    async def cancel(self, payment_id: int, *, at_period_end: bool) -> None: ...


class SandboxProvider:
    name = "sandbox"

    def __init__(self, base_url: str) -> None:
        self._base_url = base_url.rstrip("/")
        # The sandbox's billing, once wired (it needs the payment service this provider is
        # part of).
        self.billing: Cancels | None = None

    async def create_checkout(self, request: CheckoutRequest) -> Checkout:
        token = secrets.token_urlsafe(16)
        return Checkout(reference=f"{REFERENCE_PREFIX}{token}", url=self._page(token))

    async def refund(self, payment: Payment, amount: Money, *, key: str) -> None:
        """Nothing to send back: no money was taken."""

    async def cancel_subscription(self, payment: Payment) -> None:
        if self.billing is not None:
            await self.billing.cancel(payment.id, at_period_end=True)

    async def portal_link(self, payment: Payment) -> str | None:
        """The checkout page goes on as the subscription's page, as Stripe's portal does."""
        if not payment.subscription_ref or not payment.checkout_ref:
            return None
        return self._page(payment.checkout_ref.removeprefix(REFERENCE_PREFIX))

    def _page(self, token: str) -> str:
        return f"{self._base_url}{SANDBOX_PATH}{token}"

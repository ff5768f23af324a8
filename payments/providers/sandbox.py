"""The sandbox: a local checkout page that produces the same payment events as a real
provider, with no money involved. The default when no STRIPE_API_KEY is set."""

from __future__ import annotations

import secrets

from bot.core.money import Money
from payments.providers.base import Checkout, CheckoutRequest
from storage.models import Payment

SANDBOX_PATH = "/sandbox/checkout/"


class SandboxProvider:
    name = "sandbox"

    def __init__(self, base_url: str) -> None:
        self._base_url = base_url.rstrip("/")

    async def create_checkout(self, request: CheckoutRequest) -> Checkout:
        token = secrets.token_urlsafe(16)
        return Checkout(reference=f"sandbox_{token}", url=f"{self._base_url}{SANDBOX_PATH}{token}")

    async def refund(self, payment: Payment, amount: Money, *, key: str) -> None:
        """Nothing to send back: no money was taken."""

    async def cancel_subscription(self, payment: Payment) -> None:
        """Sandbox subscriptions never renew by themselves."""

    async def portal_link(self, payment: Payment) -> str | None:
        return None

"""Stripe: Checkout Sessions, refunds, subscription cancellation and the Billing Portal,
through the async StripeClient, with an idempotency key on every request that creates."""

from __future__ import annotations

import uuid
from typing import Any

import stripe

from bot.core.money import Money
from payments.providers.base import Checkout, CheckoutRequest
from storage.models import Payment


class StripeProvider:
    name = "stripe"

    def __init__(self, client: stripe.StripeClient, *, success_url: str, cancel_url: str) -> None:
        self._client = client
        self._success_url = success_url
        self._cancel_url = cancel_url

    async def create_checkout(self, request: CheckoutRequest) -> Checkout:
        # Every object Stripe makes for this checkout carries our names, so any later event
        # (even one that arrives first) leads back to the payment.
        metadata = {
            "payment_id": str(request.payment_id),
            "purpose": str(request.purpose),
            "member_id": str(request.member_id),
        }
        price: dict[str, Any] = {
            "currency": request.amount.currency,
            "unit_amount": request.amount.minor,
            "product_data": {"name": request.title},
        }
        params: dict[str, Any] = {
            "mode": "subscription" if request.interval else "payment",
            "line_items": [{"price_data": price, "quantity": 1}],
            "client_reference_id": str(request.payment_id),
            "metadata": metadata,
            "allow_promotion_codes": True,
            "success_url": self._success_url,
            "cancel_url": self._cancel_url,
        }
        if request.interval:
            price["recurring"] = {"interval": request.interval}
            params["subscription_data"] = {"metadata": metadata}
            if request.trial_days:
                params["subscription_data"]["trial_period_days"] = request.trial_days
        else:
            params["payment_intent_data"] = {"metadata": metadata}
        session = await self._client.v1.checkout.sessions.create_async(
            params,  # type: ignore[arg-type]
            options={"idempotency_key": f"knowpay-checkout-{request.payment_id}"},
        )
        return Checkout(reference=session.id, url=session.url)

    async def refund(self, payment: Payment, amount: Money, *, key: str) -> None:
        await self._client.v1.refunds.create_async(
            {
                "payment_intent": payment.charge_ref or "",
                "amount": amount.minor,
                "metadata": {"payment_id": str(payment.id)},
            },
            options={"idempotency_key": key},
        )

    async def cancel_subscription(self, payment: Payment) -> None:
        await self._client.v1.subscriptions.update_async(
            payment.subscription_ref or "",
            {"cancel_at_period_end": True},
            options={"idempotency_key": f"knowpay-cancel-{payment.id}"},
        )

    async def portal_link(self, payment: Payment) -> str | None:
        if not payment.customer_ref:
            return None
        session = await self._client.v1.billing_portal.sessions.create_async(
            # Back from the portal, the member lands where a checkout lands.
            {"customer": payment.customer_ref, "return_url": self._success_url},
            # Each visit is a new session; the key only makes the client's own retries safe.
            options={"idempotency_key": f"knowpay-portal-{payment.id}-{uuid.uuid4().hex}"},
        )
        return session.url

"""Stripe events -> payment events. Where an event's own snapshot cannot decide (it may be
older than what we know), the object's current state is read from Stripe instead."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import stripe

from bot.core.money import Money
from payments.events import PaymentEvent, PaymentEventKind

Obj = Mapping[str, Any]
_PAID = ("paid", "no_payment_required")  # the latter: a trial, or a 100% promotion code


class StripeEvents:
    def __init__(self, client: stripe.StripeClient) -> None:
        self._client = client

    async def translate(self, event: Obj) -> list[PaymentEvent]:
        kind: str = event["type"]
        obj: Obj = event["data"]["object"]
        at = _time(event["created"])
        base = {"provider": "stripe", "event_id": event["id"], "occurred_at": at}
        match kind:
            case "checkout.session.completed" | "checkout.session.async_payment_succeeded":
                if obj.get("payment_status") not in _PAID:
                    return []  # a delayed method: wait for async_payment_succeeded
                return [await self._checkout_paid(obj, base)]
            case "checkout.session.async_payment_failed":
                return [PaymentEvent(kind=PaymentEventKind.FAILED, checkout_ref=obj["id"], **base)]
            case "checkout.session.expired":
                return [PaymentEvent(kind=PaymentEventKind.EXPIRED, checkout_ref=obj["id"], **base)]
            case "invoice.paid":
                return [await self._invoice_paid(obj, base)]
            case "invoice.payment_failed":
                subscription = _invoice_subscription(obj)
                return [
                    PaymentEvent(
                        kind=PaymentEventKind.RENEWAL_FAILED,
                        subscription_ref=subscription,
                        subscription_status="past_due",
                        **base,
                    )
                ]
            case "customer.subscription.updated" | "customer.subscription.created":
                return [
                    await self._subscription(obj["id"], PaymentEventKind.SUBSCRIPTION_CHANGED, base)
                ]
            case "customer.subscription.deleted":
                return [
                    await self._subscription(obj["id"], PaymentEventKind.SUBSCRIPTION_ENDED, base)
                ]
            case "charge.refunded":
                return [
                    PaymentEvent(
                        kind=PaymentEventKind.REFUNDED,
                        charge_ref=obj.get("payment_intent"),
                        payment_id=_payment_id(obj.get("metadata")),
                        amount=Money(obj["amount_refunded"], obj["currency"]),
                        **base,
                    )
                ]
            case "charge.dispute.created":
                return [
                    PaymentEvent(
                        kind=PaymentEventKind.DISPUTED,
                        charge_ref=obj.get("payment_intent"),
                        amount=Money(obj["amount"], obj["currency"]),
                        **base,
                    )
                ]
        return []

    async def _checkout_paid(self, session: Obj, base: Mapping[str, Any]) -> PaymentEvent:
        state = await self._current_subscription(session.get("subscription"))
        from_subscription = state.pop("payment_id", None)
        return PaymentEvent(
            kind=PaymentEventKind.PAID,
            payment_id=_payment_id(session.get("metadata"))
            or _int(session.get("client_reference_id"))
            or from_subscription,
            checkout_ref=session["id"],
            charge_ref=session.get("payment_intent"),
            subscription_ref=session.get("subscription"),
            customer_ref=session.get("customer"),
            amount=Money(session.get("amount_total") or 0, session["currency"]),
            **state,
            **base,
        )

    async def _invoice_paid(self, invoice: Obj, base: Mapping[str, Any]) -> PaymentEvent:
        subscription = _invoice_subscription(invoice)
        details = (invoice.get("parent") or {}).get("subscription_details") or {}
        state = await self._current_subscription(subscription)
        from_subscription = state.pop("payment_id", None)
        first = invoice.get("billing_reason") == "subscription_create"
        return PaymentEvent(
            # The first invoice is the checkout's own payment, already (or soon) reported by
            # checkout.session.completed; only later invoices are renewals.
            kind=PaymentEventKind.PAID if first else PaymentEventKind.RENEWED,
            payment_id=_payment_id(details.get("metadata")) or from_subscription,
            subscription_ref=subscription,
            customer_ref=invoice.get("customer"),
            # The first invoice's charge is the checkout's: refunds of it name this intent.
            charge_ref=await self._invoice_payment_intent(invoice["id"]),
            amount=Money(invoice["amount_paid"], invoice["currency"]),
            **state,
            **base,
        )

    async def _subscription(
        self, subscription_id: str, kind: PaymentEventKind, base: Mapping[str, Any]
    ) -> PaymentEvent:
        state = await self._current_subscription(subscription_id)
        return PaymentEvent(kind=kind, subscription_ref=subscription_id, **state, **base)

    async def _current_subscription(self, subscription_id: str | None) -> dict[str, Any]:
        """Status, cancel-at-period-end and period end as Stripe has them now."""
        if not subscription_id:
            return {}
        current = (await self._client.v1.subscriptions.retrieve_async(subscription_id)).to_dict()
        items = current["items"]["data"]
        return {
            "payment_id": _payment_id(current.get("metadata")),
            "subscription_status": current["status"],
            "cancel_at_period_end": bool(current.get("cancel_at_period_end")),
            "period_end": _time(items[0]["current_period_end"]) if items else None,
        }

    async def _invoice_payment_intent(self, invoice_id: str) -> str | None:
        payments = await self._client.v1.invoice_payments.list_async({"invoice": invoice_id})
        for payment in payments.data:
            intent = (payment.to_dict().get("payment") or {}).get("payment_intent")
            if intent:
                return str(intent)
        return None


def _invoice_subscription(invoice: Obj) -> str | None:
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    return details.get("subscription")


def _payment_id(metadata: Obj | None) -> int | None:
    return _int((metadata or {}).get("payment_id"))


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, str) and value.isdigit() else None


def _time(stamp: int) -> datetime:
    return datetime.fromtimestamp(stamp, UTC)

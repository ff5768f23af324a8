"""Invoices: created, finalized and charged for a subscription's items (a payment intent, a charge
and an invoice payment), paid or declined, and their endpoints."""

from __future__ import annotations

import re

from tests.fakes.stripe import billing_payloads, payment_payloads, wire
from tests.fakes.stripe.events import Events
from tests.fakes.stripe.params import check_known
from tests.fakes.stripe.state import Context, RecordedCall, Route
from tests.fakes.stripe.wire import JSON


class Invoices(Events):
    """Billing a subscription, and the invoice endpoints."""

    def _routes(self) -> list[Route]:
        return [
            *super()._routes(),
            ("GET", r"/invoices", self._list_invoices),
            ("GET", r"/invoices/([^/]+)", self._get_invoice),
            ("GET", r"/invoice_payments", self._list_invoice_payments),
            ("GET", r"/invoice_payments/([^/]+)", self._get_invoice_payment),
        ]

    def _bill(
        self,
        sub: JSON,
        cust: JSON,
        billing_reason: str,
        period_start: int,
        period_end: int,
        *,
        paid: bool,
        zero: bool,
    ) -> tuple[JSON, list[JSON]]:
        """Create, finalize and charge an invoice for the subscription's current items."""
        now = self.now()
        invoice_id = wire.new_id("in_")
        lines = [
            billing_payloads.invoice_line(
                item,
                name=self._product_names.get(item["price"]["id"], "Subscription"),
                invoice_id=invoice_id,
                amount=0 if zero else item["price"]["unit_amount"] * item["quantity"],
                start=item["current_period_start"],
                end=item["current_period_end"],
            )
            for item in sub["items"]["data"]
        ]
        number = f"{cust['invoice_prefix']}-{cust['next_invoice_sequence']:04d}"
        cust["next_invoice_sequence"] += 1
        inv = billing_payloads.invoice(
            sub=sub,
            customer_obj=cust,
            created=now,
            billing_reason=billing_reason,
            lines=lines,
            number=number,
            invoice_id=invoice_id,
            period_start=period_start,
            period_end=period_end,
        )
        self.invoices[invoice_id] = inv
        inv.update(status="draft")
        inv["status_transitions"]["finalized_at"] = None
        events = [self._event("invoice.created", inv)]
        inv["status"] = "open"
        inv["status_transitions"]["finalized_at"] = now
        events.append(self._event("invoice.finalized", inv))
        if inv["amount_due"] == 0:
            self._mark_paid(inv, now)
            events += [
                self._event("invoice.paid", inv),
                self._event("invoice.payment_succeeded", inv),
            ]
            return inv, events
        intent = payment_payloads.payment_intent(
            amount=inv["amount_due"],
            currency=inv["currency"],
            created=now,
            customer_id=cust["id"],
            description="Subscription creation"
            if billing_reason == "subscription_create"
            else "Subscription update",
        )
        intent["payment_method"] = sub["default_payment_method"]
        self.payment_intents[intent["id"]] = intent
        payment = billing_payloads.invoice_payment(inv, intent, now)
        self.invoice_payments[payment["id"]] = payment
        events.append(self._event("payment_intent.created", intent))
        ch = payment_payloads.charge(
            intent,
            now,
            status="succeeded" if paid else "failed",
            email=cust["email"],
            payment_method=intent["payment_method"],
        )
        self.charges[ch["id"]] = ch
        intent["latest_charge"] = ch["id"]
        inv.update(attempt_count=inv["attempt_count"] + 1, attempted=True)
        if paid:
            intent.update(status="succeeded", amount_received=intent["amount"])
            payment.update(status="paid", amount_paid=intent["amount"])
            payment["status_transitions"]["paid_at"] = now
            self._mark_paid(inv, now)
            events += [
                self._event("charge.succeeded", ch),
                self._event("payment_intent.succeeded", intent),
                self._event("invoice_payment.paid", payment),
                self._event("invoice.paid", inv),
                self._event("invoice.payment_succeeded", inv),
            ]
        else:
            intent["last_payment_error"] = self._payment_error(ch, "card_declined")
            if billing_reason != "subscription_create":
                inv["next_payment_attempt"] = now + 3 * 86400  # Smart Retries try again
            events += [
                self._event("charge.failed", ch),
                self._event("payment_intent.payment_failed", intent),
                self._event("invoice.payment_failed", inv),
            ]
        return inv, events

    @staticmethod
    def _mark_paid(inv: JSON, now: int) -> None:
        inv.update(
            status="paid",
            amount_paid=inv["amount_due"],
            amount_remaining=0,
            attempted=True,
            next_payment_attempt=None,
        )
        inv["status_transitions"]["paid_at"] = now

    @staticmethod
    def _payment_error(ch: JSON, code: str) -> JSON:
        decline = "generic_decline" if code == "card_declined" else code
        return {
            "charge": ch["id"],
            "code": code,
            "decline_code": decline,
            "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
            "message": ch["failure_message"] or "Your card was declined.",
            "payment_method": {"id": ch["payment_method"], "object": "payment_method"},
            "type": "card_error",
        }

    async def _list_invoices(self, call: RecordedCall, m: re.Match[str], ctx: Context) -> JSON:
        pool = self.invoices
        params = dict(call.params)
        if "subscription" in params:
            wanted = params.pop("subscription")
            pool = {
                k: v
                for k, v in pool.items()
                if v["parent"]["subscription_details"]["subscription"] == wanted
            }
        return self._page(pool, params, "/v1/invoices", ("customer", "status"))

    async def _get_invoice(self, call: RecordedCall, m: re.Match[str], ctx: Context) -> JSON:
        check_known(call.params, {"expand"})
        inv = self._path_object(self.invoices, m[1], "invoice", "invoice")
        return self._render(inv, call.params)

    async def _list_invoice_payments(
        self, call: RecordedCall, m: re.Match[str], ctx: Context
    ) -> JSON:
        return self._page(
            self.invoice_payments, call.params, "/v1/invoice_payments", ("invoice", "status")
        )

    async def _get_invoice_payment(
        self, call: RecordedCall, m: re.Match[str], ctx: Context
    ) -> JSON:
        check_known(call.params, {"expand"})
        found = self._path_object(self.invoice_payments, m[1], "invoice_payment", "id")
        return self._render(found, call.params)

"""The customer on Stripe's Checkout page: paying a one-off payment (a payment intent and its
charge) or a subscription's first invoice, declined cards, and delayed payment methods that
settle days later."""

from __future__ import annotations

from tests.fakes.stripe import checkout_payloads, payment_payloads, wire
from tests.fakes.stripe.subscriptions import Subscriptions
from tests.fakes.stripe.wire import JSON


class CheckoutPage(Subscriptions):
    """What a customer does on the Checkout page."""

    async def complete_checkout(
        self,
        session_id: str,
        *,
        paid: bool = True,
        async_payment: bool = False,
        deliver: bool = True,
    ) -> list[JSON]:
        """The customer pays on the Checkout page.

        mode=payment: a PaymentIntent and its charge; checkout.session.completed with
        payment_status "paid", or "unpaid" with `async_payment` (then `settle_async_payment`).
        mode=subscription: customer, subscription (trialing with subscription_data
        .trial_period_days, else incomplete then active), first invoice paid (0 in a trial),
        checkout.session.completed. With `paid=False` the card is declined: the session stays
        open and no checkout.session.completed is sent (the customer may try again)."""
        session = self._find(self.sessions, session_id, "checkout session")
        if session["status"] != "open":
            raise ValueError(f"checkout session {session_id} is {session['status']}, not open")
        if session["mode"] == "payment":
            events = self._pay_session(session, paid=paid, async_payment=async_payment)
        elif async_payment:
            raise ValueError("async_payment is modelled for mode=payment sessions only")
        else:
            events = self._subscribe_session(session, paid=paid)
        if deliver:
            await self._deliver_all(events)
        return events

    async def settle_async_payment(
        self, session_id: str, *, succeeded: bool, deliver: bool = True
    ) -> list[JSON]:
        """A delayed payment method (bank debit) settles days after checkout completed."""
        session = self._find(self.sessions, session_id, "checkout session")
        if session["status"] != "complete" or session["payment_status"] != "unpaid":
            raise ValueError(f"checkout session {session_id} has no payment awaiting settlement")
        intent = self.payment_intents[session["payment_intent"]]
        ch = self.charges[intent["latest_charge"]]
        events = []
        if succeeded:
            ch.update(status="succeeded", paid=True)
            intent.update(status="succeeded", amount_received=intent["amount"])
            session["payment_status"] = "paid"
            events += [
                self._event("charge.succeeded", ch),
                self._event("payment_intent.succeeded", intent),
                self._event("checkout.session.async_payment_succeeded", session),
            ]
        else:
            ch.update(status="failed", paid=False, failure_code="insufficient_funds")
            ch["failure_message"] = "The account has insufficient funds to cover the payment."
            intent.update(status="requires_payment_method", canceled_at=None)
            intent["last_payment_error"] = self._payment_error(ch, "insufficient_funds")
            events += [
                self._event("charge.failed", ch),
                self._event("payment_intent.payment_failed", intent),
                self._event("checkout.session.async_payment_failed", session),
            ]
        if deliver:
            await self._deliver_all(events)
        return events

    def _pay_session(self, session: JSON, *, paid: bool, async_payment: bool) -> list[JSON]:
        params = self._session_params[session["id"]]
        now, events = self.now(), []
        email = session["customer_email"]
        customer_id = session["customer"]
        if customer_id is not None:
            email = email or self.customers[customer_id]["email"]
        elif session["customer_creation"] == "always":
            made = checkout_payloads.customer(
                now, email=email or "buyer@example.com", name="Test Buyer"
            )
            self.customers[made["id"]] = made
            customer_id = made["id"]
            events.append(self._event("customer.created", made))
        intent_data = params.get("payment_intent_data") or {}
        intent = payment_payloads.payment_intent(
            amount=session["amount_total"],
            currency=session["currency"],
            created=now,
            customer_id=customer_id,
            metadata=intent_data.get("metadata"),
            description=intent_data.get("description"),
        )
        intent["payment_method"] = wire.new_id("pm_")
        self.payment_intents[intent["id"]] = intent
        events.append(self._event("payment_intent.created", intent))
        status = "pending" if async_payment else "succeeded" if paid else "failed"
        ch = payment_payloads.charge(
            intent, now, status=status, email=email, payment_method=intent["payment_method"]
        )
        self.charges[ch["id"]] = ch
        intent["latest_charge"] = ch["id"]
        if async_payment:
            intent["status"] = "processing"
            events += [
                self._event("charge.pending", ch),
                self._event("payment_intent.processing", intent),
            ]
        elif paid:
            intent.update(status="succeeded", amount_received=intent["amount"])
            events += [
                self._event("charge.succeeded", ch),
                self._event("payment_intent.succeeded", intent),
            ]
        else:
            intent["last_payment_error"] = self._payment_error(ch, "card_declined")
            events += [
                self._event("charge.failed", ch),
                self._event("payment_intent.payment_failed", intent),
            ]
            return events  # the Checkout page shows the decline; the session stays open
        session.update(
            status="complete",
            payment_status="unpaid" if async_payment else "paid",
            payment_intent=intent["id"],
            customer=customer_id,
            customer_details=checkout_payloads.customer_details(email),
        )
        events.append(self._event("checkout.session.completed", session))
        return events

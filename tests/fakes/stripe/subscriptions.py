"""Subscriptions: started by a Checkout (incomplete, then active once the first invoice is paid,
or trialing), renewed period by period, changed in the dashboard or through the API, canceled."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from tests.fakes.stripe import billing_payloads, checkout_payloads, wire
from tests.fakes.stripe.invoices import Invoices
from tests.fakes.stripe.params import (
    ApiError,
    as_bool,
    check_known,
    check_metadata,
    invalid,
    names,
    unmodelled,
)
from tests.fakes.stripe.state import Context, RecordedCall, Route
from tests.fakes.stripe.wire import JSON

_SUBSCRIPTION_UPDATE_PARAMS = names(
    "add_invoice_items application_fee_percent automatic_tax billing_cycle_anchor "
    "billing_thresholds cancel_at cancel_at_period_end cancellation_details collection_method "
    "days_until_due default_payment_method default_source default_tax_rates description "
    "discounts expand invoice_settings items metadata off_session on_behalf_of "
    "pause_collection payment_behavior payment_settings pending_invoice_item_interval "
    "proration_behavior proration_date transfer_data trial_end trial_from_plan "
    "trial_settings"
)


class Subscriptions(Invoices):
    """Subscriptions over their life, and their endpoints."""

    def _routes(self) -> list[Route]:
        return [
            *super()._routes(),
            ("GET", r"/subscriptions", self._list_subscriptions),
            ("GET", r"/subscriptions/([^/]+)", self._get_subscription),
            ("POST", r"/subscriptions/([^/]+)", self._update_subscription),
            ("DELETE", r"/subscriptions/([^/]+)", self._cancel_subscription),
        ]

    async def renew(
        self, subscription_id: str, *, paid: bool = True, deliver: bool = True
    ) -> list[JSON]:
        """The next billing period starts: each item's period moves forward by its interval
        (a trial ends), a subscription_cycle invoice is created and charged. Paid: invoice.paid
        (a past_due subscription becomes active). Declined: invoice.payment_failed and the
        subscription turns past_due (its period has moved forward all the same, as on Stripe)."""
        sub = self._find(self.subscriptions, subscription_id, "subscription")
        if sub["status"] not in ("active", "trialing", "past_due"):
            raise ValueError(f"subscription {subscription_id} is {sub['status']}; nothing renews")
        if sub["cancel_at_period_end"]:
            raise ValueError(
                f"subscription {subscription_id} is set to cancel at period end: Stripe ends it "
                "instead of renewing (use end_subscription)"
            )
        old_items = copy.deepcopy(sub["items"])
        period_start = min(i["current_period_start"] for i in sub["items"]["data"])
        period_end = max(i["current_period_end"] for i in sub["items"]["data"])
        for item in sub["items"]["data"]:
            recurring = item["price"]["recurring"]
            start = item["current_period_end"]
            item["current_period_start"] = start
            item["current_period_end"] = wire.add_interval(
                start, recurring["interval"], recurring["interval_count"]
            )
        previous: JSON = {"items": old_items, "latest_invoice": sub["latest_invoice"]}
        if sub["status"] == "trialing":
            previous["status"] = "trialing"
            sub["status"] = "active"
        cust = self.customers[sub["customer"]]
        inv, bill = self._bill(
            sub, cust, "subscription_cycle", period_start, period_end, paid=paid, zero=False
        )
        sub["latest_invoice"] = inv["id"]
        events = [self._event("customer.subscription.updated", sub, previous=previous), *bill]
        if not paid and sub["status"] != "past_due":
            before = sub["status"]
            sub["status"] = "past_due"
            events.append(
                self._event("customer.subscription.updated", sub, previous={"status": before})
            )
        elif paid and sub["status"] == "past_due":
            sub["status"] = "active"
            events.append(
                self._event("customer.subscription.updated", sub, previous={"status": "past_due"})
            )
        if deliver:
            await self._deliver_all(events)
        return events

    async def update_subscription(
        self, subscription_id: str, *, deliver: bool = True, **changes: Any
    ) -> list[JSON]:
        """A change made in the dashboard or the billing portal: customer.subscription.updated
        with previous_attributes. `cancel_at_period_end=True` also sets cancel_at and
        canceled_at, as Stripe does; `metadata` is merged ("" or None removes a key)."""
        sub = self._find(self.subscriptions, subscription_id, "subscription")
        unknown = set(changes) - set(sub)
        if unknown:
            raise ValueError(f"subscriptions have no fields {sorted(unknown)}")
        previous = self._change_subscription(sub, changes)
        events = [self._event("customer.subscription.updated", sub, previous=previous)]
        if deliver:
            await self._deliver_all(events)
        return events

    async def end_subscription(self, subscription_id: str, *, deliver: bool = True) -> list[JSON]:
        """The subscription ends (period over after cancel_at_period_end, retries exhausted, or
        canceled in the dashboard): customer.subscription.deleted with status canceled."""
        sub = self._find(self.subscriptions, subscription_id, "subscription")
        if sub["status"] == "canceled":
            raise ValueError(f"subscription {subscription_id} is already canceled")
        reason = "payment_failed" if sub["status"] in ("past_due", "unpaid") else None
        events = [self._cancel(sub, reason=reason)]
        if deliver:
            await self._deliver_all(events)
        return events

    def _subscribe_session(self, session: JSON, *, paid: bool) -> list[JSON]:
        params = self._session_params[session["id"]]
        data = params.get("subscription_data") or {}
        trial_days = int(data["trial_period_days"]) if data.get("trial_period_days") else None
        if trial_days and not paid:
            raise ValueError("paid=False with a trial: nothing is charged at checkout")
        now, events = self.now(), []
        email = session["customer_email"]
        if session["customer"] is not None:
            cust = self.customers[session["customer"]]
        else:
            cust = checkout_payloads.customer(
                now, email=email or "buyer@example.com", name="Test Buyer"
            )
            self.customers[cust["id"]] = cust
            events.append(self._event("customer.created", cust))
        sub_id = wire.new_id("sub_")
        trial_end = wire.add_interval(now, "day", trial_days) if trial_days else None
        items = []
        for line in self._line_items[session["id"]]:
            recurring = line["price"]["recurring"]
            if recurring is None:
                continue
            end = trial_end or wire.add_interval(
                now, recurring["interval"], recurring["interval_count"]
            )
            items.append(
                billing_payloads.subscription_item(
                    line["price"],
                    line["quantity"],
                    subscription_id=sub_id,
                    created=now,
                    start=now,
                    end=end,
                )
            )
        sub = billing_payloads.subscription(
            subscription_id=sub_id,
            customer_id=cust["id"],
            created=now,
            currency=session["currency"],
            items=items,
            status="trialing" if trial_days else "incomplete",
            metadata=data.get("metadata") or {},
            trial_start=now if trial_days else None,
            trial_end=trial_end,
            payment_method=wire.new_id("pm_"),
            description=data.get("description"),
        )
        self.subscriptions[sub_id] = sub
        inv, bill = self._bill(
            sub, cust, "subscription_create", now, now, paid=paid, zero=bool(trial_days)
        )
        sub["latest_invoice"] = inv["id"]
        events.append(self._event("customer.subscription.created", sub))
        events += bill
        if not paid:
            return events  # declined: the subscription stays incomplete, the session open
        if sub["status"] == "incomplete":
            sub["status"] = "active"
            events.append(
                self._event("customer.subscription.updated", sub, previous={"status": "incomplete"})
            )
        session.update(
            status="complete",
            payment_status="no_payment_required" if inv["amount_due"] == 0 else "paid",
            customer=cust["id"],
            customer_details=checkout_payloads.customer_details(email or cust["email"]),
            subscription=sub_id,
            invoice=inv["id"],
        )
        events.append(self._event("checkout.session.completed", session))
        return events

    def _change_subscription(self, sub: JSON, changes: Mapping[str, Any]) -> JSON:
        previous: JSON = {}
        for key, value in changes.items():
            if key == "metadata":
                merged = {**sub["metadata"], **(value or {})}
                merged = {k: v for k, v in merged.items() if v not in (None, "")}
                if merged != sub["metadata"]:
                    previous["metadata"] = sub["metadata"]
                    sub["metadata"] = merged
                continue
            if sub.get(key) == value:
                continue
            previous[key] = copy.deepcopy(sub.get(key))
            sub[key] = value
            if key == "cancel_at_period_end":
                period_end = max(i["current_period_end"] for i in sub["items"]["data"])
                for derived, new in (
                    ("cancel_at", period_end if value else None),
                    ("canceled_at", self.now() if value else None),
                ):
                    if sub[derived] != new:
                        previous[derived] = sub[derived]
                        sub[derived] = new
                details = sub["cancellation_details"]
                previous["cancellation_details"] = dict(details)
                details["reason"] = "cancellation_requested" if value else None
        return previous

    def _cancel(self, sub: JSON, *, reason: str | None, ctx: Context | None = None) -> JSON:
        now = self.now()
        sub.update(status="canceled", ended_at=now, canceled_at=sub["canceled_at"] or now)
        sub["cancellation_details"]["reason"] = reason or "cancellation_requested"
        return self._event("customer.subscription.deleted", sub, ctx=ctx)

    async def _list_subscriptions(self, call: RecordedCall, m: re.Match[str], ctx: Context) -> JSON:
        status = call.params.get("status")
        pool = {
            k: v
            for k, v in self.subscriptions.items()
            if (v["status"] != "canceled" if status is None else status in ("all", v["status"]))
        }
        params = {k: v for k, v in call.params.items() if k != "status"}
        return self._page(pool, params, "/v1/subscriptions", ("customer",))

    async def _get_subscription(self, call: RecordedCall, m: re.Match[str], ctx: Context) -> JSON:
        check_known(call.params, {"expand"})
        sub = self._path_object(self.subscriptions, m[1], "subscription", "id")
        return self._render(sub, call.params)

    async def _update_subscription(
        self, call: RecordedCall, m: re.Match[str], ctx: Context
    ) -> JSON:
        params = call.params
        check_known(params, _SUBSCRIPTION_UPDATE_PARAMS)
        sub = self._path_object(self.subscriptions, m[1], "subscription", "id")
        modelled = {
            "cancel_at_period_end",
            "metadata",
            "description",
            "expand",
            "proration_behavior",
        }
        for name in params:
            if name not in modelled:
                raise unmodelled(f"`{name}` on subscription updates")
        if sub["status"] == "canceled" and set(params) - {"metadata", "expand"}:
            raise invalid(
                "A canceled subscription can only update its cancellation_details and metadata."
            )
        changes: JSON = {}
        if "cancel_at_period_end" in params:
            changes["cancel_at_period_end"] = as_bool(
                params["cancel_at_period_end"], "cancel_at_period_end"
            )
        if "metadata" in params:
            metadata = params["metadata"]
            if metadata == "":
                metadata = dict.fromkeys(sub["metadata"], "")  # metadata= clears all keys
            check_metadata(metadata, "metadata")
            changes["metadata"] = metadata
        if "description" in params:
            changes["description"] = params["description"] or None
        previous = self._change_subscription(sub, changes)
        if previous:
            self._event("customer.subscription.updated", sub, previous=previous, ctx=ctx)
        return self._render(sub, params)

    async def _cancel_subscription(
        self, call: RecordedCall, m: re.Match[str], ctx: Context
    ) -> JSON:
        check_known(call.params, {"expand", "invoice_now", "prorate", "cancellation_details"})
        sub = self._path_object(self.subscriptions, m[1], "subscription", "id")
        if sub["status"] == "canceled":
            raise ApiError(
                400,
                "invalid_request_error",
                f"No such subscription: '{sub['id']}'; it has been canceled.",
                code="resource_missing",
                param="id",
            )
        self._cancel(sub, reason="cancellation_requested", ctx=ctx)
        return self._render(sub, call.params)

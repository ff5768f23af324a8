"""Refunds, charges and disputes: refunds made through the API or the dashboard (partial, then
whole), disputes a cardholder opens, and the payment intent, charge and dispute endpoints."""

from __future__ import annotations

import re
from collections.abc import Mapping

from tests.fakes.stripe import payment_payloads
from tests.fakes.stripe.events import Events
from tests.fakes.stripe.params import (
    ApiError,
    as_int,
    check_known,
    check_metadata,
    invalid,
    names,
    no_such,
    unmodelled,
)
from tests.fakes.stripe.state import Context, RecordedCall, Route
from tests.fakes.stripe.wire import JSON

_REFUND_PARAMS = names(
    "amount charge currency customer expand instructions_email metadata origin payment_intent "
    "reason refund_application_fee reverse_transfer"
)


class Refunds(Events):
    """Refunds and disputes of charges, and their endpoints."""

    def _routes(self) -> list[Route]:
        return [
            *super()._routes(),
            ("GET", r"/payment_intents/([^/]+)", self._get_payment_intent),
            ("GET", r"/charges/([^/]+)", self._get_charge),
            ("POST", r"/refunds", self._create_refund),
            ("GET", r"/refunds", self._list_refunds),
            ("GET", r"/refunds/([^/]+)", self._get_refund),
            ("GET", r"/disputes/([^/]+)", self._get_dispute),
        ]

    async def refund_externally(
        self, payment_intent_id: str, amount: int | None = None, *, deliver: bool = True
    ) -> list[JSON]:
        """A refund made in the dashboard: refund.created and charge.refunded (amount_refunded
        is cumulative; `refunded` once it all is). `amount` None refunds what remains."""
        intent = self._find(self.payment_intents, payment_intent_id, "payment intent")
        try:
            _, events = self._refund(intent, amount, None, {}, Context(None, None))
        except ApiError as exc:
            raise ValueError(exc.message) from None
        if deliver:
            await self._deliver_all(events)
        return events

    async def open_dispute(
        self, payment_intent_id: str, *, reason: str = "fraudulent", deliver: bool = True
    ) -> list[JSON]:
        """The cardholder disputes the payment with their bank: charge.dispute.created."""
        intent = self._find(self.payment_intents, payment_intent_id, "payment intent")
        ch = self.charges.get(intent["latest_charge"] or "")
        if ch is None or ch["status"] != "succeeded":
            raise ValueError(f"payment intent {payment_intent_id} has no succeeded charge")
        if ch["disputed"]:
            raise ValueError(f"charge {ch['id']} is already disputed")
        opened = payment_payloads.dispute(ch, self.now(), reason=reason)
        self.disputes[opened["id"]] = opened
        ch["disputed"] = True
        events = [self._event("charge.dispute.created", opened)]
        if deliver:
            await self._deliver_all(events)
        return events

    def _refund(
        self,
        intent: JSON,
        amount: int | None,
        reason: str | None,
        metadata: Mapping[str, str],
        ctx: Context,
        *,
        via_charge: JSON | None = None,
    ) -> tuple[JSON, list[JSON]]:
        ch = via_charge or self.charges.get(intent["latest_charge"] or "")
        if ch is None or ch["status"] != "succeeded":
            raise ApiError(
                400,
                "invalid_request_error",
                f"This PaymentIntent ({intent['id']}) does not have a successful charge to refund.",
                code="charge_not_refundable",
            )
        if ch["disputed"]:
            raise ApiError(
                400,
                "invalid_request_error",
                f"Charge {ch['id']} has been charged back; cannot issue a refund.",
                code="charge_disputed",
            )
        remaining = ch["amount"] - ch["amount_refunded"]
        if remaining <= 0:
            raise ApiError(
                400,
                "invalid_request_error",
                f"Charge {ch['id']} has already been refunded.",
                code="charge_already_refunded",
            )
        amount = remaining if amount is None else amount
        if amount > remaining:
            raise ApiError(
                400,
                "invalid_request_error",
                f"Refund amount ({_money(amount, ch['currency'])}) is greater than unrefunded "
                f"amount on charge ({_money(remaining, ch['currency'])})",
                code="amount_too_large",
                param="amount",
            )
        made = payment_payloads.refund(ch, amount, self.now(), reason=reason, metadata=metadata)
        self.refunds[made["id"]] = made
        previous: JSON = {"amount_refunded": ch["amount_refunded"]}
        ch["amount_refunded"] += amount
        if ch["amount_refunded"] >= ch["amount"]:
            previous["refunded"] = False
            ch["refunded"] = True
        events = [
            self._event("refund.created", made, ctx=ctx),
            self._event("charge.refunded", ch, ctx=ctx, previous=previous),
        ]
        return made, events

    async def _create_refund(self, call: RecordedCall, m: re.Match[str], ctx: Context) -> JSON:
        params = call.params
        check_known(params, _REFUND_PARAMS)
        for name in params:
            if name not in ("amount", "charge", "payment_intent", "reason", "metadata", "expand"):
                raise unmodelled(f"`{name}` on refunds")
        if "payment_intent" not in params and "charge" not in params:
            raise invalid(
                "One of the following params should be provided for this request: "
                "payment_intent or charge."
            )
        via_charge = None
        if "charge" in params:
            via_charge = self.charges.get(params["charge"])
            if via_charge is None:
                raise no_such("charge", params["charge"], "charge", status=400)
        if "payment_intent" in params:
            intent = self.payment_intents.get(params["payment_intent"])
            if intent is None:
                raise no_such(
                    "payment_intent", params["payment_intent"], "payment_intent", status=400
                )
            if via_charge is not None and via_charge["payment_intent"] != intent["id"]:
                raise invalid("The charge does not belong to the payment_intent.", "charge")
        else:
            assert via_charge is not None
            intent = self.payment_intents[via_charge["payment_intent"]]
        amount = None
        if "amount" in params:
            amount = as_int(params["amount"], "amount")
            if amount < 1:
                raise invalid("This value must be greater than or equal to 1.", "amount")
        reason = params.get("reason")
        if reason is not None and reason not in (
            "duplicate",
            "fraudulent",
            "requested_by_customer",
        ):
            raise invalid(
                "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer",
                "reason",
            )
        check_metadata(params.get("metadata"), "metadata")
        made, _ = self._refund(
            intent, amount, reason, params.get("metadata") or {}, ctx, via_charge=via_charge
        )
        return self._render(made, params)

    async def _list_refunds(self, call: RecordedCall, m: re.Match[str], ctx: Context) -> JSON:
        return self._page(self.refunds, call.params, "/v1/refunds", ("charge", "payment_intent"))

    async def _get_refund(self, call: RecordedCall, m: re.Match[str], ctx: Context) -> JSON:
        check_known(call.params, {"expand"})
        return self._render(self._path_object(self.refunds, m[1], "refund", "refund"), call.params)

    async def _get_payment_intent(self, call: RecordedCall, m: re.Match[str], ctx: Context) -> JSON:
        check_known(call.params, {"expand", "client_secret"})
        intent = self._path_object(self.payment_intents, m[1], "payment_intent", "intent")
        return self._render(intent, call.params)

    async def _get_charge(self, call: RecordedCall, m: re.Match[str], ctx: Context) -> JSON:
        check_known(call.params, {"expand"})
        return self._render(self._path_object(self.charges, m[1], "charge", "charge"), call.params)

    async def _get_dispute(self, call: RecordedCall, m: re.Match[str], ctx: Context) -> JSON:
        check_known(call.params, {"expand"})
        return self._render(
            self._path_object(self.disputes, m[1], "dispute", "dispute"), call.params
        )


def _money(amount: int, currency: str) -> str:
    symbol = {"usd": "$", "eur": "€", "gbp": "£"}.get(currency, "")
    return f"{symbol}{amount / 100:.2f}" if symbol else f"{amount / 100:.2f} {currency.upper()}"

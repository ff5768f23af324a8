"""Checkout Sessions: created with their parameters checked as Stripe checks them (line items
with dashboard or inline prices, mode-specific data, expiry), read back, listed and expired."""

from __future__ import annotations

import copy
import re
from typing import Any

from tests.fakes.stripe import checkout_payloads, wire
from tests.fakes.stripe.checkout_params import (
    LINE_ITEM_PARAMS,
    PRICE_DATA_PARAMS,
    PRODUCT_DATA_PARAMS,
    RECURRING_PARAMS,
    SESSION_MODELLED,
    SESSION_PARAMS,
    check_mode_data,
)
from tests.fakes.stripe.events import Events
from tests.fakes.stripe.params import (
    ApiError,
    as_bool,
    as_dict,
    as_int,
    check_known,
    check_metadata,
    exclusive,
    invalid,
    is_url,
    missing,
    no_such,
    unmodelled,
)
from tests.fakes.stripe.state import Context, RecordedCall, Route
from tests.fakes.stripe.wire import JSON


class Checkout(Events):
    """The Checkout Session endpoints and dashboard prices."""

    def _routes(self) -> list[Route]:
        return [
            *super()._routes(),
            ("POST", r"/checkout/sessions", self._create_session),
            ("GET", r"/checkout/sessions", self._list_sessions),
            ("GET", r"/checkout/sessions/([^/]+)", self._get_session),
            ("GET", r"/checkout/sessions/([^/]+)/line_items", self._session_line_items),
            ("POST", r"/checkout/sessions/([^/]+)/expire", self._expire_session),
        ]

    def add_price(
        self,
        *,
        unit_amount: int,
        currency: str = "usd",
        interval: str | None = None,
        product_name: str = "KnowPay",
        price_id: str | None = None,
    ) -> JSON:
        """A price made in the dashboard, usable as `line_items[i][price]`."""
        made = self._new_price(
            product_name,
            self.now(),
            unit_amount=unit_amount,
            currency=currency,
            interval=interval,
            active=True,
            price_id=price_id,
        )
        self.prices[made["id"]] = made
        return made

    def _new_price(
        self,
        product_name: str,
        created: int,
        *,
        unit_amount: int,
        currency: str,
        interval: str | None,
        interval_count: int = 1,
        active: bool = False,
        price_id: str | None = None,
    ) -> JSON:
        """A price of a new product called `product_name`, whose name the invoices show."""
        prod = checkout_payloads.product(product_name, created)
        made = checkout_payloads.price(
            unit_amount=unit_amount,
            currency=currency,
            product_id=prod["id"],
            created=created,
            interval=interval,
            interval_count=interval_count,
            active=active,
            price_id=price_id,
        )
        self._product_names[made["id"]] = product_name
        return made

    async def _create_session(self, call: RecordedCall, m: re.Match[str], ctx: Context) -> JSON:
        params = call.params
        mode = self._check_session_params(params)
        check_mode_data(params, mode)
        now = self.now()
        if "expires_at" in params:
            expires = as_int(params["expires_at"], "expires_at")
            if not now + 1800 <= expires <= now + 86400:
                raise invalid(
                    "The `expires_at` timestamp must be between 30 minutes and 24 hours from "
                    "Checkout Session creation.",
                    "expires_at",
                )
        lines = self._session_lines(params, mode, now)
        subtotal = sum(line["amount_subtotal"] for line in lines)
        trial = bool((params.get("subscription_data") or {}).get("trial_period_days"))
        session_id = wire.new_id("cs_test_", 58)
        promotion_codes = params.get("allow_promotion_codes")
        session = checkout_payloads.checkout_session(
            session_id=session_id,
            mode=mode,
            created=now,
            currency=lines[0]["currency"],
            amount_subtotal=0 if trial else subtotal,
            amount_total=0 if trial else subtotal,
            params={
                **params,
                "allow_promotion_codes": None
                if promotion_codes is None
                else as_bool(promotion_codes, "allow_promotion_codes"),
            },
        )
        if "expires_at" in params:
            session["expires_at"] = int(params["expires_at"])
        self.sessions[session_id] = session
        self._line_items[session_id] = lines
        self._session_params[session_id] = copy.deepcopy(params)
        return self._render(session, params)

    def _check_session_params(self, params: JSON) -> str:
        """Validate what does not depend on the mode; return the mode."""
        check_known(params, SESSION_PARAMS)
        for name in params:
            if name not in SESSION_MODELLED:
                raise unmodelled(f"`{name}` on Checkout Sessions")
        mode = params.get("mode")
        if mode is None:
            raise missing("mode")
        if mode not in ("payment", "subscription", "setup"):
            raise invalid(
                f"Invalid mode: must be one of payment, setup, or subscription (got {mode!r})",
                "mode",
            )
        if mode == "setup" or params.get("ui_mode", "hosted") != "hosted":
            raise unmodelled("setup mode and embedded or custom ui_mode")
        if "success_url" not in params:
            raise missing("success_url")
        for name in ("success_url", "cancel_url"):
            if name in params and not is_url(params[name]):
                raise invalid("Not a valid URL", name, "url_invalid")
        exclusive(params, "customer", "customer_email")
        exclusive(params, "allow_promotion_codes", "discounts")
        if "allow_promotion_codes" in params:
            as_bool(params["allow_promotion_codes"], "allow_promotion_codes")
        if "customer" in params and params["customer"] not in self.customers:
            raise no_such("customer", params["customer"], "customer", status=400)
        if len(str(params.get("client_reference_id", ""))) > 200:
            raise invalid(
                "client_reference_id must be at most 200 characters", "client_reference_id"
            )
        check_metadata(params.get("metadata"), "metadata")
        return str(mode)

    def _session_lines(self, params: JSON, mode: str, now: int) -> list[JSON]:
        if "line_items" not in params:
            raise missing("line_items")
        items = params["line_items"]
        if not isinstance(items, list) or not items:
            raise invalid("Invalid array", "line_items")
        lines = [self._session_line(raw, f"line_items[{i}]", now) for i, raw in enumerate(items)]
        if len({line["currency"] for line in lines}) > 1:
            raise invalid("All line items must use the same currency.", "line_items")
        recurring = [line for line in lines if line["price"]["recurring"] is not None]
        if mode == "payment" and recurring:
            raise invalid(
                "You specified `payment` mode but passed a recurring price. Either switch to "
                "`subscription` mode or use only one-time prices.",
                "line_items",
            )
        if mode == "subscription" and not recurring:
            raise invalid(
                "You must provide at least one recurring price in `subscription` mode when "
                "using prices.",
                "line_items",
            )
        return lines

    def _session_line(self, raw: Any, where: str, now: int) -> JSON:
        item = as_dict(raw, where)
        check_known(item, LINE_ITEM_PARAMS, where)
        for name in item:
            if name not in ("price", "price_data", "quantity", "metadata"):
                raise unmodelled(f"{where}[{name}]")
        exclusive(item, "price", "price_data", prefix=where)
        if "quantity" not in item:
            raise missing(f"{where}[quantity]")
        quantity = as_int(item["quantity"], f"{where}[quantity]")
        if quantity < 1:
            raise invalid("This value must be greater than or equal to 1.", f"{where}[quantity]")
        if "price" in item:
            found = self.prices.get(item["price"])
            if found is None:
                raise no_such("price", item["price"], f"{where}[price]", status=400)
            made, name = found, self._product_names.get(found["id"], "Product")
        elif "price_data" in item:
            data = as_dict(item["price_data"], f"{where}[price_data]")
            made, name = self._inline_price(data, f"{where}[price_data]", now)
        else:
            raise missing(f"{where}[price]")
        return checkout_payloads.checkout_line_item(made, quantity, name)

    def _inline_price(self, data: JSON, where: str, now: int) -> tuple[JSON, str]:
        check_known(data, PRICE_DATA_PARAMS, where)
        if "currency" not in data:
            raise missing(f"{where}[currency]")
        currency = str(data["currency"]).lower()
        if not re.fullmatch(r"[a-z]{3}", currency):
            raise invalid(f"Invalid currency: {data['currency']}", f"{where}[currency]")
        exclusive(data, "product", "product_data", prefix=where)
        if "product_data" in data:
            product_data = as_dict(data["product_data"], f"{where}[product_data]")
            check_known(product_data, PRODUCT_DATA_PARAMS, f"{where}[product_data]")
            if not product_data.get("name"):
                raise missing(f"{where}[product_data][name]")
            name = str(product_data["name"])
        elif "product" in data:
            raise no_such("product", str(data["product"]), f"{where}[product]", status=400)
        else:
            raise missing(f"{where}[product_data]")
        exclusive(data, "unit_amount", "unit_amount_decimal", prefix=where)
        if "unit_amount" not in data:
            if "unit_amount_decimal" in data:
                raise unmodelled(f"{where}[unit_amount_decimal]")
            raise missing(f"{where}[unit_amount]")
        unit_amount = as_int(data["unit_amount"], f"{where}[unit_amount]")
        if unit_amount < 0:
            raise invalid("This value must be greater than or equal to 0.", f"{where}[unit_amount]")
        interval, count = None, 1
        if "recurring" in data:
            recurring = as_dict(data["recurring"], f"{where}[recurring]")
            check_known(recurring, RECURRING_PARAMS, f"{where}[recurring]")
            if "interval" not in recurring:
                raise missing(f"{where}[recurring][interval]")
            interval = recurring["interval"]
            if interval not in wire.INTERVALS:
                raise invalid(
                    "Invalid recurring[interval]: must be one of day, month, week, or year",
                    f"{where}[recurring][interval]",
                )
            count = as_int(
                recurring.get("interval_count", 1), f"{where}[recurring][interval_count]"
            )
        made = self._new_price(
            name,
            now,
            unit_amount=unit_amount,
            currency=currency,
            interval=interval,
            interval_count=count,
        )
        return made, name

    async def _list_sessions(self, call: RecordedCall, m: re.Match[str], ctx: Context) -> JSON:
        filters = ("customer", "payment_intent", "subscription", "status")
        return self._page(self.sessions, call.params, "/v1/checkout/sessions", filters)

    async def _get_session(self, call: RecordedCall, m: re.Match[str], ctx: Context) -> JSON:
        check_known(call.params, {"expand"})
        session = self._path_object(self.sessions, m[1], "checkout.session", "session")
        return self._render(session, call.params)

    async def _session_line_items(self, call: RecordedCall, m: re.Match[str], ctx: Context) -> JSON:
        self._path_object(self.sessions, m[1], "checkout.session", "session")
        items = {line["id"]: line for line in self._line_items[m[1]]}
        return self._page(
            items, call.params, f"/v1/checkout/sessions/{m[1]}/line_items", (), oldest_first=True
        )

    async def _expire_session(self, call: RecordedCall, m: re.Match[str], ctx: Context) -> JSON:
        check_known(call.params, {"expand"})
        session = self._path_object(self.sessions, m[1], "checkout.session", "session")
        if session["status"] != "open":
            raise ApiError(
                400,
                "invalid_request_error",
                f'Only Checkout Sessions with a status in ["open"] can be expired. This '
                f'Checkout Session has a status of "{session["status"]}".',
            )
        session["status"] = "expired"
        self._event("checkout.session.expired", session, ctx=ctx)
        return self._render(session, call.params)

"""Customers and the billing portal: reading a customer, and the portal sessions that let one
manage their subscriptions."""

from __future__ import annotations

import re

from tests.fakes.stripe import checkout_payloads
from tests.fakes.stripe.listing import Listing
from tests.fakes.stripe.params import (
    check_known,
    invalid,
    is_url,
    missing,
    names,
    no_such,
    unmodelled,
)
from tests.fakes.stripe.state import Context, RecordedCall, Route
from tests.fakes.stripe.wire import JSON

_PORTAL_PARAMS = names(
    "configuration customer customer_account expand flow_data locale on_behalf_of return_url"
)


class Customers(Listing):
    """The customer and billing portal endpoints."""

    def _routes(self) -> list[Route]:
        return [
            *super()._routes(),
            ("GET", r"/customers/([^/]+)", self._get_customer),
            ("POST", r"/billing_portal/sessions", self._create_portal_session),
        ]

    async def _get_customer(self, call: RecordedCall, m: re.Match[str], ctx: Context) -> JSON:
        check_known(call.params, {"expand"})
        found = self._path_object(self.customers, m[1], "customer", "id")
        return self._render(found, call.params)

    async def _create_portal_session(
        self, call: RecordedCall, m: re.Match[str], ctx: Context
    ) -> JSON:
        params = call.params
        check_known(params, _PORTAL_PARAMS)
        for name in params:
            if name not in ("customer", "return_url", "expand", "locale"):
                raise unmodelled(f"`{name}` on billing portal sessions")
        if "customer" not in params:
            raise missing("customer")
        if params["customer"] not in self.customers:
            raise no_such("customer", params["customer"], "customer", status=400)
        if "return_url" in params and not is_url(params["return_url"]):
            raise invalid("Not a valid URL", "return_url", "url_invalid")
        made = checkout_payloads.billing_portal_session(
            params["customer"], params.get("return_url"), self.now()
        )
        made["locale"] = params.get("locale")
        self.portal_sessions[made["id"]] = made
        return self._render(made, params)

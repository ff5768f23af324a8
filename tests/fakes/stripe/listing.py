"""Reading objects back: Stripe's lists (newest first, limits, cursors, `created` filters) and
`expand[]`, which replaces ids by the objects they name."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from tests.fakes.stripe import wire
from tests.fakes.stripe.params import as_int, as_list, check_known, exclusive, invalid, no_such
from tests.fakes.stripe.state import StripeState
from tests.fakes.stripe.wire import JSON

LIST_PARAMS = frozenset({"limit", "starting_after", "ending_before", "expand", "created"})


class Listing(StripeState):
    """Lists and expansions, for every resource."""

    def _page(
        self,
        store: Mapping[str, JSON],
        params: JSON,
        url: str,
        filters: Iterable[str],
        *,
        oldest_first: bool = False,
    ) -> JSON:
        """A Stripe list: newest first, `limit` (1-100, default 10), `starting_after` /
        `ending_before` cursors, `created` as a timestamp or {gt, gte, lt, lte}."""
        filters = tuple(filters)
        check_known(params, LIST_PARAMS | set(filters))
        pool = list(store.values()) if oldest_first else list(reversed(list(store.values())))
        if not oldest_first:
            pool.sort(key=lambda obj: -int(obj.get("created", 0)))  # stable: newest first
        for name in filters:
            if name in params:
                pool = [obj for obj in pool if obj.get(name) == params[name]]
        if "created" in params:
            pool = [obj for obj in pool if _created_matches(obj["created"], params["created"])]
        limit = as_int(params.get("limit", 10), "limit")
        if not 1 <= limit <= 100:
            raise invalid("This value must be between 1 and 100.", "limit")
        exclusive(params, "starting_after", "ending_before")
        ids = [obj["id"] for obj in pool]
        if "starting_after" in params:
            cursor = params["starting_after"]
            if cursor not in ids:
                raise no_such(
                    url.rsplit("/", 1)[-1].rstrip("s"), cursor, "starting_after", status=400
                )
            window = pool[ids.index(cursor) + 1 :]
            page, has_more = window[:limit], len(window) > limit
        elif "ending_before" in params:
            cursor = params["ending_before"]
            if cursor not in ids:
                raise no_such(
                    url.rsplit("/", 1)[-1].rstrip("s"), cursor, "ending_before", status=400
                )
            window = pool[: ids.index(cursor)]
            page, has_more = window[-limit:], len(window) > limit
        else:
            page, has_more = pool[:limit], len(pool) > limit
        expand = [
            path.removeprefix("data.")
            for path in as_list(params.get("expand", []), "expand")
            if path.startswith("data.")
        ]
        data = [self._render(obj, {"expand": expand}) for obj in page]
        return wire.list_object(data, url, has_more=has_more)

    def _render(self, obj: JSON, params: JSON) -> JSON:
        """A copy of `obj` for a response, with `expand[]` applied (ids replaced by objects;
        includable fields such as a session's line_items or an invoice's payments added)."""
        rendered = copy.deepcopy(obj)
        for path in as_list(params.get("expand", []), "expand"):
            self._expand(rendered, str(path).split("."), str(path))
        return rendered

    def _expand(self, node: Any, parts: list[str], full: str) -> None:
        if not isinstance(node, dict):
            raise invalid(f"This property cannot be expanded ({full}).", "expand")
        key, rest = parts[0], parts[1:]
        if key == "data" and node.get("object") == "list":
            for item in node["data"]:
                if rest:
                    self._expand(item, rest, full)
            return
        kind = node.get("object")
        if kind == "checkout.session" and key == "line_items":
            lines = self._line_items.get(node["id"], [])
            url = f"/v1/checkout/sessions/{node['id']}/line_items"
            node[key] = wire.list_object(copy.deepcopy(lines), url)
        elif kind == "invoice" and key == "payments":
            payments = [v for v in self.invoice_payments.values() if v["invoice"] == node["id"]]
            url = f"/v1/invoice_payments?invoice={node['id']}"
            node[key] = wire.list_object(copy.deepcopy(payments), url)
        elif key not in node:
            raise invalid(f"This property cannot be expanded ({full}).", "expand")
        value = node[key]
        if isinstance(value, str):
            found = self._lookup(value)
            if found is None:
                raise invalid(f"This property cannot be expanded ({full}).", "expand")
            node[key] = value = copy.deepcopy(found)
        if rest and value is not None:
            self._expand(value, rest, full)


def _created_matches(created: int, condition: Any) -> bool:
    if not isinstance(condition, dict):
        return created == as_int(condition, "created")
    check_known(condition, ("gt", "gte", "lt", "lte"), "created")
    bounds = {op: as_int(v, f"created[{op}]") for op, v in condition.items()}
    return (
        ("gt" not in bounds or created > bounds["gt"])
        and ("gte" not in bounds or created >= bounds["gte"])
        and ("lt" not in bounds or created < bounds["lt"])
        and ("lte" not in bounds or created <= bounds["lte"])
    )

"""What every part of the fake Stripe speaks: the JSON alias, the API version, ids, form-encoded
parameters decoded into nested objects, error bodies, billing intervals, list objects and the
event envelope.

The *_payloads modules beside it build the documented shapes of API objects at API version
2026-10-28.endive, the version stripe-python 16.1 pins (`stripe._api_version._ApiVersion`).
Field lists follow Stripe's API reference and the field declarations in stripe-python 16.1
(`stripe/_subscription.py`, `_invoice.py`, `checkout/_session.py`, ...). The shapes that changed
with the basil/clover/endive versions, and that code written against older examples gets wrong:
- a Subscription has no top-level `current_period_start`/`current_period_end`: each subscription
  item (`items.data[i]`) carries its own;
- an Invoice has no `subscription`, `payment_intent`, `charge` or `paid`: the subscription is at
  `parent.subscription_details.subscription` (with a snapshot of its metadata), payments are
  InvoicePayment objects (`GET /v1/invoice_payments?invoice=...`, or `expand[]=payments`) whose
  `payment.payment_intent` names the PaymentIntent, and "paid" is `status == "paid"`;
- PaymentIntent and Charge have no `invoice` field.

Also here: decoding Stripe's form encoding (`a[b][0][c]=v`) into nested dicts and lists, the
error envelope, and calendar arithmetic for billing intervals.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import secrets
import string
from collections.abc import Iterable, Sequence
from typing import Any

JSON = dict[str, Any]
API_VERSION = "2026-10-28.endive"
INTERVALS = ("day", "week", "month", "year")
_ALPHABET = string.ascii_letters + string.digits
_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def new_id(prefix: str, length: int = 24) -> str:
    """An id shaped like Stripe's: `pi_3Qx...`; checkout sessions are `cs_test_...`."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def decode_form(pairs: Iterable[tuple[str, str]]) -> JSON:
    """`line_items[0][price_data][recurring][interval]=month` -> nested dicts and lists.

    stripe-python indexes every list element (`types[0]=...`); `types[]=...` appends. Leaves
    stay strings, as Stripe receives them. A dict whose keys are exactly 0..n-1 becomes a list,
    except under `metadata`, where keys are the caller's own."""
    root: JSON = {}
    for raw_key, value in pairs:
        match = _KEY.match(raw_key)
        if match is None:
            root[raw_key] = value
            continue
        parts = [match[1], *re.findall(r"\[([^\[\]]*)\]", match[2])]
        node: Any = root
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            key = part if part else str(_next_index(node))
            if last:
                node[key] = value
            else:
                node = node.setdefault(key, {})
    decoded: JSON = _listify(root, inside_metadata=False)
    return decoded


def _next_index(node: JSON) -> int:
    numbers = [int(k) for k in node if k.isdigit()]
    return max(numbers, default=-1) + 1


def _listify(node: Any, *, inside_metadata: bool) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {
        k: _listify(v, inside_metadata=k == "metadata" and not inside_metadata)
        for k, v in node.items()
    }
    keys = list(converted)
    if (
        not inside_metadata
        and keys
        and all(k.isdigit() for k in keys)
        and sorted(int(k) for k in keys) == list(range(len(keys)))
    ):
        return [converted[str(i)] for i in range(len(keys))]
    return converted


def error(
    error_type: str,
    message: str,
    *,
    code: str | None = None,
    param: str | None = None,
    **extra: Any,
) -> JSON:
    """Stripe's error envelope: {"error": {"type", "message", "code"?, "param"?, ...}}."""
    body: JSON = {"type": error_type, "message": message}
    if code is not None:
        body["code"] = code
        body["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
    if param is not None:
        body["param"] = param
    body.update(extra)
    return {"error": body}


def add_interval(timestamp: int, interval: str, count: int = 1) -> int:
    """The end of a billing period: calendar months and years (Jan 31 + 1 month = Feb 28/29)."""
    if interval == "day":
        return timestamp + 86400 * count
    if interval == "week":
        return timestamp + 7 * 86400 * count
    start = dt.datetime.fromtimestamp(timestamp, dt.UTC)
    months = count * (12 if interval == "year" else 1)
    if interval not in ("month", "year"):
        raise ValueError(f"unknown interval {interval!r}")
    month0 = start.month - 1 + months
    year, month = start.year + month0 // 12, month0 % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return int(start.replace(year=year, month=month, day=day).timestamp())


def list_object(data: Sequence[JSON], url: str, *, has_more: bool = False) -> JSON:
    return {"object": "list", "data": list(data), "has_more": has_more, "url": url}


def event(
    event_type: str,
    obj: JSON,
    created: int,
    *,
    previous_attributes: JSON | None = None,
    request_id: str | None = None,
    idempotency_key: str | None = None,
    pending_webhooks: int = 0,
) -> JSON:
    data: JSON = {"object": obj}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    return {
        "id": new_id("evt_"),
        "object": "event",
        "api_version": API_VERSION,
        "created": created,
        "data": data,
        "livemode": False,
        "pending_webhooks": pending_webhooks,
        "request": {"id": request_id, "idempotency_key": idempotency_key},
        "type": event_type,
    }


def buyer_address() -> JSON:
    """The address the test buyer gives at checkout (what Stripe collects by default)."""
    return {
        "city": None,
        "country": "US",
        "line1": None,
        "line2": None,
        "postal_code": "94103",
        "state": None,
    }

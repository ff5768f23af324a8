"""Payload builders for the fake Stripe: the documented shapes of API objects at API version
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
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

JSON = dict[str, Any]

API_VERSION = "2026-10-28.endive"
INTERVALS = ("day", "week", "month", "year")
_ALPHABET = string.ascii_letters + string.digits
_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def new_id(prefix: str, length: int = 24) -> str:
    """An id shaped like Stripe's: `pi_3Qx...`; checkout sessions are `cs_test_...`."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


# ---- request decoding ----------------------------------------------------------------------


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


# ---- errors --------------------------------------------------------------------------------


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


# ---- time ----------------------------------------------------------------------------------


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


# ---- objects -------------------------------------------------------------------------------


def list_object(data: Sequence[JSON], url: str, *, has_more: bool = False) -> JSON:
    return {"object": "list", "data": list(data), "has_more": has_more, "url": url}


def product(name: str, created: int, *, metadata: Mapping[str, str] | None = None) -> JSON:
    return {
        "id": new_id("prod_", 14),
        "object": "product",
        "active": True,
        "created": created,
        "description": None,
        "images": [],
        "livemode": False,
        "metadata": dict(metadata or {}),
        "name": name,
        "tax_code": None,
        "type": "service",
        "updated": created,
        "url": None,
    }


def price(
    *,
    unit_amount: int,
    currency: str,
    product_id: str,
    created: int,
    interval: str | None = None,
    interval_count: int = 1,
    active: bool = False,  # prices made from price_data are inactive, as on Stripe
    price_id: str | None = None,
) -> JSON:
    recurring = (
        None
        if interval is None
        else {
            "interval": interval,
            "interval_count": interval_count,
            "meter": None,
            "trial_period_days": None,
            "usage_type": "licensed",
        }
    )
    return {
        "id": price_id or new_id("price_"),
        "object": "price",
        "active": active,
        "billing_scheme": "per_unit",
        "created": created,
        "currency": currency,
        "custom_unit_amount": None,
        "livemode": False,
        "lookup_key": None,
        "metadata": {},
        "nickname": None,
        "product": product_id,
        "recurring": recurring,
        "tax_behavior": "unspecified",
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "one_time" if interval is None else "recurring",
        "unit_amount": unit_amount,
        "unit_amount_decimal": str(unit_amount),
    }


def plan(of_price: JSON) -> JSON:
    """The legacy Plan view of a recurring price, still on subscription items."""
    recurring = of_price["recurring"]
    return {
        "id": of_price["id"],
        "object": "plan",
        "active": of_price["active"],
        "amount": of_price["unit_amount"],
        "amount_decimal": of_price["unit_amount_decimal"],
        "billing_scheme": "per_unit",
        "created": of_price["created"],
        "currency": of_price["currency"],
        "interval": recurring["interval"],
        "interval_count": recurring["interval_count"],
        "livemode": False,
        "metadata": {},
        "meter": None,
        "nickname": None,
        "product": of_price["product"],
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": None,
        "usage_type": "licensed",
    }


def checkout_line_item(of_price: JSON, quantity: int, description: str) -> JSON:
    amount = of_price["unit_amount"] * quantity
    return {
        "id": new_id("li_"),
        "object": "item",
        "amount_discount": 0,
        "amount_subtotal": amount,
        "amount_tax": 0,
        "amount_total": amount,
        "currency": of_price["currency"],
        "description": description,
        "metadata": {},
        "price": of_price,
        "quantity": quantity,
    }


def checkout_session(
    *,
    session_id: str,
    mode: str,
    created: int,
    currency: str,
    amount_subtotal: int,
    amount_total: int,
    params: JSON,
) -> JSON:
    subscription_mode = mode == "subscription"
    return {
        "id": session_id,
        "object": "checkout.session",
        "adaptive_pricing": {"enabled": False},
        "after_expiration": None,
        "allow_promotion_codes": params.get("allow_promotion_codes"),
        "amount_subtotal": amount_subtotal,
        "amount_total": amount_total,
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "billing_address_collection": params.get("billing_address_collection"),
        "cancel_url": params.get("cancel_url"),
        "client_reference_id": params.get("client_reference_id"),
        "client_secret": None,
        "collected_information": None,
        "consent": None,
        "consent_collection": None,
        "created": created,
        "currency": currency,
        "currency_conversion": None,
        "custom_fields": [],
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "customer": params.get("customer"),
        "customer_creation": None
        if params.get("customer")
        else params.get("customer_creation", "always" if subscription_mode else "if_required"),
        "customer_details": None,
        "customer_email": params.get("customer_email"),
        "discounts": [],
        "expires_at": created + 24 * 3600,
        "invoice": None,
        "invoice_creation": None
        if subscription_mode
        else {
            "enabled": False,
            "invoice_data": {
                "account_tax_ids": None,
                "custom_fields": None,
                "description": None,
                "footer": None,
                "issuer": None,
                "metadata": {},
                "rendering_options": None,
            },
        },
        "livemode": False,
        "locale": params.get("locale"),
        "metadata": dict(params.get("metadata") or {}),
        "mode": mode,
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": "always" if subscription_mode else None,
        "payment_method_configuration_details": None,
        "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
        "payment_method_types": list(params.get("payment_method_types") or ["card"]),
        "payment_status": "unpaid",
        "permissions": None,
        "phone_number_collection": {"enabled": False},
        "presentment_details": None,
        "recovered_from": None,
        "saved_payment_method_options": None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": params.get("submit_type"),
        "subscription": None,
        "success_url": params.get("success_url"),
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": params.get("ui_mode", "hosted"),
        "url": f"https://checkout.stripe.test/c/pay/{session_id}",
        "wallet_options": None,
    }


def customer_details(email: str | None) -> JSON:
    return {
        "address": {
            "city": None,
            "country": "US",
            "line1": None,
            "line2": None,
            "postal_code": "94103",
            "state": None,
        },
        "business_name": None,
        "email": email or "buyer@example.com",
        "individual_name": None,
        "name": "Test Buyer",
        "phone": None,
        "tax_exempt": "none",
        "tax_ids": [],
    }


def customer(created: int, *, email: str | None, name: str | None = None) -> JSON:
    prefix = "".join(secrets.choice(string.ascii_uppercase) for _ in range(8))
    return {
        "id": new_id("cus_", 14),
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": created,
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "discount": None,
        "email": email,
        "invoice_prefix": prefix,
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": {},
        "name": name,
        "next_invoice_sequence": 1,
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def payment_intent(
    *,
    amount: int,
    currency: str,
    created: int,
    customer_id: str | None,
    metadata: Mapping[str, str] | None = None,
    description: str | None = None,
) -> JSON:
    intent_id = new_id("pi_")
    return {
        "id": intent_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic_async",
        "client_secret": f"{intent_id}_secret_{new_id('', 25)}",
        "confirmation_method": "automatic",
        "created": created,
        "currency": currency,
        "customer": customer_id,
        "description": description,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": dict(metadata or {}),
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
        "payment_method_types": ["card"],
        "processing": None,
        "receipt_email": None,
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "source": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "requires_payment_method",
        "transfer_data": None,
        "transfer_group": None,
    }


def charge(
    intent: JSON, created: int, *, status: str, email: str | None, payment_method: str
) -> JSON:
    """A card charge for `intent`; metadata is copied from the PaymentIntent, as Stripe does."""
    charge_id = new_id("ch_")
    failed = status == "failed"
    return {
        "id": charge_id,
        "object": "charge",
        "amount": intent["amount"],
        "amount_captured": 0 if failed else intent["amount"],
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": None if failed else new_id("txn_"),
        "billing_details": {
            "address": {
                "city": None,
                "country": "US",
                "line1": None,
                "line2": None,
                "postal_code": "94103",
                "state": None,
            },
            "email": email,
            "name": "Test Buyer",
            "phone": None,
            "tax_id": None,
        },
        "calculated_statement_descriptor": "KNOWPAY",
        "captured": not failed,
        "created": created,
        "currency": intent["currency"],
        "customer": intent["customer"],
        "description": intent["description"],
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": "card_declined" if failed else None,
        "failure_message": "Your card was declined." if failed else None,
        "fraud_details": {},
        "livemode": False,
        "metadata": dict(intent["metadata"]),
        "on_behalf_of": None,
        "outcome": {
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "declined_by_network" if failed else "approved_by_network",
            "reason": "generic_decline" if failed else None,
            "risk_level": "normal",
            "risk_score": 32,
            "seller_message": "The bank did not return any further details with this decline."
            if failed
            else "Payment complete.",
            "type": "issuer_declined" if failed else "authorized",
        },
        "paid": status == "succeeded",
        "payment_intent": intent["id"],
        "payment_method": payment_method,
        "payment_method_details": {
            "card": {
                "brand": "visa",
                "country": "US",
                "exp_month": 12,
                "exp_year": 2034,
                "funding": "credit",
                "last4": "0002" if failed else "4242",
                "network": "visa",
            },
            "type": "card",
        },
        "receipt_email": None,
        "receipt_number": None,
        "receipt_url": f"https://pay.stripe.test/receipts/payment/{charge_id}",
        "refunded": False,
        "review": None,
        "shipping": None,
        "source": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": status,
        "transfer_data": None,
        "transfer_group": None,
    }


def subscription_item(
    of_price: JSON, quantity: int, *, subscription_id: str, created: int, start: int, end: int
) -> JSON:
    return {
        "id": new_id("si_", 14),
        "object": "subscription_item",
        "billing_thresholds": None,
        "created": created,
        "current_period_end": end,
        "current_period_start": start,
        "discounts": [],
        "metadata": {},
        "plan": plan(of_price),
        "price": of_price,
        "quantity": quantity,
        "subscription": subscription_id,
        "tax_rates": [],
    }


def subscription(
    *,
    subscription_id: str,
    customer_id: str,
    created: int,
    currency: str,
    items: list[JSON],
    status: str,
    metadata: Mapping[str, str],
    trial_start: int | None,
    trial_end: int | None,
    payment_method: str,
    description: str | None = None,
) -> JSON:
    return {
        "id": subscription_id,
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": items[0]["current_period_end"] if trial_end else created,
        "billing_cycle_anchor_config": None,
        "billing_mode": {"flexible": None, "type": "classic"},
        "billing_thresholds": None,
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
        "collection_method": "charge_automatically",
        "created": created,
        "currency": currency,
        "customer": customer_id,
        "days_until_due": None,
        "default_payment_method": payment_method,
        "default_source": None,
        "default_tax_rates": [],
        "description": description,
        "discounts": [],
        "ended_at": None,
        "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
        "items": {
            "object": "list",
            "data": items,
            "has_more": False,
            "total_count": len(items),
            "url": f"/v1/subscription_items?subscription={subscription_id}",
        },
        "latest_invoice": None,
        "livemode": False,
        "metadata": dict(metadata),
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": {
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": "off",
        },
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "schedule": None,
        "start_date": created,
        "status": status,
        "test_clock": None,
        "transfer_data": None,
        "trial_end": trial_end,
        "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        "trial_start": trial_start,
    }


def invoice_line(
    item: JSON, *, name: str, invoice_id: str, amount: int, start: int, end: int
) -> JSON:
    of_price = item["price"]
    return {
        "id": new_id("il_"),
        "object": "line_item",
        "amount": amount,
        "currency": of_price["currency"],
        "description": f"{item['quantity']} × {name}",
        "discount_amounts": [],
        "discountable": True,
        "discounts": [],
        "invoice": invoice_id,
        "livemode": False,
        "metadata": {},
        "parent": {
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": None,
                "proration": False,
                "proration_details": {"credited_items": None},
                "subscription": item["subscription"],
                "subscription_item": item["id"],
            },
            "type": "subscription_item_details",
        },
        "period": {"end": end, "start": start},
        "pretax_credit_amounts": [],
        "pricing": {
            "price_details": {"price": of_price["id"], "product": of_price["product"]},
            "type": "price_details",
            "unit_amount_decimal": of_price["unit_amount_decimal"],
        },
        "quantity": item["quantity"],
        "taxes": [],
    }


def invoice(
    *,
    sub: JSON,
    customer_obj: JSON,
    created: int,
    billing_reason: str,
    lines: list[JSON],
    number: str,
    invoice_id: str,
    period_start: int,
    period_end: int,
) -> JSON:
    total = sum(line["amount"] for line in lines)
    return {
        "id": invoice_id,
        "object": "invoice",
        "account_country": "US",
        "account_name": "KnowPay (test)",
        "account_tax_ids": None,
        "amount_due": total,
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_remaining": total,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": True,
        "automatic_tax": {
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        "automatically_finalizes_at": None,
        "billing_reason": billing_reason,
        "collection_method": "charge_automatically",
        "confirmation_secret": None,
        "created": created,
        "currency": sub["currency"],
        "custom_fields": None,
        "customer": customer_obj["id"],
        "customer_address": None,
        "customer_email": customer_obj["email"],
        "customer_name": customer_obj["name"],
        "customer_phone": None,
        "customer_shipping": None,
        "customer_tax_exempt": "none",
        "customer_tax_ids": [],
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "due_date": None,
        "effective_at": created,
        "ending_balance": 0,
        "footer": None,
        "from_invoice": None,
        "hosted_invoice_url": f"https://invoice.stripe.test/i/{invoice_id}",
        "invoice_pdf": f"https://pay.stripe.test/invoice/{invoice_id}/pdf",
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": {
            "object": "list",
            "data": lines,
            "has_more": False,
            "total_count": len(lines),
            "url": f"/v1/invoices/{invoice_id}/lines",
        },
        "livemode": False,
        "metadata": {},
        "next_payment_attempt": None,
        "number": number,
        "on_behalf_of": None,
        "parent": {
            "quote_details": None,
            "subscription_details": {
                "metadata": dict(sub["metadata"]),
                "subscription": sub["id"],
                "subscription_proration_date": None,
            },
            "type": "subscription_details",
        },
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        "period_end": period_end,
        "period_start": period_start,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": 0,
        "statement_descriptor": None,
        "status": "open",
        "status_transitions": {
            "finalized_at": created,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "subtotal": total,
        "subtotal_excluding_tax": total,
        "test_clock": None,
        "total": total,
        "total_discount_amounts": [],
        "total_excluding_tax": total,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": created,
    }


def invoice_payment(inv: JSON, intent: JSON, created: int) -> JSON:
    return {
        "id": new_id("inpay_"),
        "object": "invoice_payment",
        "amount_paid": None,
        "amount_requested": inv["amount_due"],
        "created": created,
        "currency": inv["currency"],
        "invoice": inv["id"],
        "is_default": True,
        "livemode": False,
        "payment": {"payment_intent": intent["id"], "type": "payment_intent"},
        "status": "open",
        "status_transitions": {"canceled_at": None, "paid_at": None},
    }


def refund(
    ch: JSON, amount: int, created: int, *, reason: str | None, metadata: Mapping[str, str]
) -> JSON:
    return {
        "id": new_id("re_"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": new_id("txn_"),
        "charge": ch["id"],
        "created": created,
        "currency": ch["currency"],
        "description": None,
        "destination_details": {
            "card": {
                "reference": None,
                "reference_status": "pending",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
            "type": "card",
        },
        "metadata": dict(metadata),
        "payment_intent": ch["payment_intent"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }


def dispute(ch: JSON, created: int, *, reason: str = "fraudulent") -> JSON:
    return {
        "id": new_id("dp_"),
        "object": "dispute",
        "amount": ch["amount"],
        "balance_transactions": [],
        "charge": ch["id"],
        "created": created,
        "currency": ch["currency"],
        "enhanced_eligibility_types": [],
        "evidence": {
            "customer_email_address": None,
            "customer_name": None,
            "product_description": None,
            "uncategorized_text": None,
        },
        "evidence_details": {
            "due_by": created + 7 * 86400,
            "enhanced_eligibility": {},
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "network_reason_code": "10.4",
        "payment_intent": ch["payment_intent"],
        "payment_method_details": {
            "card": {"brand": "visa", "case_type": "chargeback", "network_reason_code": "10.4"},
            "type": "card",
        },
        "reason": reason,
        "status": "needs_response",
    }


def billing_portal_session(customer_id: str, return_url: str | None, created: int) -> JSON:
    session_id = new_id("bps_")
    return {
        "id": session_id,
        "object": "billing_portal.session",
        "configuration": new_id("bpc_"),
        "created": created,
        "customer": customer_id,
        "flow": None,
        "livemode": False,
        "locale": None,
        "on_behalf_of": None,
        "return_url": return_url,
        "url": f"https://billing.stripe.test/p/session/{session_id}",
    }


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

"""Checkout as Stripe shapes it: products and prices, Checkout Sessions and their line items,
customers and billing portal sessions."""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping

from tests.fakes.stripe.wire import JSON, buyer_address, new_id


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
        "address": buyer_address(),
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

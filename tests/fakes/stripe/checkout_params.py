"""The parameters of a Checkout Session as Stripe documents them (so that a misspelt one is a 400,
as on Stripe), those the fake models, and the checks that depend on the session's mode."""

from __future__ import annotations

from tests.fakes.stripe.params import (
    as_dict,
    as_int,
    check_known,
    check_metadata,
    invalid,
    names,
    unmodelled,
)
from tests.fakes.stripe.wire import JSON

# Parameters Stripe documents, so that a misspelt one is a 400 as on Stripe.
SESSION_PARAMS = names(
    "adaptive_pricing after_expiration allow_promotion_codes automatic_tax "
    "billing_address_collection branding_settings cancel_url client_reference_id "
    "consent_collection currency custom_fields custom_text customer customer_account "
    "customer_creation customer_email customer_update discounts excluded_payment_method_types "
    "expand expires_at invoice_creation line_items locale metadata mode name_collection "
    "optional_items origin_context payment_intent_data payment_method_collection "
    "payment_method_configuration payment_method_data payment_method_options "
    "payment_method_types permissions phone_number_collection redirect_on_completion return_url "
    "saved_payment_method_options setup_intent_data shipping_address_collection "
    "shipping_options submit_type subscription_data success_url tax_id_collection ui_mode "
    "wallet_options"
)
SESSION_MODELLED = names(
    "allow_promotion_codes billing_address_collection cancel_url client_reference_id customer "
    "customer_creation customer_email expand expires_at line_items locale metadata mode "
    "payment_intent_data payment_method_types submit_type subscription_data success_url "
    "ui_mode"
)
LINE_ITEM_PARAMS = names(
    "adjustable_quantity dynamic_tax_rates metadata price price_data quantity tax_rates"
)
PRICE_DATA_PARAMS = names(
    "currency product product_data recurring tax_behavior unit_amount unit_amount_decimal"
)
PRODUCT_DATA_PARAMS = names("description images metadata name tax_code unit_label")
RECURRING_PARAMS = frozenset({"interval", "interval_count"})
SUBSCRIPTION_DATA_PARAMS = names(
    "application_fee_percent billing_cycle_anchor billing_mode default_tax_rates description "
    "invoice_settings metadata on_behalf_of proration_behavior transfer_data trial_end "
    "trial_period_days trial_settings"
)
PAYMENT_INTENT_DATA_PARAMS = names(
    "application_fee_amount capture_method description metadata on_behalf_of receipt_email "
    "setup_future_usage shipping statement_descriptor statement_descriptor_suffix "
    "transfer_data transfer_group"
)


def check_mode_data(params: JSON, mode: str) -> None:
    """customer_creation, payment_intent_data (payment mode), subscription_data (subscription)."""
    if "customer_creation" in params:
        if params["customer_creation"] not in ("always", "if_required"):
            raise invalid("Invalid customer_creation", "customer_creation")
        if mode != "payment":
            raise invalid(
                "`customer_creation` can only be used in `payment` mode.", "customer_creation"
            )
    if "payment_intent_data" in params:
        if mode != "payment":
            raise invalid(
                f"You can not pass `payment_intent_data` in `{mode}` mode.", "payment_intent_data"
            )
        intent_data = as_dict(params["payment_intent_data"], "payment_intent_data")
        check_known(intent_data, PAYMENT_INTENT_DATA_PARAMS, "payment_intent_data")
        check_metadata(intent_data.get("metadata"), "payment_intent_data[metadata]")
    if "subscription_data" not in params:
        return
    if mode != "subscription":
        raise invalid(
            "You can only pass `subscription_data` in `subscription` mode.", "subscription_data"
        )
    data = as_dict(params["subscription_data"], "subscription_data")
    check_known(data, SUBSCRIPTION_DATA_PARAMS, "subscription_data")
    for name in data:
        if name not in ("metadata", "trial_period_days", "description"):
            raise unmodelled(f"subscription_data[{name}]")
    check_metadata(data.get("metadata"), "subscription_data[metadata]")
    if "trial_period_days" in data:
        days = as_int(data["trial_period_days"], "subscription_data[trial_period_days]")
        if not 1 <= days <= 730:
            raise invalid(
                "trial_period_days must be between 1 and 730",
                "subscription_data[trial_period_days]",
            )

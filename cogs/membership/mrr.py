"""What a membership brings in each month (MRR), noted whenever it changes: the price its
subscription actually charges (after any promotion code), a yearly one as a twelfth; nothing
for a trial, a lifetime tier, a tier granted by hand, or once it has ended."""

from __future__ import annotations

from datetime import datetime

from storage.models import Membership, MrrChange
from storage.uow import UnitOfWork

# Statuses in which a paid membership is still paid for: a cancelled one runs to its period's
# end, a lapsed payment keeps it in grace until it is paid or the grace runs out.
PAYING = ("active", "cancelled", "grace")
PER_MONTH = {"month": 1, "year": 12}


async def monthly_amount(uow: UnitOfWork, membership: Membership) -> tuple[int, str] | None:
    """(minor units a month, currency) the membership brings in now; None when it was never
    paid with money (a grant by hand), 0 while nothing recurring is being paid."""
    if membership.source != "payment" or membership.payment_id is None:
        return None
    payment = await uow.payments.get(membership.payment_id)
    if payment is None:
        return None
    months = PER_MONTH.get(payment.interval or "")
    if membership.status not in PAYING or months is None:
        return 0, payment.currency
    charged = payment
    if payment.subscription_ref:
        charged = await uow.payments.latest_charge(payment.subscription_ref) or payment
    return round(charged.amount_minor / months), charged.currency


async def note(uow: UnitOfWork, membership: Membership, now: datetime, reason: str) -> None:
    """Write the membership's monthly amount if it changed. `reason` says how: "paid",
    "renewed", "changed", or for an end "voluntary" or "involuntary"."""
    amount = await monthly_amount(uow, membership)
    last = await uow.mrr.last_of(membership.id)
    if amount is None:
        if last is None or last.monthly_minor == 0:
            return
        amount = 0, last.currency  # a paid membership taken over by a grant stops paying
    monthly, currency = amount
    if last is None and monthly == 0:
        return  # a trial or a lifetime tier: no recurring revenue to begin with
    if last is not None and (last.monthly_minor, last.currency) == (monthly, currency):
        return
    await uow.mrr.add(
        MrrChange(
            member_id=membership.member_id,
            membership_id=membership.id,
            at=now,
            monthly_minor=monthly,
            currency=currency,
            reason=reason if monthly == 0 or last is not None else "paid",
        )
    )

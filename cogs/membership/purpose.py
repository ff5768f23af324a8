"""Membership payments: what paying, renewing, lapsing and refunding do to a membership."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.config import Tier
from bot.core.effects import CancelSubscription, NotifyMember, RefundPayment
from bot.core.i18n import N_, Translator
from bot.core.identity import speaker
from bot.core.money import Money, format_money
from cogs.membership import mrr
from cogs.membership.service import HOLDING, INTERVALS, entitle, say_ended, withdraw
from payments import ledger
from payments.provider_calls import refunds_in_part
from payments.providers.base import PERIODS
from payments.purposes import Purpose, PurposeContext
from storage.models import Membership, Payment


class MembershipPurpose:
    kind = "membership"

    def income_account(self, purpose: Purpose) -> str:
        return ledger.revenue(self.kind)

    async def still_for_sale(self, ctx: PurposeContext, purpose: Purpose, amount: Money) -> bool:
        return purpose.ref in ctx.settings.tiers

    async def title(self, ctx: PurposeContext, purpose: Purpose, speak: Translator) -> str:
        tier = ctx.settings.tiers.get(purpose.ref)
        return speak.gettext(N_("{tier} membership"), tier=tier.name if tier else purpose.ref)

    async def paid(self, ctx: PurposeContext, payment: Payment) -> None:
        tier_key, tier = _tier(ctx, payment)
        if tier is None:
            return
        trialing = payment.subscription_status == "trialing"
        await entitle(
            ctx.uow,
            ctx.settings,
            member_id=payment.member_id,
            tier=tier_key,
            status="trialing" if trialing else "active",
            ends_at=_ends_at(tier, payment),
            now=ctx.clock.now(),
            source="payment",
            payment_id=payment.id,
            actor_id=payment.member_id,
            reason=f"payment {payment.id}",
        )
        for held in await ctx.uow.memberships.of_member(payment.member_id):
            if held.tier != tier_key and held.status in HOLDING and held.source == "payment":
                await _switch_away(ctx, held, tier_key)
        speak = await speaker(ctx.uow, ctx.settings, payment.member_id)
        if trialing:
            receipt = speak.gettext(
                N_(
                    "Your {tier} free trial has begun. Nothing is charged until {date}; then "
                    "{price} {period}, until you cancel (see /membership)."
                ),
                tier=tier.name,
                date=_date(speak, _ends_at(tier, payment)),
                price=format_money(tier.price_money(payment.currency), speak.locale),
                period=speak.gettext(INTERVALS[tier.interval]),
            )
        else:
            receipt = speak.gettext(
                N_("Thank you! Your {tier} membership is active. Paid: {amount}."),
                tier=tier.name,
                amount=format_money(Money(payment.amount_minor, payment.currency), speak.locale),
            )
        await ctx.promise(NotifyMember(payment.member_id, receipt), key=f"receipt:{payment.id}")

    async def renewed(self, ctx: PurposeContext, payment: Payment) -> None:
        membership = await _membership(ctx, payment)
        _, tier = _tier(ctx, payment)
        if membership is None or tier is None:
            return
        membership.status, membership.grace_until = "active", None
        membership.ends_at = payment.period_end or membership.ends_at
        membership.updated_at = ctx.clock.now()
        await mrr.note(ctx.uow, membership, ctx.clock.now(), "renewed")
        charge = await ctx.uow.payments.latest_charge(payment.subscription_ref or "")
        if charge is None or charge.id == payment.id:
            return
        speak = await speaker(ctx.uow, ctx.settings, payment.member_id)
        receipt = speak.gettext(
            N_("Your {tier} membership renewed. Paid: {amount}. It runs until {date}."),
            tier=tier.name,
            amount=format_money(Money(charge.amount_minor, charge.currency), speak.locale),
            date=_date(speak, membership.ends_at),
        )
        await ctx.promise(NotifyMember(payment.member_id, receipt), key=f"receipt:{charge.id}")

    async def renewal_failed(self, ctx: PurposeContext, payment: Payment) -> None:
        membership = await _membership(ctx, payment)
        _, tier = _tier(ctx, payment)
        if membership is None or tier is None or membership.status == "grace":
            return
        now = ctx.clock.now()
        membership.status, membership.grace_until = "grace", now + timedelta(days=tier.grace_days)
        membership.updated_at = now
        speak = await speaker(ctx.uow, ctx.settings, payment.member_id)
        reminder = speak.gettext(
            N_(
                "Your payment for {tier} did not go through. You keep access for {days} days: "
                "update your card to stay."
            ),
            tier=tier.name,
            days=tier.grace_days,
        )
        await ctx.promise(
            NotifyMember(payment.member_id, reminder),
            key=f"grace:{membership.id}:{membership.version}",
        )

    async def subscription_changed(self, ctx: PurposeContext, payment: Payment) -> None:
        membership = await _membership(ctx, payment)
        if membership is None or membership.status not in ("trialing", "active", "cancelled"):
            return
        if payment.cancel_at_period_end:
            membership.status = "cancelled"
        elif payment.subscription_status in ("active", "trialing"):
            membership.status = payment.subscription_status
        membership.ends_at = payment.period_end or membership.ends_at
        membership.updated_at = ctx.clock.now()
        await mrr.note(ctx.uow, membership, ctx.clock.now(), "changed")

    async def subscription_ended(self, ctx: PurposeContext, payment: Payment) -> None:
        await self._end(ctx, payment, "expired", "subscription ended")

    async def refunded(self, ctx: PurposeContext, payment: Payment, amount: Money) -> None:
        if payment.refunded_minor >= payment.amount_minor:
            await self._end(ctx, payment, "revoked", f"payment {payment.id} refunded")

    async def disputed(self, ctx: PurposeContext, payment: Payment) -> None:
        await self._end(ctx, payment, "revoked", f"payment {payment.id} disputed")

    async def _end(self, ctx: PurposeContext, payment: Payment, status: str, reason: str) -> None:
        membership = await _membership(ctx, payment)
        if membership is None or membership.status not in HOLDING:
            return
        await withdraw(
            ctx.uow,
            ctx.settings,
            membership,
            status=status,
            now=ctx.clock.now(),
            actor_id=None,
            reason=reason,
        )
        await say_ended(ctx.uow, ctx.settings, membership, ctx.clock.now())


def _tier(ctx: PurposeContext, payment: Payment) -> tuple[str, Tier | None]:
    key = Purpose.parse(payment.purpose).ref
    return key, ctx.settings.tiers.get(key)


async def _membership(ctx: PurposeContext, payment: Payment) -> Membership | None:
    """The membership this payment (or another period of its subscription) pays for; None
    once a later purchase took the tier over, so late news of an old one changes nothing."""
    membership = await ctx.uow.memberships.get(
        payment.member_id, Purpose.parse(payment.purpose).ref
    )
    if membership is None or membership.payment_id is None:
        return None
    if membership.payment_id == payment.id:
        return membership
    current = await ctx.uow.payments.get(membership.payment_id)
    same_subscription = (
        current is not None
        and payment.subscription_ref is not None
        and current.subscription_ref == payment.subscription_ref
    )
    return membership if same_subscription else None


async def _switch_away(ctx: PurposeContext, old: Membership, new_tier: str) -> None:
    """Paying for another tier is a switch: the old one ends now (its roles and chats go,
    except those the new tier opens too), stops renewing, and its unused days are refunded."""
    now = ctx.clock.now()
    await withdraw(
        ctx.uow,
        ctx.settings,
        old,
        status="switched",
        now=now,
        actor_id=old.member_id,
        reason=f"switched to {new_tier}",
    )
    payment = await ctx.uow.payments.get(old.payment_id) if old.payment_id else None
    if payment is None:
        return
    key = f"switch:{old.id}:v{old.version}"
    if payment.subscription_ref and not payment.cancel_at_period_end:
        reason = f"switched to {new_tier}"
        await ctx.promise(CancelSubscription(payment.id, reason), key=f"{key}:cancel")
    # The period in use is paid by the subscription's latest charge (a renewal, maybe).
    if payment.subscription_ref:
        payment = await ctx.uow.payments.latest_charge(payment.subscription_ref) or payment
    unused = _unused_part(ctx, old, payment, now)
    if unused > 0:
        reason = f"unused days of {old.tier}"
        await ctx.promise(RefundPayment(payment.id, unused, reason), key=f"{key}:refund")


def _unused_part(ctx: PurposeContext, old: Membership, payment: Payment, now: datetime) -> int:
    """The paid period's share not yet used, in minor units (nothing for a free trial, a
    lifetime tier, or a payment Telegram can only refund whole)."""
    tier = ctx.settings.tiers.get(old.tier)
    if tier is None or tier.interval == "lifetime" or old.ends_at is None:
        return 0
    if old.status == "trialing" or not refunds_in_part(payment):
        return 0
    # The payment's own period: a calendar month at Stripe is 28 to 31 days, and days a
    # moderator granted on top were never paid for.
    paid_at = payment.paid_at or payment.created_at
    period_end = _ends_at(tier, payment) or old.ends_at
    period = int((period_end - paid_at).total_seconds())
    if period <= 0:
        return 0
    left = int((period_end - now).total_seconds())
    share = payment.amount_minor * min(max(left, 0), period) // period
    return min(share, payment.amount_minor - payment.refunded_minor)


def _ends_at(tier: Tier, payment: Payment) -> datetime | None:
    if tier.interval == "lifetime":
        return None
    if payment.period_end is not None:
        return payment.period_end
    paid_at = payment.paid_at or payment.created_at
    return paid_at + PERIODS[tier.interval]


def _date(speak: Translator, when: datetime | None) -> str:
    return speak.datetime(when, "yyyy-MM-dd") if when else "—"

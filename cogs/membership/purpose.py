"""Membership payments: what paying, renewing, lapsing and refunding do to a membership."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.config import Tier
from bot.core.effects import NotifyMember
from bot.core.i18n import N_, Translator
from cogs.membership.service import entitle, withdraw
from payments import ledger
from payments.money import Money, format_money
from payments.purposes import Purpose, PurposeContext
from storage.models import Membership, Payment

# Without a subscription telling us the period (a Stars payment, the sandbox), a paid period
# runs this long.
PERIODS = {"month": timedelta(days=30), "year": timedelta(days=365)}


class MembershipPurpose:
    kind = "membership"

    def income_account(self, purpose: Purpose) -> str:
        return ledger.revenue(self.kind)

    async def still_for_sale(self, ctx: PurposeContext, purpose: Purpose, amount: Money) -> bool:
        return purpose.ref in ctx.settings.tiers

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
        speak = await _speak(ctx, payment.member_id)
        receipt = speak.gettext(
            N_("Thank you! Your {tier} membership is active. Paid: {amount}."),
            tier=tier.name,
            amount=format_money(Money(payment.amount_minor, payment.currency), speak.locale),
        )
        await ctx.promise(NotifyMember(payment.member_id, receipt), key=f"receipt:{payment.id}")

    async def renewed(self, ctx: PurposeContext, payment: Payment) -> None:
        membership = await _membership(ctx, payment)
        if membership is not None:
            membership.status, membership.grace_until = "active", None
            membership.ends_at = payment.period_end or membership.ends_at
            membership.updated_at = ctx.clock.now()

    async def renewal_failed(self, ctx: PurposeContext, payment: Payment) -> None:
        membership = await _membership(ctx, payment)
        _, tier = _tier(ctx, payment)
        if membership is None or tier is None or membership.status == "grace":
            return
        now = ctx.clock.now()
        membership.status, membership.grace_until = "grace", now + timedelta(days=tier.grace_days)
        membership.updated_at = now
        speak = await _speak(ctx, payment.member_id)
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

    async def subscription_ended(self, ctx: PurposeContext, payment: Payment) -> None:
        await self._end(ctx, payment, "expired", "subscription ended")

    async def refunded(self, ctx: PurposeContext, payment: Payment, amount: Money) -> None:
        if payment.refunded_minor >= payment.amount_minor:
            await self._end(ctx, payment, "revoked", f"payment {payment.id} refunded")

    async def disputed(self, ctx: PurposeContext, payment: Payment) -> None:
        await self._end(ctx, payment, "revoked", f"payment {payment.id} disputed")

    async def _end(self, ctx: PurposeContext, payment: Payment, status: str, reason: str) -> None:
        membership = await _membership(ctx, payment)
        if membership is None or membership.status in ("expired", "revoked"):
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


def _tier(ctx: PurposeContext, payment: Payment) -> tuple[str, Tier | None]:
    key = Purpose.parse(payment.purpose).ref
    return key, ctx.settings.tiers.get(key)


async def _membership(ctx: PurposeContext, payment: Payment) -> Membership | None:
    return await ctx.uow.memberships.get(payment.member_id, Purpose.parse(payment.purpose).ref)


def _ends_at(tier: Tier, payment: Payment) -> datetime | None:
    if tier.interval == "lifetime":
        return None
    if payment.period_end is not None:
        return payment.period_end
    paid_at = payment.paid_at or payment.created_at
    return paid_at + PERIODS[tier.interval]


async def _speak(ctx: PurposeContext, member_id: int) -> Translator:
    member = await ctx.uow.members.get(member_id)
    return Translator((member.locale if member else None) or ctx.settings.community.default_locale)

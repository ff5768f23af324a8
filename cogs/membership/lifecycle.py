"""Time passing: memberships that reach their end expire, members are reminded before that,
and a grace period that runs out takes the access away. Run every few minutes by the scheduler;
running it twice in a row changes nothing more."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import Settings
from bot.core.clock import Clock
from bot.core.effects import NotifyMember
from bot.core.i18n import N_
from bot.core.identity import speaker
from bot.core.outbox import queue
from cogs.membership.service import HOLDING, say_ended, withdraw
from storage.models import Membership
from storage.uow import UnitOfWork, UnitOfWorkFactory

REMIND_BEFORE_END = timedelta(days=3)
REMIND_BEFORE_GRACE_ENDS = timedelta(days=1)
# A renewing subscription's end passes before Stripe's invoice.paid arrives; wait a little.
RENEWAL_SLACK = timedelta(days=1)


@dataclass(frozen=True)
class LifecycleReport:
    expired: int = 0
    reminded: int = 0


async def run_lifecycle(
    uow: UnitOfWorkFactory, settings: Settings, clock: Clock
) -> LifecycleReport:
    now = clock.now()
    expired = reminded = 0
    async with uow() as unit:
        soon = now + max(REMIND_BEFORE_END, REMIND_BEFORE_GRACE_ENDS)
        for membership in await unit.memberships.ending_by(HOLDING, soon):
            renewing = await _renews(unit, membership)
            end = membership.grace_until if membership.status == "grace" else membership.ends_at
            if end is None:
                continue  # lifetime
            if now >= end + (RENEWAL_SLACK if renewing else timedelta(0)):
                await withdraw(
                    unit,
                    settings,
                    membership,
                    status="expired",
                    now=now,
                    actor_id=None,
                    reason="ended",
                )
                await say_ended(unit, settings, membership, now)
                expired += 1
                continue
            before = REMIND_BEFORE_GRACE_ENDS if membership.status == "grace" else REMIND_BEFORE_END
            if not renewing and now >= end - before:
                reminded += await _remind(unit, settings, membership, now)
    return LifecycleReport(expired, reminded)


async def _renews(unit: UnitOfWork, membership: Membership) -> bool:
    """A paid subscription that is neither cancelled nor lapsed will renew by itself."""
    if membership.status not in ("active", "trialing") or membership.payment_id is None:
        return False
    payment = await unit.payments.get(membership.payment_id)
    return bool(payment and payment.subscription_ref and not payment.cancel_at_period_end)


async def _remind(
    unit: UnitOfWork, settings: Settings, membership: Membership, now: datetime
) -> int:
    speak = await speaker(unit, settings, membership.member_id)
    tier = settings.tiers.get(membership.tier)
    name = tier.name if tier else membership.tier
    end = membership.grace_until if membership.status == "grace" else membership.ends_at
    text = speak.gettext(
        N_("Your {tier} membership ends on {date}. Renew with /join {key} to keep your access."),
        tier=name,
        date=speak.datetime(end, "yyyy-MM-dd"),
        key=membership.tier,
    )
    key = f"ending:{membership.id}:v{membership.version}:{membership.status}"
    return int(await queue(unit, NotifyMember(membership.member_id, text), key=key, now=now))

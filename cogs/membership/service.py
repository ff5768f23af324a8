"""Entitlement: which tier a member holds and until when. Every change here also promises the
platform access that follows from it through the outbox: only the difference between what the
member's tiers opened before and after, so a role two tiers share stays through a switch."""

from __future__ import annotations

from datetime import datetime

from bot.config import Settings
from bot.core.access import Access
from bot.core.effects import (
    AdmitToTelegramChat,
    DurableEffect,
    GrantDiscordRole,
    NotifyMember,
    RemoveFromTelegramChat,
    RevokeDiscordRole,
)
from bot.core.i18n import N_
from bot.core.identity import speaker
from bot.core.outbox import queue
from cogs.membership import mrr
from cogs.membership.access import access_of
from storage.models import Membership
from storage.uow import UnitOfWork

# Statuses that give access (a cancelled membership runs until its end, a lapsed one through
# its grace period).
HOLDING = frozenset({"trialing", "active", "grace", "cancelled"})
INTERVALS = {"month": N_("per month"), "year": N_("per year"), "lifetime": N_("once, for life")}


def holds_access(membership: Membership, now: datetime) -> bool:
    if membership.status not in HOLDING:
        return False
    if membership.status == "grace":
        return membership.grace_until is not None and now < membership.grace_until
    return membership.ends_at is None or now < membership.ends_at


async def opened_access(uow: UnitOfWork, settings: Settings, member_id: int) -> Access:
    """What the member's memberships have opened on the platforms: every membership in a
    holding status, until the lifecycle job ends it (and takes the access back)."""
    held = await uow.memberships.of_member(member_id)
    return access_of(settings, [m.tier for m in held if m.status in HOLDING])


async def entitle(
    uow: UnitOfWork,
    settings: Settings,
    *,
    member_id: int,
    tier: str,
    status: str,
    ends_at: datetime | None,
    now: datetime,
    source: str,
    payment_id: int | None,
    actor_id: int | None,
    reason: str,
) -> Membership:
    """Give (or extend) a tier. Access is promised only when the member did not hold it."""
    before = await opened_access(uow, settings, member_id)
    membership = await uow.memberships.get(member_id, tier)
    had_access = membership is not None and holds_access(membership, now)
    if membership is None:
        membership = await uow.memberships.add(
            Membership(
                member_id=member_id,
                tier=tier,
                status=status,
                source=source,
                payment_id=payment_id,
                started_at=now,
                ends_at=ends_at,
                version=1,
                updated_at=now,
            )
        )
    else:
        if not had_access:
            membership.version += 1
            membership.started_at = now
        membership.status, membership.source = status, source
        membership.payment_id = payment_id or membership.payment_id
        membership.ends_at = ends_at
        membership.grace_until = None
        membership.updated_at = now
    await uow.audit.record(
        "membership.granted",
        at=now,
        actor_id=actor_id,
        subject_id=member_id,
        detail={"tier": tier, "status": status, "reason": reason},
    )
    await mrr.note(uow, membership, now, "paid")
    if not had_access:
        await _promise_change(uow, settings, membership, before, now)
    return membership


async def withdraw(
    uow: UnitOfWork,
    settings: Settings,
    membership: Membership,
    *,
    status: str,
    now: datetime,
    actor_id: int | None,
    reason: str,
) -> None:
    """End a membership now (revoked by a refund or a moderator, expired at its end)."""
    had_access = membership.status in HOLDING
    # A paid period that ends in grace ends because its payment failed, not by choice.
    lapsed = membership.status == "grace"
    before = await opened_access(uow, settings, membership.member_id)
    membership.status, membership.updated_at = status, now
    await mrr.note(uow, membership, now, "involuntary" if lapsed else "voluntary")
    await uow.audit.record(
        f"membership.{status}",
        at=now,
        actor_id=actor_id,
        subject_id=membership.member_id,
        detail={"tier": membership.tier, "reason": reason},
    )
    if had_access:
        membership.version += 1
        await _promise_change(uow, settings, membership, before, now)


async def say_ended(
    uow: UnitOfWork, settings: Settings, membership: Membership, now: datetime
) -> None:
    """Tell the member their access went, and how to come back (once per membership term)."""
    speak = await speaker(uow, settings, membership.member_id)
    tier = settings.tiers.get(membership.tier)
    text = speak.gettext(
        N_(
            "Your {tier} membership has ended and its access was removed. "
            "Join again with /join {key}."
        ),
        tier=tier.name if tier else membership.tier,
        key=membership.tier,
    )
    key = f"ended:{membership.id}:v{membership.version}"
    await queue(uow, NotifyMember(membership.member_id, text), key=key, now=now)


async def _promise_change(
    uow: UnitOfWork, settings: Settings, membership: Membership, before: Access, now: datetime
) -> None:
    after = await opened_access(uow, settings, membership.member_id)
    speak = await speaker(uow, settings, membership.member_id)
    tier = settings.tiers.get(membership.tier)
    welcome = speak.gettext(
        N_("Welcome to {tier}! Here is your way in:"),
        tier=tier.name if tier else membership.tier,
    )
    reason = f"knowpay: {membership.tier} membership"
    await promise_access(
        uow,
        membership.member_id,
        granted=after - before,
        taken=before - after,
        welcome=welcome,
        reason=reason,
        key=f"membership:{membership.id}:v{membership.version}",
        now=now,
    )


async def promise_access(
    uow: UnitOfWork,
    member_id: int,
    *,
    granted: Access,
    taken: Access,
    welcome: str,
    reason: str,
    key: str,
    now: datetime,
) -> None:
    """Queue the platform calls that give `granted` and take `taken`, once per `key`."""
    effects: list[tuple[str, DurableEffect]] = []
    for role in sorted(granted.roles):
        effects.append((f"+role:{role}", GrantDiscordRole(member_id, role, reason)))
    for role in sorted(taken.roles):
        effects.append((f"-role:{role}", RevokeDiscordRole(member_id, role, reason)))
    for chat in sorted(granted.chats):
        effects.append((f"+chat:{chat}", AdmitToTelegramChat(member_id, chat, welcome)))
    for chat in sorted(taken.chats):
        effects.append((f"-chat:{chat}", RemoveFromTelegramChat(member_id, chat)))
    for suffix, effect in effects:
        await queue(uow, effect, key=f"{key}:{suffix}", now=now)

"""Entitlement: which tier a member holds and until when. Every change here also promises the
platform access that follows from it (roles, chats) through the outbox."""

from __future__ import annotations

from datetime import datetime

from bot.config import Settings
from bot.core.effects import (
    AdmitToTelegramChat,
    DurableEffect,
    GrantDiscordRole,
    RemoveFromTelegramChat,
    RevokeDiscordRole,
)
from bot.core.i18n import N_, Translator
from payments.outbox import queue
from storage.models import Membership
from storage.uow import UnitOfWork

# Statuses that give access (a cancelled membership runs until its end, a lapsed one through
# its grace period).
HOLDING = frozenset({"trialing", "active", "grace", "cancelled"})


def holds_access(membership: Membership, now: datetime) -> bool:
    if membership.status not in HOLDING:
        return False
    if membership.status == "grace":
        return membership.grace_until is not None and now < membership.grace_until
    return membership.ends_at is None or now < membership.ends_at


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
    if not had_access:
        await _promise_access(uow, settings, membership, now, granted=True)
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
    had_access = holds_access(membership, now) or membership.status in HOLDING
    membership.status, membership.updated_at = status, now
    await uow.audit.record(
        f"membership.{status}",
        at=now,
        actor_id=actor_id,
        subject_id=membership.member_id,
        detail={"tier": membership.tier, "reason": reason},
    )
    if had_access:
        membership.version += 1
        await _promise_access(uow, settings, membership, now, granted=False)


async def _promise_access(
    uow: UnitOfWork, settings: Settings, membership: Membership, now: datetime, *, granted: bool
) -> None:
    tier = settings.tiers.get(membership.tier)
    if tier is None:
        return  # a tier removed from bot.toml: nothing to grant or take any more
    member = await uow.members.get(membership.member_id)
    speak = Translator((member.locale if member else None) or settings.community.default_locale)
    welcome = speak.gettext(N_("Welcome to {tier}! Here is your way in:"), tier=tier.name)
    reason = f"knowpay: {membership.tier} membership"
    effects: list[DurableEffect] = []
    for role in tier.discord_role_ids:
        change = GrantDiscordRole if granted else RevokeDiscordRole
        effects.append(change(membership.member_id, role, reason))
    for chat in tier.telegram_chat_ids:
        effects.append(
            AdmitToTelegramChat(membership.member_id, chat, welcome)
            if granted
            else RemoveFromTelegramChat(membership.member_id, chat)
        )
    for n, effect in enumerate(effects):
        key = f"membership:{membership.id}:v{membership.version}:{n}"
        await queue(uow, effect, key=key, now=now)

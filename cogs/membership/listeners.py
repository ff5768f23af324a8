"""Platform events that touch access: join requests to private chats, people arriving in the
Discord server or a tier's Telegram chat, and accounts linked across platforms."""

from __future__ import annotations

from bot.core.access import Access
from bot.core.effects import DirectMessage, Effect, JoinRequestAnswer, RemoveFromTelegramChat
from bot.core.events import (
    AccountsLinked,
    JoinRequested,
    MemberChange,
    MembershipChanged,
    Place,
    Platform,
)
from bot.core.identity import member_level
from bot.core.listening import EventContext
from bot.core.outbox import queue
from bot.core.registry import Registry
from cogs.membership.access import may_enter, tiers_granting
from cogs.membership.service import HOLDING, holds_access, opened_access, promise_access


async def _may_enter(ctx: EventContext, chat: Place) -> tuple[bool, dict[str, str]]:
    gating = tiers_granting(ctx.settings, chat.platform, chat.chat_id)
    held = {
        m.tier
        for m in await ctx.uow.memberships.of_member(ctx.member.id)
        if holds_access(m, ctx.clock.now())
    }
    return may_enter(member_level(ctx.member), gating, held), gating


async def answer_join_request(ctx: EventContext, event: JoinRequested) -> list[Effect]:
    approved, gating = await _may_enter(ctx, event.place)
    await ctx.uow.audit.record(
        "access.join_approved" if approved else "access.join_declined",
        at=ctx.clock.now(),
        actor_id=None,
        subject_id=ctx.member.id,
        detail={"platform": event.place.platform.value, "chat": event.place.chat_id},
    )
    if approved:
        return [JoinRequestAnswer(approved=True)]
    why = ctx._(
        "That chat is for members of {tiers}. Ask a moderator if you think this is a mistake.",
        tiers=", ".join(gating.values()),
    )
    return [JoinRequestAnswer(approved=False), DirectMessage(why, notice=why)]


async def on_arrival(ctx: EventContext, event: MembershipChanged) -> None:
    if event.change is not MemberChange.JOINED:
        return
    if event.place.platform is Platform.DISCORD:
        await _give_roles_on_arrival(ctx, event)
    elif event.place.platform is Platform.TELEGRAM:
        await _turn_strangers_out(ctx, event)


async def _turn_strangers_out(ctx: EventContext, event: MembershipChanged) -> None:
    """Someone who got into a tier's chat without holding the tier (an admin added them, an
    old link) is taken out again; the staff may stay."""
    allowed, _ = await _may_enter(ctx, event.place)
    if allowed:
        return
    now = ctx.clock.now()
    await ctx.uow.audit.record(
        "access.stranger_removed",
        at=now,
        actor_id=None,
        subject_id=ctx.member.id,
        detail={"platform": event.place.platform.value, "chat": event.place.chat_id},
    )
    await queue(
        ctx.uow,
        RemoveFromTelegramChat(ctx.member.id, int(event.place.chat_id)),
        key=f"stranger:telegram:{event.place.chat_id}:{event.actor.user_id}:{now.isoformat()}",
        now=now,
    )


async def _give_roles_on_arrival(ctx: EventContext, event: MembershipChanged) -> None:
    """Someone who paid before joining the Discord server (or who left and came back) gets
    their tiers' roles as they arrive: a new member of a server holds no roles."""
    opened = await opened_access(ctx.uow, ctx.settings, ctx.member.id)
    if not opened.roles:
        return
    now = ctx.clock.now()
    await promise_access(
        ctx.uow,
        ctx.member.id,
        granted=Access(roles=opened.roles),
        taken=Access(),
        welcome="",
        reason="knowpay: membership (joined the server)",
        key=f"arrived:discord:{event.actor.user_id}:{now.isoformat()}",
        now=now,
    )


async def follow_linked_accounts(ctx: EventContext, event: AccountsLinked) -> None:
    """After /link, memberships held on either account give access on both platforms."""
    left = await ctx.uow.memberships.move_to(event.merged_id, event.member_id)
    now = ctx.clock.now()
    for membership in left:
        if membership.status in HOLDING:
            # Both accounts held the tier: the one the member keeps is the linked-to one.
            await ctx.uow.audit.record(
                "membership.duplicate_on_link",
                at=now,
                actor_id=event.member_id,
                subject_id=event.member_id,
                detail={"tier": membership.tier, "merged_member": event.merged_id},
            )
    opened = await opened_access(ctx.uow, ctx.settings, event.member_id)
    if opened:
        await promise_access(
            ctx.uow,
            event.member_id,
            granted=opened,
            taken=Access(),
            welcome=ctx._("Your accounts are linked. Here is your way in:"),
            reason="knowpay: membership (linked account)",
            key=f"linked:{event.merged_id}",
            now=now,
        )


def register(registry: Registry) -> None:
    registry.listen(JoinRequested, answer_join_request)
    registry.listen(MembershipChanged, on_arrival)
    registry.listen(AccountsLinked, follow_linked_accounts)

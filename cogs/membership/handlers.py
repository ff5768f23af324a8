"""Platform events that touch access: join requests to private chats, members arriving in the
Discord server, and accounts linked across platforms."""

from __future__ import annotations

from bot.core.commands import Registry
from bot.core.context import EventContext
from bot.core.effects import DirectMessage, Effect, JoinRequestAnswer
from bot.core.events import (
    AccountsLinked,
    JoinRequested,
    MemberChange,
    MembershipChanged,
    Platform,
)
from bot.core.identity import member_level
from cogs.membership.access import Access, may_enter, tiers_granting
from cogs.membership.service import HOLDING, holds_access, opened_access, promise_access


async def answer_join_request(ctx: EventContext, event: JoinRequested) -> list[Effect]:
    gating = tiers_granting(ctx.settings, event.place.platform, event.place.chat_id)
    held = {
        m.tier
        for m in await ctx.uow.memberships.of_member(ctx.member.id)
        if holds_access(m, ctx.clock.now())
    }
    approved = may_enter(member_level(ctx.member), gating, held)
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


async def give_roles_on_arrival(ctx: EventContext, event: MembershipChanged) -> None:
    """Someone who paid before joining the Discord server (or who left and came back) gets
    their tiers' roles as they arrive: a new member of a server holds no roles."""
    if event.change is not MemberChange.JOINED or event.place.platform is not Platform.DISCORD:
        return
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
    registry.listen(MembershipChanged, give_roles_on_arrival)
    registry.listen(AccountsLinked, follow_linked_accounts)

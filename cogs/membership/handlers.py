"""Join requests: let the entitled in, turn the others away with a word on how to get in."""

from __future__ import annotations

from bot.core.commands import Registry
from bot.core.context import EventContext
from bot.core.effects import DirectMessage, Effect, JoinRequestAnswer
from bot.core.events import JoinRequested
from bot.core.identity import member_level
from cogs.membership.access import may_enter, tiers_granting
from cogs.membership.service import holds_access


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


def register(registry: Registry) -> None:
    registry.listen(JoinRequested, answer_join_request)

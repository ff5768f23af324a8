"""Reactions and replies on contents, from every platform, become interactions; a creator's
post in a tracked channel becomes a content."""

from __future__ import annotations

from functools import partial

from bot.core.events import MessagePosted, ReactionChanged
from bot.core.identity import member_level
from bot.core.listening import EventContext
from bot.core.permissions import Level
from bot.core.registry import Registry
from cogs.engagement.service import (
    content_answered,
    content_at,
    is_tracked,
    record,
    register_content,
    show,
)
from storage.interaction_recorder import InteractionRecorder
from storage.models.engagement import REPLY


async def on_message(
    interactions: InteractionRecorder, ctx: EventContext, event: MessagePosted
) -> None:
    now = ctx.clock.now()
    root = await content_answered(ctx.uow, event)
    if root is not None:
        # Replies to this message lead back to the same root content.
        await show(ctx.uow, root, event.place, event.message_id, role=REPLY)
        await record(
            interactions,
            root,
            member_id=ctx.member.id,
            kind="reply",
            platform=event.place.platform.value,
            at=now,
        )
        return
    if is_tracked(ctx.settings, event.place) and member_level(ctx.member) >= Level.CREATOR:
        platform, chat = event.place.platform.value, event.place.chat_id
        post = await register_content(
            ctx.uow,
            kind="post",
            ref=f"post:{platform}:{chat}:{event.message_id}",
            title=(event.text.strip().splitlines() or [""])[0],
            author_id=ctx.member.id,
            at=now,
        )
        await show(ctx.uow, post, event.place, event.message_id)


async def on_reaction(
    interactions: InteractionRecorder, ctx: EventContext, event: ReactionChanged
) -> None:
    content = await content_at(ctx.uow, event.place, event.message_id)
    if content is not None:
        await record(
            interactions,
            content,
            member_id=ctx.member.id,
            kind="reaction",
            platform=event.place.platform.value,
            at=ctx.clock.now(),
            delta=1 if event.added else -1,
        )


def register(registry: Registry, interactions: InteractionRecorder) -> None:
    registry.listen(MessagePosted, partial(on_message, interactions))
    registry.listen(ReactionChanged, partial(on_reaction, interactions))

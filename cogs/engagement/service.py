"""The content registry and the recording of interactions (I_cu), for every cog.

Cogs that publish something (drops, questions, answers) register it as a content and map each
platform message showing it; a reaction or reply on any of those messages then counts for that
one content, whichever platform it came from.
"""

from __future__ import annotations

from datetime import datetime

from bot.config import Settings
from bot.core.events import MessagePosted, Place
from bot.core.money import Money
from storage.interaction_recorder import InteractionRecorder, NewInteraction
from storage.models import Content, ContentMessage
from storage.models.engagement import COPY, REPLY, THREAD
from storage.uow import UnitOfWork

TITLE_LENGTH = 200
# Interactions of a member with no account left to tell where they are.
OTHER = "other"


async def register_content(
    uow: UnitOfWork,
    *,
    kind: str,
    ref: str,
    title: str,
    author_id: int | None,
    at: datetime,
    price: Money | None = None,
) -> Content:
    """The content named `ref`, registered now if it is new."""
    found = await uow.contents.by_ref(ref)
    if found is not None:
        return found
    return await uow.contents.add(
        Content(
            kind=kind,
            ref=ref,
            title=title[:TITLE_LENGTH],
            author_member_id=author_id,
            price_minor=price.minor if price else None,
            currency=price.currency if price else None,
            created_at=at,
        )
    )


async def show(
    uow: UnitOfWork, content: Content, place: Place, message_id: str, *, role: str = COPY
) -> None:
    """Map a platform message to `content` (a copy of it, or a reply in its thread)."""
    await uow.contents.show(
        ContentMessage(
            content_id=content.id,
            platform=place.platform.value,
            chat_id=place.chat_id,
            message_id=message_id,
            role=role,
        )
    )


async def content_at(
    uow: UnitOfWork, place: Place, message_id: str, *, replies_too: bool = False
) -> Content | None:
    """The content message `message_id` in `place` shows (a copy; with `replies_too`, also a
    reply in its thread that engagement mapped)."""
    roles = (COPY, REPLY) if replies_too else (COPY,)
    return await uow.contents.at_message(place.platform.value, place.chat_id, message_id, roles)


async def content_in_thread(uow: UnitOfWork, place: Place) -> Content | None:
    """The content whose thread `place` is, for a message written there: on Discord the
    thread is a channel (`place.chat_id`), on Telegram a forum topic (`place.thread_id`).

    A plain Telegram group has no threads: there the replies to the content's message are its
    thread, found by `content_at(uow, place, event.reply_to, replies_too=True)`. To find a
    message's content either way, look up the reply first, then the thread, as
    `content_answered` does.
    """
    # A Discord forum post's first message has the thread's id: its copy is the thread's key.
    roles = (THREAD, COPY)
    return await uow.contents.at_message(
        place.platform.value, place.chat_id, place.thread_key, roles
    )


async def content_answered(uow: UnitOfWork, event: MessagePosted) -> Content | None:
    """The content `event` answers: the one whose message (or a reply to it) it replies to,
    else the one whose thread it was written in."""
    if event.reply_to is not None:
        root = await content_at(uow, event.place, event.reply_to, replies_too=True)
        if root is not None:
            return root
    return await content_in_thread(uow, event.place)


async def record(
    recorder: InteractionRecorder,
    content: Content,
    *,
    member_id: int,
    kind: str,
    platform: str,
    at: datetime,
    delta: int = 1,
) -> bool:
    """Count an interaction of `member_id` with `content`; a content's author engaging with
    their own content does not count; `platform` is where it happened (see `platform_of` for
    what happens away from the chats). False when nothing was recorded."""
    if member_id == content.author_member_id:
        return False
    await recorder.record(NewInteraction(content.id, member_id, kind, platform, at, delta))
    return True


async def platform_of(uow: UnitOfWork, member_id: int) -> str:
    """Where an interaction that happens away from the chats counts: an unlock paid at a
    checkout, an answer accepted by the deadline on the asker's behalf. A payment provider is
    not a platform: it counts where the member was last seen."""
    return await uow.members.last_seen_platform(member_id) or OTHER


def is_tracked(settings: Settings, place: Place) -> bool:
    """Is `place` a channel or chat whose creators' posts become contents?"""
    track = settings.engagement.track
    chats = {"discord": track.discord, "telegram": track.telegram}.get(place.platform.value, [])
    return place.chat_id in {str(chat) for chat in chats}

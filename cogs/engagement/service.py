"""The content registry and the recording of interactions (I_cu), for every cog.

Cogs that publish something (drops, questions, answers) register it as a content and map each
platform message showing it; a reaction or reply on any of those messages then counts for that
one content, whichever platform it came from.
"""

from __future__ import annotations

from datetime import datetime

from bot.config import Settings
from bot.core.events import Place
from payments.money import Money
from storage.models import Content, ContentMessage
from storage.recording import InteractionRecorder, NewInteraction
from storage.uow import UnitOfWork

TITLE_LENGTH = 200
# A message that shows the content counts reactions; a reply only leads back to its root.
COPY, REPLY = "copy", "reply"


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
    roles = (COPY, REPLY) if replies_too else (COPY,)
    return await uow.contents.at_message(place.platform.value, place.chat_id, message_id, roles)


async def record(
    recorder: InteractionRecorder | None,
    content: Content,
    *,
    member_id: int,
    kind: str,
    place: Place,
    at: datetime,
    delta: int = 1,
) -> bool:
    """Count an interaction of `member_id` with `content`; a content's author engaging with
    their own content does not count. False when nothing was recorded."""
    if recorder is None or member_id == content.author_member_id:
        return False
    await recorder.record(
        NewInteraction(content.id, member_id, kind, place.platform.value, at, delta)
    )
    return True


def is_tracked(settings: Settings, place: Place) -> bool:
    """Is `place` a channel or chat whose creators' posts become contents?"""
    track = settings.engagement.track
    chats = {"discord": track.discord, "telegram": track.telegram}.get(place.platform.value, [])
    return place.chat_id in {str(chat) for chat in chats}

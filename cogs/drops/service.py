"""A drop's life: a creator's draft, published now or at its time (posted in full where its
tiers read, as a teaser in the public drops channel, and by private message to the tier members
who asked for that), edited or deleted on every platform at once, and maybe sold one-off.

Publishing is claimed in the drop's row (scheduled -> published in one transaction), so a drop
is published once however many instances or job runs reach it; everything it posts goes
through the outbox, keyed per drop and chat or member, so a crash mid-way resumes without
posting twice or skipping anyone."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.config import Settings
from bot.core.clock import Clock
from bot.core.effects import (
    UPLOAD_LIMITS,
    Button,
    DeleteMessage,
    EditMessage,
    NotifyMember,
    PostToChat,
    StoredFile,
)
from bot.core.i18n import N_, Translator
from bot.core.identity import member_language
from bot.core.money import Money, format_money
from bot.core.outbox import queue
from bot.core.text import split_message
from cogs.drops.rendering import full_text, label, teaser_text
from cogs.engagement.service import register_content
from cogs.membership.service import HOLDING
from storage.models import Drop, DropFile, DropNotice
from storage.models.engagement import COPY
from storage.uow import UnitOfWork, UnitOfWorkFactory

KIND = "drop"
DRAFT, SCHEDULED, PUBLISHED, CANCELLED, DELETED = (
    "draft",
    "scheduled",
    "published",
    "cancelled",
    "deleted",
)
# How long one message may be on each platform: a drop's copies are split the same way when
# they are posted and when they are edited.
MESSAGE_LIMITS = {"discord": 2000, "telegram": 4096}


class DropStateError(ValueError):
    """The drop is not in a state that allows this (publishing a deleted drop...)."""


@dataclass(frozen=True)
class Draft:
    """What a creator typed for a new drop."""

    title: str
    body: str
    tiers: tuple[str, ...]
    link: str | None = None
    price: Money | None = None
    publish_at: datetime | None = None


def file_limit(settings: Settings, tiers: Sequence[str]) -> tuple[int, list[str]]:
    """The largest file a drop for `tiers` may carry, and the platforms that set it: the file
    goes with every full copy, so it must fit each platform the tiers' chats are on. With no
    tier chat the drop reaches its readers only by private message, on whichever platform
    they use, so every platform counts."""
    platforms = sorted({platform for platform, _ in full_chats(settings, tiers)} or UPLOAD_LIMITS)
    limit = min(UPLOAD_LIMITS[platform] for platform in platforms)
    return limit, [p for p in platforms if UPLOAD_LIMITS[p] == limit]


async def attach(
    uow: UnitOfWork, drop: Drop, *, filename: str, content_type: str | None, data: bytes
) -> DropFile:
    return await uow.drops.add_file(
        DropFile(
            drop_id=drop.id,
            filename=filename,
            content_type=content_type,
            size=len(data),
            data=data,
        )
    )


async def load_file(uow: UnitOfWorkFactory, file_id: int) -> StoredFile | None:
    """A drop's file for a deliverer to upload (the outbox's effects carry only its id)."""
    async with uow() as unit:
        found = await unit.drops.file(file_id)
        return None if found is None else StoredFile(found.filename, found.content_type, found.data)


def content_ref(drop_id: int) -> str:
    return f"drop:{drop_id}"


async def create(uow: UnitOfWork, author_id: int, draft: Draft, now: datetime) -> Drop:
    return await uow.drops.add(
        Drop(
            author_id=author_id,
            title=draft.title,
            body=draft.body,
            link=draft.link,
            tiers=list(draft.tiers),
            price_minor=draft.price.minor if draft.price else None,
            currency=draft.price.currency if draft.price else None,
            status=DRAFT,
            publish_at=draft.publish_at,
            created_at=now,
            updated_at=now,
        )
    )


def price_of(drop: Drop) -> Money | None:
    if drop.price_minor is None or drop.currency is None:
        return None
    return Money(drop.price_minor, drop.currency)


def schedule(drop: Drop, now: datetime) -> None:
    """A draft with a time waits for it; the publishing job takes it then."""
    if drop.status != DRAFT or drop.publish_at is None:
        raise DropStateError(f"drop {drop.id} is {drop.status}")
    drop.status, drop.updated_at = SCHEDULED, now


async def publish(uow: UnitOfWork, settings: Settings, drop: Drop, now: datetime) -> int:
    """Post the drop everywhere it goes and tell the opted-in readers; returns how many
    private messages were promised."""
    if drop.status not in (DRAFT, SCHEDULED):
        raise DropStateError(f"drop {drop.id} is {drop.status}")
    drop.status, drop.published_at, drop.updated_at = PUBLISHED, now, now
    ref = content_ref(drop.id)
    await register_content(
        uow,
        kind=KIND,
        ref=ref,
        title=drop.title,
        author_id=drop.author_id,
        at=now,
        price=price_of(drop),
    )
    locale = settings.community.default_locale
    # The full copies and the DMs carry the drop's file; the public teaser does not.
    file = await uow.drops.file_of(drop.id)
    file_id = file.id if file is not None else None
    for platform, chat in full_chats(settings, drop.tiers):
        post = PostToChat(platform, chat, full_text(drop, locale), content_ref=ref, file_id=file_id)
        await queue(uow, post, key=f"drop:{drop.id}:full:{platform}:{chat}", now=now)
    for platform, chat in settings.chats("drops"):
        post = PostToChat(
            platform,
            chat,
            teaser_text(drop, settings, settings.community.default_locale),
            buttons=_unlock_button(drop, settings),
            content_ref=ref,
        )
        await queue(uow, post, key=f"drop:{drop.id}:teaser:{platform}:{chat}", now=now)
    readers = await uow.drops.readers_to_notify(drop.tiers, HOLDING)
    texts: dict[str, str] = {}  # one rendering per language, for thousands of readers
    for reader in readers:
        language = member_language(reader) or locale
        if language not in texts:
            texts[language] = full_text(drop, language)
        text = texts[language]
        await queue(
            uow,
            NotifyMember(reader.id, text, file_id=file_id),
            key=f"drop:{drop.id}:dm:{reader.id}",
            now=now,
        )
    return len(readers)


async def publish_due(uow: UnitOfWorkFactory, settings: Settings, clock: Clock) -> int:
    """The scheduled job: every drop whose time has come, each in its own transaction; the
    row lock and the status check make a second instance (or run) find nothing to do."""
    now = clock.now()
    async with uow() as unit:
        due = await unit.drops.due(now)
    published = 0
    for drop_id in due:
        async with uow() as unit:
            drop = await unit.drops.get(drop_id)
            if drop is not None and drop.status == SCHEDULED:
                await publish(unit, settings, drop, now)
                published += 1
    return published


def cancel(drop: Drop, now: datetime) -> None:
    if drop.status not in (DRAFT, SCHEDULED):
        raise DropStateError(f"drop {drop.id} is {drop.status}")
    drop.status, drop.updated_at = CANCELLED, now


async def edit(
    uow: UnitOfWork,
    settings: Settings,
    drop: Drop,
    *,
    title: str | None,
    body: str | None,
    now: datetime,
) -> int:
    """Change the drop and, once published, every copy posted on every platform; returns how
    many messages will be edited."""
    if drop.status == DELETED:
        raise DropStateError(f"drop {drop.id} is deleted")
    drop.title = title or drop.title
    drop.body = body or drop.body
    drop.version += 1
    drop.updated_at = now
    if drop.status != PUBLISHED:
        return 0
    teasers = set(settings.chats("drops"))
    edited = 0
    for (platform, chat), messages in (await _copies(uow, drop)).items():
        teaser = (platform, chat) in teasers
        text = (
            teaser_text(drop, settings, settings.community.default_locale)
            if teaser
            else full_text(drop, settings.community.default_locale)
        )
        parts = split_message(text, MESSAGE_LIMITS.get(platform, 4000))
        for index, message_id in enumerate(messages):
            last = index == len(messages) - 1
            # A copy posted in several messages keeps their number: the last takes the rest
            # (cut by the platform's limit) and, on a teaser, its Unlock button again.
            part = "\n".join(parts[index:]) if last else parts[index] if index < len(parts) else ""
            if not part:
                continue
            buttons = _unlock_button(drop, settings) if teaser and last else ()
            change = EditMessage(platform, chat, message_id, part, buttons=buttons)
            key = f"drop:{drop.id}:v{drop.version}:{platform}:{chat}:{message_id}"
            edited += int(await queue(uow, change, key=key, now=now))
    return edited


async def delete(uow: UnitOfWork, drop: Drop, now: datetime) -> int:
    """Take the drop down: every posted copy is deleted; returns how many messages."""
    if drop.status == DELETED:
        raise DropStateError(f"drop {drop.id} is deleted")
    drop.status, drop.updated_at = DELETED, now
    deleted = 0
    for (platform, chat), messages in (await _copies(uow, drop)).items():
        for message_id in messages:
            gone = DeleteMessage(platform, chat, message_id, reason=f"drop {drop.id} deleted")
            key = f"drop:{drop.id}:delete:{platform}:{chat}:{message_id}"
            deleted += int(await queue(uow, gone, key=key, now=now))
    return deleted


@dataclass(frozen=True)
class DropStats:
    """How a drop did: interactions per platform and kind, one-off sales."""

    by_platform: dict[str, dict[str, int]]
    sold: int
    revenue: list[Money]


async def stats(uow: UnitOfWork, drop: Drop) -> DropStats:
    by_platform: dict[str, dict[str, int]] = defaultdict(dict)
    content = await uow.contents.by_ref(content_ref(drop.id))
    if content is not None:
        for kind, platform, count in await uow.contents.interaction_counts(content.id):
            by_platform[platform][kind] = count
    totals: dict[str, int] = defaultdict(int)
    sold = 0
    for purchase in await uow.drops.purchases(drop.id):
        payment = await uow.payments.get(purchase.payment_id) if purchase.payment_id else None
        if payment is not None:
            sold += 1
            totals[payment.currency] += payment.amount_minor - payment.refunded_minor
    revenue = [Money(minor, currency) for currency, minor in sorted(totals.items())]
    return DropStats(dict(by_platform), sold, revenue)


async def set_notice(uow: UnitOfWork, member_id: int, enabled: bool, now: datetime) -> None:
    await uow.drops.set_notice(DropNotice(member_id=member_id, enabled=enabled, updated_at=now))


def full_chats(settings: Settings, tiers: Sequence[str]) -> list[tuple[str, str]]:
    """Where the drop's tiers read it in full: each tier's Discord drops channel and its
    Telegram chats, each once."""
    chats: dict[tuple[str, str], None] = {}
    for key in tiers:
        tier = settings.tiers.get(key)
        if tier is None:
            continue
        if tier.discord_drops_channel_id is not None:
            chats["discord", str(tier.discord_drops_channel_id)] = None
        for chat in tier.telegram_chat_ids:
            chats["telegram", str(chat)] = None
    return list(chats)


def _unlock_button(drop: Drop, settings: Settings) -> tuple[Button, ...]:
    price = price_of(drop)
    if price is None:
        return ()
    speak = Translator(settings.community.default_locale)
    text = speak.gettext(N_("Unlock for {price}"), price=format_money(price, speak.locale))
    return (Button(text, command=f"/unlock {label(drop.id)}"),)


async def _copies(uow: UnitOfWork, drop: Drop) -> dict[tuple[str, str], list[str]]:
    """The messages that show the drop, by chat, in the order they were posted."""
    content = await uow.contents.by_ref(content_ref(drop.id))
    if content is None:
        return {}
    copies: dict[tuple[str, str], list[str]] = defaultdict(list)
    for message in await uow.contents.messages_of(content.id):
        if message.role == COPY:
            copies[message.platform, message.chat_id].append(message.message_id)
    return dict(copies)

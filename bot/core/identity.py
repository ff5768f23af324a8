"""Who is this? Platform accounts -> members, and member references typed in commands."""

from __future__ import annotations

import re
from datetime import datetime

from bot.config import Settings
from bot.core.events import Actor, Platform
from bot.core.i18n import Translator, negotiate
from bot.core.permissions import Level
from bot.core.text import clean_name
from storage.models import Member, PlatformIdentity
from storage.uow import UnitOfWork

_DISCORD_MENTION = re.compile(r"^<@!?(\d{1,20})>$")
_MEMBER_ID = re.compile(r"^#(\d{1,18})$")


async def resolve_actor(uow: UnitOfWork, actor: Actor, now: datetime) -> PlatformIdentity:
    """Find the member behind a platform account, creating one on first contact."""
    display_name = clean_name(actor.display_name or actor.username or actor.user_id)
    username = clean_name(actor.username) if actor.username else None
    identity = await uow.members.identity(actor.platform, actor.user_id)
    if identity is None:
        identity = await uow.members.create_with_identity(
            platform=actor.platform,
            platform_user_id=actor.user_id,
            display_name=display_name,
            username=username,
            level=Level.MEMBER,
            now=now,
        ) or await uow.members.identity(actor.platform, actor.user_id)
        if identity is None:
            raise RuntimeError("identity vanished right after it was created")
    if actor.display_name:
        identity.display_name = display_name
        identity.username = username
    identity.last_seen_at = now
    identity.language = negotiate(actor.locale_hint) or identity.language
    if actor.level is not None and identity.level != actor.level:
        await uow.audit.record(
            "role.changed",
            at=now,
            actor_id=None,
            subject_id=identity.member_id,
            detail={
                "platform": actor.platform.value,
                "from": Level(identity.level).name.lower(),
                "to": actor.level.name.lower(),
            },
        )
        identity.level = actor.level
    return identity


def member_level(member: Member) -> Level:
    """A member holds the highest level any of their linked accounts is vouched for."""
    return max((Level(identity.level) for identity in member.identities), default=Level.MEMBER)


async def find_member(uow: UnitOfWork, platform: Platform, reference: str) -> Member | None:
    """`#12` (member id), `<@123>` (Discord mention) or `@name` / `name` on this platform."""
    reference = reference.strip()
    if match := _MEMBER_ID.match(reference):
        member = await uow.members.get(int(match.group(1)))
        while member is not None and member.merged_into_id is not None:
            member = await uow.members.get(member.merged_into_id)
        return member
    if match := _DISCORD_MENTION.match(reference):
        identity = await uow.members.identity(Platform.DISCORD, match.group(1))
        return identity.member if identity else None
    return await uow.members.find_by_username(platform, reference.removeprefix("@"))


def member_language(member: Member) -> str | None:
    """The language a member chose, else the one their most recently used platform reports."""
    if member.locale:
        return member.locale
    seen = sorted(member.identities, key=lambda i: i.last_seen_at, reverse=True)
    return next((i.language for i in seen if i.language), None)


async def speaker(uow: UnitOfWork, settings: Settings, member_id: int) -> Translator:
    """How to speak to a member outside a command (a DM from a job or a payment): in their
    language, else the community's."""
    member = await uow.members.get(member_id)
    language = member_language(member) if member else None
    return Translator(language or settings.community.default_locale)

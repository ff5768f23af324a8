"""Discord payloads -> neutral events. Pure functions over the documented gateway shapes, so
they are tested on captured payloads without a connection."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.config.schema import DiscordConfig
from bot.core.events import (
    Actor,
    Attachment,
    CommandEvent,
    MemberChange,
    MembershipChanged,
    MessagePosted,
    Place,
    Platform,
    ReactionChanged,
)
from bot.core.permissions import Level

Payload = Mapping[str, Any]
# Discord's message type for a reply (a message with a reference to the one it answers).
REPLY_MESSAGE_TYPE = 19


@dataclass(frozen=True)
class GuildFacts:
    """What translation needs to know about the community's server."""

    config: DiscordConfig
    owner_id: int | None = None

    def level_for(self, user_id: int, role_ids: Iterable[int | str]) -> Level:
        """The level the member's Discord roles give; the server owner is the owner."""
        if self.owner_id is not None and user_id == self.owner_id:
            return Level.OWNER
        roles = {int(role) for role in role_ids}
        for level, configured in (
            (Level.ADMIN, self.config.admin_role_ids),
            (Level.MOD, self.config.mod_role_ids),
            (Level.CREATOR, self.config.creator_role_ids),
        ):
            if roles & set(configured):
                return level
        return Level.MEMBER

    def is_ours(self, guild_id: int | str | None) -> bool:
        """Events from other servers the bot was added to are not the community's."""
        wanted = self.config.guild_id
        return guild_id is None or wanted is None or int(guild_id) == wanted


def actor(
    user: Payload,
    facts: GuildFacts,
    *,
    member: Payload | None = None,
    locale: str | None = None,
) -> Actor:
    """A Discord user, and their guild member record, which carries roles and nickname."""
    user_id = int(user["id"])
    display = (member or {}).get("nick") or user.get("global_name") or user.get("username") or ""
    # Without a member record (a DM, a reaction removal) Discord says nothing about roles.
    level = facts.level_for(user_id, member.get("roles", ())) if member is not None else None
    return Actor(
        platform=Platform.DISCORD,
        user_id=str(user_id),
        display_name=display,
        username=user.get("username"),
        locale_hint=locale,
        level=level,
        is_bot=bool(user.get("bot")),
    )


def place(channel_id: int | str, guild_id: int | str | None) -> Place:
    return Place(platform=Platform.DISCORD, chat_id=str(channel_id), is_private=guild_id is None)


def command(
    who: Actor,
    where: Place,
    name: str,
    *,
    subcommand: str | None = None,
    options: Mapping[str, str] | None = None,
    arguments: str = "",
    attachments: Mapping[str, Attachment] | None = None,
) -> CommandEvent:
    """A slash command (its subcommand, typed options as text: users as `<@id>` mentions;
    files apart), or a pressed command button (the command's text after its name, as a member
    would type it)."""
    return CommandEvent(
        actor=who,
        place=where,
        name=name,
        subcommand=subcommand,
        arguments=arguments,
        options=dict(options) if options is not None else None,
        attachments=dict(attachments or {}),
    )


def message_posted(d: Payload, facts: GuildFacts) -> MessagePosted | None:
    """MESSAGE_CREATE from a person (not a bot or webhook) in the community's server."""
    if d.get("webhook_id") or not facts.is_ours(d.get("guild_id")):
        return None
    author = d["author"]
    reference = d.get("message_reference") or {}
    reply_to = reference.get("message_id") if d.get("type") == REPLY_MESSAGE_TYPE else None
    return MessagePosted(
        actor=actor(author, facts, member=d.get("member")),
        place=place(d["channel_id"], d.get("guild_id")),
        message_id=str(d["id"]),
        text=d.get("content", ""),
        reply_to=str(reply_to) if reply_to else None,
    )


def reaction_changed(d: Payload, facts: GuildFacts, *, added: bool) -> ReactionChanged | None:
    """MESSAGE_REACTION_ADD / _REMOVE. Raw events: they come for messages not in any cache."""
    if not facts.is_ours(d.get("guild_id")):
        return None
    member = d.get("member")
    user = (member or {}).get("user") or {"id": d["user_id"]}
    return ReactionChanged(
        actor=actor(user, facts, member=member),
        place=place(d["channel_id"], d.get("guild_id")),
        message_id=str(d["message_id"]),
        emoji=emoji_text(d["emoji"]),
        added=added,
    )


def membership_changed(
    d: Payload, facts: GuildFacts, change: MemberChange
) -> MembershipChanged | None:
    """GUILD_MEMBER_ADD / _REMOVE / _UPDATE. Someone who left holds no Discord role any more."""
    if not facts.is_ours(d.get("guild_id")):
        return None
    member = {"roles": []} if change is MemberChange.LEFT else d
    return MembershipChanged(
        actor=actor(d["user"], facts, member=member),
        place=place(d["guild_id"], d["guild_id"]),
        change=change,
    )


def emoji_text(emoji: Payload) -> str:
    """Unicode emoji as themselves; custom ones in Discord's `<:name:id>` form."""
    if emoji.get("id"):
        prefix = "a" if emoji.get("animated") else ""
        return f"<{prefix}:{emoji.get('name') or '_'}:{emoji['id']}>"
    return str(emoji.get("name") or "")


def gateway_event(
    frame: Payload, facts: GuildFacts
) -> MessagePosted | ReactionChanged | MembershipChanged | None:
    """A raw gateway frame -> the neutral event it stands for, or None if it is not one."""
    if frame.get("op") != 0:
        return None
    d = frame["d"]
    match frame.get("t"):
        case "MESSAGE_CREATE":
            return message_posted(d, facts)
        case "MESSAGE_REACTION_ADD":
            return reaction_changed(d, facts, added=True)
        case "MESSAGE_REACTION_REMOVE":
            return reaction_changed(d, facts, added=False)
        case "GUILD_MEMBER_ADD":
            return membership_changed(d, facts, MemberChange.JOINED)
        case "GUILD_MEMBER_REMOVE":
            return membership_changed(d, facts, MemberChange.LEFT)
        case "GUILD_MEMBER_UPDATE":
            return membership_changed(d, facts, MemberChange.UPDATED)
    return None

"""Channels and what is posted in them, as Discord API v10 shapes them: text, forum, thread and
DM channels, messages (with the mentions they really ping), reactions and attachments."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from tests.fakes.discord.wire import FORUM_CHANNEL, JSON, PUBLIC_THREAD, TEXT_CHANNEL


def text_channel(channel_id: int, guild_id: int, name: str, position: int) -> JSON:
    return {
        "id": str(channel_id),
        "type": TEXT_CHANNEL,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "topic": None,
        "nsfw": False,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "parent_id": None,
        "last_pin_timestamp": None,
        "flags": 0,
    }


def forum_channel(channel_id: int, guild_id: int, name: str, position: int) -> JSON:
    """A GUILD_FORUM channel: only threads (posts) can be created in it."""
    return {
        **text_channel(channel_id, guild_id, name, position),
        "type": FORUM_CHANNEL,
        "available_tags": [],
        "default_reaction_emoji": None,
        "default_sort_order": None,
        "default_forum_layout": 0,
        "default_thread_rate_limit_per_user": 0,
    }


def thread_channel(
    thread_id: int,
    parent: JSON,
    owner_id: int,
    name: str,
    auto_archive_duration: int,
    *,
    created: str,
) -> JSON:
    """A PUBLIC_THREAD in `parent` (a text or forum channel), as Start Thread returns it at
    `created` (ISO 8601)."""
    payload: JSON = {
        "id": str(thread_id),
        "guild_id": parent["guild_id"],
        "parent_id": parent["id"],
        "owner_id": str(owner_id),
        "name": name,
        "type": PUBLIC_THREAD,
        "last_message_id": None,
        "message_count": 0,
        "member_count": 1,
        "rate_limit_per_user": 0,
        "flags": 0,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": auto_archive_duration,
            "archive_timestamp": created,
            "locked": False,
            "create_timestamp": created,
        },
        "total_message_sent": 0,
    }
    if parent["type"] == FORUM_CHANNEL:
        payload["applied_tags"] = []
    return payload


def dm_channel(channel_id: int, recipient: JSON) -> JSON:
    return {
        "id": str(channel_id),
        "type": 1,
        "last_message_id": None,
        "flags": 0,
        "recipients": [recipient],
    }


_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


def mentions(
    content: str, allowed: Mapping[str, Any] | None, replied_user: JSON | None
) -> tuple[list[int], list[int], bool]:
    """(user ids, role ids, @everyone) a message really pings, honouring allowed_mentions the
    way Discord does: no allowed_mentions = parse everything; `parse` and explicit id lists."""
    parse = set(allowed.get("parse", [])) if allowed is not None else {"users", "roles", "everyone"}
    allowed_users = {int(u) for u in (allowed or {}).get("users", [])}
    allowed_roles = {int(r) for r in (allowed or {}).get("roles", [])}
    users = [
        int(u)
        for u in _USER_MENTION.findall(content)
        if "users" in parse or int(u) in allowed_users
    ]
    roles = [
        int(r)
        for r in _ROLE_MENTION.findall(content)
        if "roles" in parse or int(r) in allowed_roles
    ]
    ping_replied = allowed is None or bool(allowed.get("replied_user", False))
    if replied_user is not None and ping_replied and int(replied_user["id"]) not in users:
        users.append(int(replied_user["id"]))
    everyone = "everyone" in parse and ("@everyone" in content or "@here" in content)
    return list(dict.fromkeys(users)), list(dict.fromkeys(roles)), everyone


def message(
    *,
    message_id: int,
    timestamp: str,
    channel_id: int,
    author: JSON,
    content: str,
    mentioned_users: Sequence[JSON] = (),
    mention_roles: Sequence[int] = (),
    mention_everyone: bool = False,
    embeds: Sequence[JSON] = (),
    components: Sequence[JSON] = (),
    attachments: Sequence[JSON] = (),
    flags: int = 0,
    message_type: int = 0,
    reference: JSON | None = None,
    referenced: JSON | None = None,
    webhook_id: int | None = None,
    interaction_metadata: JSON | None = None,
) -> JSON:
    """A message object as REST returns it (gateway events add guild_id and member)."""
    payload: JSON = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": author,
        "content": content,
        "timestamp": timestamp,
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": mention_everyone,
        "mentions": list(mentioned_users),
        "mention_roles": [str(r) for r in mention_roles],
        "attachments": list(attachments),
        "embeds": [{"type": "rich", **e} for e in embeds],
        "pinned": False,
        "type": message_type,
        "flags": flags,
        "components": list(components),
    }
    if reference is not None:
        payload["message_reference"] = reference
        payload["referenced_message"] = referenced
    if webhook_id is not None:
        payload["webhook_id"] = str(webhook_id)
        payload["application_id"] = str(webhook_id)
    if interaction_metadata is not None:
        payload["interaction_metadata"] = interaction_metadata
    return payload


def emoji(text: str) -> JSON:
    """`name` for a unicode emoji, `name:id` or `a:name:id` for a custom one."""
    parts = text.split(":")
    if len(parts) >= 2 and parts[-1].isdigit():
        return {"id": parts[-1], "name": parts[-2], "animated": parts[0] == "a"}
    return {"id": None, "name": text}


def reaction_event(
    *, user_id: int, channel_id: int, message_id: int, emoji_text: str, guild_id: int | None
) -> JSON:
    payload: JSON = {
        "user_id": str(user_id),
        "channel_id": str(channel_id),
        "message_id": str(message_id),
        "emoji": emoji(emoji_text),
        "burst": False,
        "type": 0,  # 0 normal, 1 burst ("super") reaction; discord.py reads it unguarded
    }
    if guild_id is not None:
        payload["guild_id"] = str(guild_id)
    return payload


def attachment(
    host: str,
    channel_id: int,
    filename: str,
    size: int,
    content_type: str | None = None,
    *,
    attachment_id: int,
) -> JSON:
    """An attachment object: its CDN url is on the fake's host, which serves the bytes."""
    url = f"{host}/attachments/{channel_id}/{attachment_id}/{filename}"
    found: JSON = {
        "id": str(attachment_id),
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url,
    }
    if content_type is not None:
        found["content_type"] = content_type
    return found

"""Payload builders for the fake Discord: the documented shapes of Discord API v10 objects.

Field lists follow the Discord developer documentation (user, guild member, role, channel,
guild, message, interaction objects). Keys that discord.py 2.7 indexes without a default are
always present — `member.flags`, `interaction.attachment_size_limit`, `interaction.version`,
`reaction.type` — because a missing one crashes its parser instead of failing a test clearly.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

JSON = dict[str, Any]
DISCORD_EPOCH_MS = 1_420_070_400_000

# Gateway intents (https://discord.com/developers/docs/events/gateway#gateway-intents).
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
GUILD_MESSAGE_REACTIONS = 1 << 10
DIRECT_MESSAGES = 1 << 12
DIRECT_MESSAGE_REACTIONS = 1 << 13
MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT

# Permission bits (https://discord.com/developers/docs/topics/permissions).
ADMINISTRATOR = 1 << 3
MANAGE_ROLES = 1 << 28
MANAGE_MESSAGES = 1 << 13
ALL_PERMISSIONS = (1 << 51) - 1
EVERYONE_PERMISSIONS = (
    (1 << 0)  # create invite
    | (1 << 6)  # add reactions
    | (1 << 10)  # view channel
    | (1 << 11)  # send messages
    | (1 << 14)  # embed links
    | (1 << 15)  # attach files
    | (1 << 16)  # read message history
    | (1 << 18)  # external emojis
    | (1 << 26)  # change nickname
    | (1 << 31)  # use application commands
    | (1 << 35)  # create public threads
    | (1 << 38)  # send messages in threads
)
MOD_PERMISSIONS = (
    (1 << 1) | (1 << 2) | (1 << 7) | (1 << 13) | (1 << 40)
)  # kick ban audit msgs timeout
BOT_PERMISSIONS = EVERYONE_PERMISSIONS | MANAGE_ROLES | MANAGE_MESSAGES

# Channel types (https://discord.com/developers/docs/resources/channel#channel-object-channel-types).
TEXT_CHANNEL = 0
ANNOUNCEMENT_CHANNEL = 5
PUBLIC_THREAD = 11
FORUM_CHANNEL = 15
THREAD_TYPES = frozenset({10, PUBLIC_THREAD, 12})

EPHEMERAL = 1 << 6
LOADING = 1 << 7
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024

_sequence = itertools.count()
_issued = [0]  # the last snowflake handed out


def snowflake() -> int:
    """A fresh, increasing snowflake that encodes now, so discord.py's created_at is sane."""
    stamp = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
    _issued[0] = max(stamp | (next(_sequence) & 0xFFF), _issued[0] + 1)
    return _issued[0]


def iso_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def user(user_id: int, username: str, *, bot: bool = False) -> JSON:
    return {
        "id": str(user_id),
        "username": username,
        "discriminator": "0",  # pomelo usernames: no discriminators any more
        "global_name": None if bot else username.title(),
        "avatar": None,
        "bot": bot,
        "system": False,
        "banner": None,
        "accent_color": None,
        "public_flags": 0,
        "avatar_decoration_data": None,
    }


def member(user_payload: JSON, roles: Iterable[int], joined_at: str) -> JSON:
    return {
        "user": user_payload,
        "nick": None,
        "avatar": None,
        "banner": None,
        "roles": [str(r) for r in roles],
        "joined_at": joined_at,
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
        "avatar_decoration_data": None,
    }


def without_user(member_payload: JSON) -> JSON:
    """Members embedded in MESSAGE_CREATE and `resolved` carry no `user` key."""
    return {k: v for k, v in member_payload.items() if k != "user"}


def role(role_id: int, name: str, position: int, permissions: int, **extra: Any) -> JSON:
    return {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": str(permissions),
        "managed": False,
        "mentionable": False,
        "flags": 0,
        **extra,
    }


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
    thread_id: int, parent: JSON, owner_id: int, name: str, auto_archive_duration: int
) -> JSON:
    """A PUBLIC_THREAD in `parent` (a text or forum channel), as Start Thread returns it."""
    created = iso_now()
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


def guild(
    guild_id: int, name: str, owner_id: int, roles: Sequence[JSON], system_channel: int
) -> JSON:
    """The guild object as GET /guilds/{id} returns it (no channels or members)."""
    return {
        "id": str(guild_id),
        "name": name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "owner_id": str(owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "widget_enabled": False,
        "widget_channel_id": None,
        "verification_level": 0,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "roles": list(roles),
        "emojis": [],
        "features": [],
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": str(system_channel),
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "max_presences": None,
        "max_members": 500000,
        "vanity_url_code": None,
        "description": None,
        "banner": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "public_updates_channel_id": None,
        "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50,
        "nsfw_level": 0,
        "stickers": [],
        "premium_progress_bar_enabled": False,
        "safety_alerts_channel_id": None,
        "incidents_data": None,
    }


def guild_create(
    base: JSON, *, channels: list[JSON], members: list[JSON], member_count: int
) -> JSON:
    """GUILD_CREATE = the guild object plus the gateway-only extra fields."""
    return {
        **base,
        "joined_at": iso_now(),
        "large": False,
        "unavailable": False,
        "member_count": member_count,
        "voice_states": [],
        "members": members,
        "channels": channels,
        "threads": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


def application(app_id: int, bot_user: JSON, owner: JSON, flags: int) -> JSON:
    """GET /oauth2/applications/@me. interactions_endpoint_url must stay None: when it is set
    Discord delivers interactions by HTTP, not on the gateway (discord.py warns about it)."""
    return {
        "id": str(app_id),
        "name": "knowpay-test",
        "icon": None,
        "description": "",
        "summary": "",
        "type": None,
        "bot": bot_user,
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": owner,
        "team": None,
        "verify_key": "0" * 64,
        "flags": flags,
        "rpc_origins": [],
        "approximate_guild_count": 1,
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "tags": [],
        "integration_types_config": {"0": {}},
    }


def application_flags(privileged: int) -> int:
    """The *_LIMITED flags an unverified bot gets for each privileged intent switched on."""
    flags = 0
    if privileged & GUILD_PRESENCES:
        flags |= 1 << 13
    if privileged & GUILD_MEMBERS:
        flags |= 1 << 15
    if privileged & MESSAGE_CONTENT:
        flags |= 1 << 19
    return flags


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
        "timestamp": iso_now(),
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


def error(status: int, code: int | None = None, message: str | None = None) -> JSON:
    """Discord's JSON error body for a status and an error code."""
    known = {
        0: "Bad Request",
        10002: "Unknown Application",
        10003: "Unknown Channel",
        10004: "Unknown Guild",
        10007: "Unknown Member",
        10008: "Unknown Message",
        10011: "Unknown Role",
        10013: "Unknown User",
        10014: "Unknown Emoji",
        10015: "Unknown Webhook",
        10062: "Unknown interaction",
        40060: "Interaction has already been acknowledged.",
        50001: "Missing Access",
        50005: "Cannot edit a message authored by another user",
        50006: "Cannot send an empty message",
        50007: "Cannot send messages to this user",
        50013: "Missing Permissions",
        50024: "Cannot execute action on this channel type",
        50035: "Invalid Form Body",
        160004: "A thread has already been created for this message",
    }
    if status == 401:
        return {"message": "401: Unauthorized", "code": 0}
    if status == 404 and code is None:
        return {"message": "404: Not Found", "code": 0}
    if status >= 500:
        return {"message": message or "Internal Server Error", "code": 0}
    if code is None:
        code = 50013 if status == 403 else 0
    return {"message": message or known.get(code, "Error"), "code": code}


def ready(
    *,
    bot_user: JSON,
    guild_ids: Sequence[int],
    session_id: str,
    resume_url: str,
    shard: Sequence[int],
    application_id: int,
    application_flags: int,
) -> JSON:
    """READY: the guilds arrive `unavailable` and are filled in by GUILD_CREATE afterwards."""
    return {
        "v": 10,
        "user": {**bot_user, "verified": True, "mfa_enabled": False, "flags": 0},
        "guilds": [{"id": str(g), "unavailable": True} for g in guild_ids],
        "session_id": session_id,
        "resume_gateway_url": resume_url,  # discord.py reconnects (RESUME) to this URL
        "shard": list(shard),
        "application": {"id": str(application_id), "flags": application_flags},
        "private_channels": [],
        "relationships": [],
        "presences": [],
        "user_settings": {},
        "guild_join_requests": [],
        "geo_ordered_rtc_regions": [],
        "_trace": ["fake-discord"],
    }


def interaction(
    *,
    kind: int,
    application_id: int,
    channel: JSON,
    data: JSON,
    token: str,
    locale: str,
    app_permissions: int,
    user: JSON,
    member: JSON | None,
    permissions: int,
    message: JSON | None,
) -> JSON:
    """INTERACTION_CREATE. In a guild the invoker is `member` (with `permissions`); in a DM it
    is `user`. discord.py indexes `attachment_size_limit` and `version` without defaults."""
    payload: JSON = {
        "id": str(snowflake()),
        "application_id": str(application_id),
        "type": kind,
        "data": data,
        "channel_id": channel["id"],
        "token": token,
        "version": 1,
        "app_permissions": str(app_permissions),
        "locale": locale,
        "entitlements": [],
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
    }
    if message is not None:
        payload["message"] = message
    if member is None:  # a DM with the bot
        return {**payload, "channel": channel, "user": user, "context": 1}
    guild_id = channel["guild_id"]
    return {
        **payload,
        "guild": {"id": guild_id, "locale": "en-US", "features": []},
        "guild_id": guild_id,
        "guild_locale": "en-US",
        "channel": {**channel, "permissions": str(permissions)},
        "member": {**member, "permissions": str(permissions)},
        "authorizing_integration_owners": {"0": guild_id},
        "context": 0,
    }


def scalar_option(option: JSON, raw: Any) -> Any:
    """A STRING/INTEGER/BOOLEAN/NUMBER value coerced to the declared type and checked the way
    Discord's own client checks input (bounds, choices) before it sends the interaction."""
    kind, name = option["type"], option["name"]
    value: Any
    if kind == 3:
        value = str(raw)
        if not option.get("min_length", 0) <= len(value) <= option.get("max_length", 6000):
            raise ValueError(f"{name}: length outside the declared bounds")
    elif kind in (4, 10):
        value = int(raw) if kind == 4 else float(raw)
        if not option.get("min_value", -math.inf) <= value <= option.get("max_value", math.inf):
            raise ValueError(f"{name}: {value} outside the declared bounds")
    elif kind == 5:
        value = bool(raw)
    else:
        raise ValueError(f"{name}: cannot give {raw!r} for an option of type {kind}")
    choices = [c["value"] for c in option.get("choices") or []]
    if choices and value not in choices:
        raise ValueError(f"{name}: {value!r} is not one of the choices {choices}")
    return value


def walk(components: Sequence[JSON]) -> list[JSON]:
    """Every component, depth first (action rows, labels, sections, containers)."""
    found: list[JSON] = []
    for component in components:
        found.append(component)
        nested = list(component.get("components", []))
        nested += [component[k] for k in ("component", "accessory") if k in component]
        found.extend(walk(nested))
    return found


def find_component(components: Sequence[JSON], custom_id: str) -> JSON | None:
    return next((c for c in walk(components) if c.get("custom_id") == custom_id), None)


def modal_submission(components: Sequence[JSON], values: Mapping[str, str]) -> list[JSON]:
    """A MODAL_SUBMIT mirrors the modal's layout: action rows (type 1) or labels (type 18)
    around text inputs (type 4), each with its `value`; discord.py walks both layouts."""
    out: list[JSON] = []
    for component in components:
        if component["type"] == 1:
            out.append({"type": 1, "components": modal_submission(component["components"], values)})
        elif component["type"] == 18:
            inner = modal_submission([component["component"]], values)
            if inner:
                out.append({"type": 18, "id": component.get("id", 0), "component": inner[0]})
        elif component["type"] == 4:
            custom_id, value = component["custom_id"], values.get(component["custom_id"], "")
            if component.get("required", True) and not value:
                raise ValueError(f"text input {custom_id!r} is required")
            if (
                not component.get("min_length", 0)
                <= len(value)
                <= component.get("max_length", 4000)
            ):
                raise ValueError(f"text input {custom_id!r}: length out of bounds")
            out.append(
                {"type": 4, "id": component.get("id", 0), "custom_id": custom_id, "value": value}
            )
    return out


def ratelimit_headers(bucket: str, *, remaining: int, reset_after: float) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": "50",
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
        "X-RateLimit-Reset-After": f"{reset_after:.3f}",
        "X-RateLimit-Bucket": bucket,
    }


def rate_limited(bucket: str, retry_after: float) -> tuple[JSON, dict[str, str]]:
    """A 429's body and headers. discord.py retries only when `Via` is present: without it
    the 429 is taken for a Cloudflare ban and raised at once."""
    headers = ratelimit_headers(bucket, remaining=0, reset_after=retry_after)
    headers.update({"Retry-After": str(math.ceil(retry_after)), "X-RateLimit-Scope": "user"})
    body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": False}
    return body, headers


def attachment(
    host: str, channel_id: int, filename: str, size: int, content_type: str | None = None
) -> JSON:
    """An attachment object: its CDN url is on the fake's host, which serves the bytes."""
    attachment_id = snowflake()
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

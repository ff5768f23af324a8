"""The guild, its members and roles, and the bot's application and session, as Discord API v10
shapes them (user, guild member, role, guild, application and READY objects)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from tests.fakes.discord.wire import GUILD_MEMBERS, GUILD_PRESENCES, JSON, MESSAGE_CONTENT


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
    base: JSON, *, channels: list[JSON], members: list[JSON], member_count: int, joined_at: str
) -> JSON:
    """GUILD_CREATE = the guild object plus the gateway-only extra fields."""
    return {
        **base,
        "joined_at": joined_at,
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

"""What every part of the fake Discord speaks: the JSON alias, Discord's constants (intents,
permissions, channel types, message flags), ids and timestamps from the fake's clock, error bodies
and rate-limit headers.

The *_payloads modules beside it build the documented shapes of Discord API v10 objects: field
lists follow the Discord developer documentation (user, guild member, role, channel, guild,
message, interaction objects). Keys that discord.py 2.7 indexes without a default are always
present — `member.flags`, `interaction.attachment_size_limit`, `interaction.version`,
`reaction.type` — because a missing one crashes its parser instead of failing a test clearly.
"""

from __future__ import annotations

import itertools
import math
import time
from typing import Any

from bot.core.clock import Clock

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


class Snowflakes:
    """Fresh, increasing snowflakes that encode the fake's clock, so discord.py's `created_at`
    reads the test's time; ids made at one instant still increase."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._sequence = itertools.count()
        self._issued = 0  # the last snowflake handed out

    def __call__(self) -> int:
        now_ms = int(self._clock.now().timestamp() * 1000)
        stamp = (now_ms - DISCORD_EPOCH_MS) << 22
        self._issued = max(stamp | (next(self._sequence) & 0xFFF), self._issued + 1)
        return self._issued


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


def ratelimit_headers(bucket: str, *, remaining: int, reset_after: float) -> dict[str, str]:
    """Discord's rate-limit headers. `X-RateLimit-Reset` is an epoch time on the real clock,
    not the fake's: discord.py compares it with the wall clock, whatever time the test is at."""
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


# The locales Discord localizes commands in ("Locales",
# https://discord.com/developers/docs/reference#locales).
LOCALES = frozenset(
    {
        "id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt",
        "hu", "nl", "no", "pl", "pt-BR", "ro", "fi", "sv-SE", "vi", "tr", "cs", "el",
        "bg", "ru", "uk", "hi", "th", "zh-CN", "ja", "zh-TW", "ko",
    }
)  # fmt: skip

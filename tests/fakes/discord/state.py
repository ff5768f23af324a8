"""What every part of the fake Discord shares: the guild's state in one object, the clock it
stamps with, the recorded REST calls, and the error a handler raises to answer with."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.core.clock import Clock, FakeClock
from tests.fakes.discord import channel_payloads, guild_payloads, wire
from tests.fakes.discord.wire import JSON
from tests.fakes.recording import CallLog, Failures

if TYPE_CHECKING:
    from tests.fakes.discord.gateway import Connection, Session
    from tests.fakes.discord.interactions import PendingInteraction

API_PREFIX = "/api/v10"


@dataclass
class RecordedCall:
    """One REST request as the fake received it, and what it answered."""

    method: str
    path: str  # after /api/v10, percent-decoded
    query: dict[str, str]
    json: Any  # the JSON body, or a multipart request's parsed payload_json
    headers: dict[str, str]  # Authorization, Content-Type, X-Audit-Log-Reason (decoded)
    files: dict[str, bytes] = field(default_factory=dict)  # uploaded file name -> bytes
    status: int | None = None
    response: Any = None


class ApiError(Exception):
    def __init__(self, status: int, code: int | None = None, message: str | None = None) -> None:
        super().__init__(status, code, message)
        self.body = wire.error(status, code, message)
        self.status = status


@dataclass
class Failure:
    """What `fail_next` injected: the status to answer with instead of running the endpoint."""

    status: int
    retry_after: float
    code: int | None


Handler = Callable[[RecordedCall, re.Match[str]], Awaitable[tuple[int, Any]]]

Route = tuple[str, str, Handler, bool]  # methods, path regex (after /api/v10), handler, auth


class DiscordState:
    """Discord for one guild and one bot: every store the resources share, kept in one object
    (the resource mixins of FakeDiscord read and write it)."""

    TOKEN = "fake-bot-token"

    def __init__(
        self, *, guild_id: int, application_id: int, bot_user_id: int, clock: Clock | None
    ) -> None:
        self.guild_id, self.application_id, self.bot_user_id = guild_id, application_id, bot_user_id
        self.clock: Clock = clock or FakeClock()  # stamps ids and timestamps, never the wall
        self._snowflake = wire.Snowflakes(self.clock)
        self.api_base_url = ""
        self.gateway_url = ""
        self.interaction_deadline = 3.0  # seconds Discord waits for the initial response
        self.privileged_intents = wire.PRIVILEGED_INTENTS  # switched on in the "developer portal"
        self._changed = asyncio.Condition()
        self._calls = CallLog[RecordedCall](self._changed)
        self.calls = self._calls.items
        self.synced_commands: list[JSON] = []
        self.commands_by_scope: dict[int | None, list[JSON]] = {}  # None = global
        self.messages: dict[int, list[JSON]] = {}  # bot posts, follow-ups, DMs (not originals)
        self.deleted: list[JSON] = []  # every message deleted, anyone's, as it last was
        self.dm_closed: set[int] = set()
        names = ("general", "qa", "drops", "report")
        self.channels = {name: guild_id + i for i, name in enumerate(names, start=1)}
        ranked = ("member", "pro", "creator", "bot", "mod", "admin")  # by position, low to high
        self.roles = {name: guild_id + 10 + i for i, name in enumerate(ranked, start=1)}
        self.owner_id = guild_id + 99
        perms = {
            "bot": wire.BOT_PERMISSIONS,
            "mod": wire.MOD_PERMISSIONS,
            "admin": wire.ADMINISTRATOR,
        }
        self._roles: dict[int, JSON] = {
            guild_id: guild_payloads.role(guild_id, "@everyone", 0, wire.EVERYONE_PERMISSIONS)
        }
        for position, name in enumerate(ranked, start=1):
            extra: JSON = (
                {"managed": True, "tags": {"bot_id": str(bot_user_id)}} if name == "bot" else {}
            )
            role_id = self.roles[name]
            self._roles[role_id] = guild_payloads.role(
                role_id, name, position, perms.get(name, 0), **extra
            )
        self._channels: dict[int, JSON] = {
            cid: channel_payloads.text_channel(cid, guild_id, name, pos)
            for pos, (name, cid) in enumerate(self.channels.items())
        }
        forum = self.channels["forum"] = guild_id + len(names) + 1
        self._channels[forum] = channel_payloads.forum_channel(forum, guild_id, "forum", len(names))
        self.threads: dict[int, JSON] = {}  # every thread started, by id
        self._dm_by_user: dict[int, int] = {}
        self._users: dict[int, JSON] = {}
        self._members: dict[int, JSON] = {}
        self._by_id: dict[int, JSON] = {}  # every message, anyone's
        self._interactions: dict[str, PendingInteraction] = {}  # by token
        self._modals: dict[
            str, tuple[JSON, PendingInteraction]
        ] = {}  # by custom_id: modal, its origin
        self._failures = Failures[Failure]()
        self._nonces: dict[tuple[int, str], JSON] = {}
        self._cdn: dict[str, bytes] = {}  # attachment url path -> bytes
        self._uploaded: dict[str, JSON] = {}  # attachment id -> attachment, for options
        self._connections: list[Connection] = []  # the gateway's open websockets
        self._sessions: dict[str, Session] = {}  # by session id, for RESUME

    def _routes(self) -> list[Route]:
        """The REST endpoints; each resource adds its own."""
        return []

    def _iso_now(self) -> str:
        return self.clock.now().isoformat()

    def _channel(self, channel_id: str) -> JSON:
        if int(channel_id) not in self._channels:
            raise ApiError(404, 10003)
        return self._channels[int(channel_id)]

    def _guild(self, guild_id: str) -> None:
        if int(guild_id) != self.guild_id:
            raise ApiError(404, 10004)

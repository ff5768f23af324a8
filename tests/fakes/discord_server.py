"""A fake Discord on loopback that the REAL discord.py 2.7 client runs against.

It speaks Discord's wire protocols: REST under /api/v10 and the JSON websocket gateway at /.
Point a client at it with `discord.http.Route.BASE = fake.api_base_url` and
`discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)`.

Where Discord's behaviour would surprise a bot, the fake behaves like Discord, so the adapter's
tests catch what production would hit:
- GUILD_CREATE lists every member only when the client asked for the GUILD_PRESENCES intent;
  otherwise just the bot (chunk with op 8 / `guild.chunk()` to fill the member cache).
- Without the MESSAGE_CONTENT intent, other users' messages arrive with empty content unless
  they mention the bot or are DMs; events the client has no intent for are not sent at all.
- An interaction must be answered within `interaction_deadline` seconds (3, as on Discord) and
  only once; follow-ups need the initial response first.
- The bot cannot grant a role at or above its own highest role, nor a managed role.
- 429 responses carry `Via` (discord.py treats a 429 without it as a Cloudflare ban).
- Deleting another user's message needs Manage Messages (the bot's role has it); a message
  already deleted is 404 Unknown Message. Deletions fire MESSAGE_DELETE.
- The bot edits only its own messages (403 50005 otherwise), within the limits of a new
  message (2000 characters, not empty). Edits fire MESSAGE_UPDATE.
- Threads: one per message, with the message's id; a forum channel takes no messages, only
  posts (a thread and its first message, which shares the thread's id). Creating either fires
  THREAD_CREATE; messages in a thread have the thread as their channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
import secrets
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from tests.fakes import discord_payloads as p
from tests.fakes.discord_payloads import JSON
from tests.fakes.recording import (
    CallLog,
    Failures,
    LoopbackServer,
    notify,
    wait_for_request,
    wait_until,
)

API_PREFIX = "/api/v10"
MEMBERS_PAGE_LIMIT = 1000  # List Guild Members returns at most this many per call
THREAD_NAME_LIMIT = 100
MODAL_COMPONENT_LIMIT = 5
ATTACHMENT_OPTION = 11  # application command option type for a file
ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)  # minutes


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


@dataclass
class InteractionResult:
    """The initial response to an interaction, then follow-ups as they arrive."""

    type: int  # 4 message, 5 deferred, 6 deferred update, 7 update, 9 modal
    content: str | None
    flags: int
    allowed_mentions: dict[str, Any] | None
    components: list[Any]
    embeds: list[Any]
    modal: dict[str, Any] | None
    choices: list[JSON] | None  # autocomplete answers (type 8)
    interaction_id: int
    token: str
    message: JSON | None = None  # the message the response created or updated, if any
    # Each follow-up is the payload the bot sent plus "id" (message id) and "method":
    # POST webhooks/{app}/{token} or PATCH webhooks/{app}/{token}/messages/{id|@original}.
    followups: list[JSON] = field(default_factory=list)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition, repr=False)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & p.EPHEMERAL)

    async def wait_followups(self, n: int = 1, timeout: float = 5.0) -> list[JSON]:  # noqa: ASYNC109
        """All follow-ups once at least `n` have arrived."""
        await wait_until(
            self._changed,
            lambda: len(self.followups) >= n,
            timeout=timeout,
            on_timeout=lambda: f"wanted {n} follow-ups, got {self.followups}",
        )
        return list(self.followups)

    async def _add_followup(self, followup: JSON) -> None:
        async with self._changed:
            self.followups.append(followup)
            self._changed.notify_all()


class _ApiError(Exception):
    def __init__(self, status: int, code: int | None = None, message: str | None = None) -> None:
        super().__init__(status, code, message)
        self.body = p.error(status, code, message)
        self.status = status


@dataclass
class _Failure:
    status: int
    retry_after: float
    code: int | None


@dataclass
class _Session:
    intents: int
    shard: tuple[int, int]
    seq: int = 0
    frames: list[tuple[int, str]] = field(default_factory=list)  # kept for RESUME replays


@dataclass
class _Connection:
    ws: web.WebSocketResponse
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # one writer at a time
    session: _Session | None = None
    ready: bool = False  # identified (or resumed)
    has_guild: bool = False  # ... and its shard owns the guild, which it was sent


@dataclass
class _Pending:
    payload: JSON
    user_id: int
    channel_id: int
    created: float
    done: asyncio.Future[InteractionResult]
    component_message_id: int | None = None
    original_id: int | None = None  # what webhooks/.../messages/@original refers to
    result: InteractionResult | None = None


Handler = Callable[[RecordedCall, re.Match[str]], Awaitable[tuple[int, Any]]]


class FakeDiscord:
    """Discord for one guild and one bot. The public coroutines take `timeout` arguments (ruff's
    ASYNC109 is silenced on them) because the adapter's tests are written against that API."""

    TOKEN = "fake-bot-token"
    HEARTBEAT_INTERVAL_MS = 41250

    def __init__(
        self,
        *,
        guild_id: int = 111111111111111111,
        application_id: int = 900000000000000001,
        bot_user_id: int = 900000000000000001,
    ) -> None:
        self.guild_id, self.application_id, self.bot_user_id = guild_id, application_id, bot_user_id
        self.api_base_url = ""
        self.gateway_url = ""
        self.interaction_deadline = 3.0  # seconds Discord waits for the initial response
        self.privileged_intents = p.PRIVILEGED_INTENTS  # switched on in the "developer portal"
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
        perms = {"bot": p.BOT_PERMISSIONS, "mod": p.MOD_PERMISSIONS, "admin": p.ADMINISTRATOR}
        self._roles: dict[int, JSON] = {
            guild_id: p.role(guild_id, "@everyone", 0, p.EVERYONE_PERMISSIONS)
        }
        for position, name in enumerate(ranked, start=1):
            extra: JSON = (
                {"managed": True, "tags": {"bot_id": str(bot_user_id)}} if name == "bot" else {}
            )
            role_id = self.roles[name]
            self._roles[role_id] = p.role(role_id, name, position, perms.get(name, 0), **extra)
        self._channels: dict[int, JSON] = {
            cid: p.text_channel(cid, guild_id, name, pos)
            for pos, (name, cid) in enumerate(self.channels.items())
        }
        forum = self.channels["forum"] = guild_id + len(names) + 1
        self._channels[forum] = p.forum_channel(forum, guild_id, "forum", len(names))
        self.threads: dict[int, JSON] = {}  # every thread started, by id
        self._dm_by_user: dict[int, int] = {}
        self._users: dict[int, JSON] = {}
        self._members: dict[int, JSON] = {}
        self._by_id: dict[int, JSON] = {}  # every message, anyone's
        self._interactions: dict[str, _Pending] = {}
        self._modals: dict[str, tuple[JSON, _Pending]] = {}
        self._failures = Failures[_Failure]()
        self._nonces: dict[tuple[int, str], JSON] = {}
        self._cdn: dict[str, bytes] = {}  # attachment url path -> bytes
        self._uploaded: dict[str, JSON] = {}  # attachment id -> attachment, for options
        self._connections: list[_Connection] = []
        self._sessions: dict[str, _Session] = {}
        self._server = LoopbackServer()
        self.add_user(bot_user_id, "knowpay", roles=[self.roles["bot"]], bot=True)
        self.add_user(self.owner_id, "owner", roles=[self.roles["admin"]])
        self._routes: list[tuple[str, re.Pattern[str], Handler, bool]] = [
            (m, re.compile(rx), h, auth)
            for m, rx, h, auth in [
                ("GET", r"/users/@me", self._get_me, True),
                ("GET", r"/users/(\d+)", self._get_user, True),
                ("POST", r"/users/@me/channels", self._create_dm, True),
                ("GET", r"/oauth2/applications/@me", self._get_app, True),
                ("GET", r"/gateway", self._get_gateway, False),
                ("GET", r"/gateway/bot", self._get_gateway, True),
                (
                    "GET PUT",
                    r"/applications/(\d+)(?:/guilds/(\d+))?/commands",
                    self._commands,
                    True,
                ),
                ("POST", r"/interactions/(\d+)/([^/]+)/callback", self._callback, False),
                ("POST", r"/webhooks/(\d+)/([^/]+)", self._followup, False),
                (
                    "GET PATCH DELETE",
                    r"/webhooks/(\d+)/([^/]+)/messages/(@original|\d+)",
                    self._hook_msg,
                    False,
                ),
                ("GET", r"/channels/(\d+)", self._get_channel, True),
                ("POST", r"/channels/(\d+)/messages", self._create_message, True),
                ("POST", r"/channels/(\d+)/messages/(\d+)/threads", self._thread_from, True),
                ("POST", r"/channels/(\d+)/threads", self._start_thread, True),
                ("GET PATCH DELETE", r"/channels/(\d+)/messages/(\d+)", self._message, True),
                (
                    "PUT DELETE",
                    r"/channels/(\d+)/messages/(\d+)/reactions/([^/]+)/@me",
                    self._own_reaction,
                    True,
                ),
                ("GET", r"/guilds/(\d+)(?:/(channels|roles))?", self._get_guild, True),
                ("GET", r"/guilds/(\d+)/members", self._list_members, True),
                ("GET PATCH", r"/guilds/(\d+)/members/(\d+)", self._member, True),
                ("PUT DELETE", r"/guilds/(\d+)/members/(\d+)/roles/(\d+)", self._member_role, True),
            ]
        ]

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_get("/", self._gateway)
        app.router.add_get("/attachments/{tail:.*}", self._serve_attachment)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._api)
        await self._server.start(app)
        self.api_base_url = self._server.url(API_PREFIX)
        self.gateway_url = self._server.url("/", scheme="ws")

    async def stop(self) -> None:
        """Close the server; close clients first, or discord.py will try to reconnect."""
        for conn in list(self._connections):
            await conn.ws.close(code=WSCloseCode.GOING_AWAY)
        await self._server.stop()

    # ---- guild state -----------------------------------------------------------------------

    def add_user(
        self, user_id: int, username: str, *, roles: Sequence[int] = (), bot: bool = False
    ) -> JSON:
        """Add a guild member silently (no event) and return it, `user` included.

        Like Discord, GUILD_CREATE lists members only for clients with the presences intent;
        others learn of them by chunking (op 8), events, or REST."""
        self._users[user_id] = p.user(user_id, username, bot=bot)
        self._members[user_id] = p.member(self._users[user_id], roles, p.iso_now())
        return self._members[user_id]

    def add_channel(self, name: str) -> int:
        """Add a text channel to the guild (before start: GUILD_CREATE lists it) and return
        its id, also kept in `channels[name]`."""
        channel_id = self.guild_id + 30 + len(self._channels)  # clear of the roles' ids
        self._channels[channel_id] = p.text_channel(
            channel_id, self.guild_id, name, len(self._channels)
        )
        self.channels[name] = channel_id
        return channel_id

    def upload(
        self, filename: str, data: bytes, *, content_type: str = "application/octet-stream"
    ) -> str:
        """A user picks a file for an ATTACHMENT option: Discord's client uploads it first and
        the interaction names it by id (pass the id as the option's value)."""
        [stored] = self._store_files(self.channels["general"], {filename: data}, content_type)
        self._uploaded[stored["id"]] = stored
        return str(stored["id"])

    def file_bytes(self, attachment: JSON) -> bytes:
        """What an attachment of a message holds, as its CDN url serves it."""
        return self._cdn[urllib.parse.urlsplit(attachment["url"]).path]

    def config(self, **more: object) -> dict[str, object]:
        """The `[discord]` settings that point knowpay at this fake, plus `more`."""
        return {
            "guild_id": self.guild_id,
            "api_base_url": self.api_base_url,
            "gateway_url": self.gateway_url,
            **more,
        }

    def member_roles(self, user_id: int) -> list[int]:
        return [int(r) for r in self._members[user_id]["roles"]]

    def dms_to(self, user_id: int) -> list[JSON]:
        """What the bot sent `user_id` in private messages, oldest first."""
        channel = self._dm_by_user.get(user_id)
        return list(self.messages.get(channel, [])) if channel is not None else []

    def _permissions(self, user_id: int) -> int:
        if user_id == self.owner_id:
            return p.ALL_PERMISSIONS
        value = int(self._roles[self.guild_id]["permissions"])
        for role_id in self.member_roles(user_id):
            value |= int(self._roles[role_id]["permissions"])
        return p.ALL_PERMISSIONS if value & p.ADMINISTRATOR else value

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        *,
        times: int = 1,
        retry_after: float = 0.05,
        code: int | None = None,
    ) -> None:
        """Answer the next `times` matching REST calls (re.search on the path) with `status`."""
        failure = _Failure(status, retry_after, code)
        self._failures.add(failure, method=method.upper(), path_regex=path_regex, times=times)

    async def wait_for_call(
        self,
        method: str,
        path_regex: str,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> RecordedCall:
        """The earliest answered call matching (re.search on the path) not returned before.

        Each call is handed out once, so waiting twice sees a retry as the second call."""
        return await wait_for_request(self._calls, method, path_regex, timeout=timeout)

    async def wait_until_ready(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """A client identified and was sent READY and GUILD_CREATE."""
        await wait_until(
            self._changed, lambda: any(c.has_guild for c in self._connections), timeout=timeout
        )

    # ---- things users do -------------------------------------------------------------------

    async def join(self, user_id: int, username: str) -> JSON:
        member = self.add_user(user_id, username)
        await self._dispatch(
            "GUILD_MEMBER_ADD", {**member, "guild_id": str(self.guild_id)}, p.GUILD_MEMBERS
        )
        return member

    async def set_roles_by_hand(self, user_id: int, roles: Sequence[int]) -> None:
        """A moderator edits someone's roles in Discord's own interface."""
        member = self._members[user_id]
        member["roles"] = [str(r) for r in roles]
        await self._dispatch(
            "GUILD_MEMBER_UPDATE", {**member, "guild_id": str(self.guild_id)}, p.GUILD_MEMBERS
        )

    async def leave(self, user_id: int) -> None:
        member = self._members.pop(user_id)
        data = {"guild_id": str(self.guild_id), "user": member["user"]}
        await self._dispatch("GUILD_MEMBER_REMOVE", data, p.GUILD_MEMBERS)

    async def reply(
        self, user_id: int, channel_id: int, content: str, *, reply_to: int | None = None
    ) -> JSON:
        """A user posts (MESSAGE_CREATE); with `reply_to`, as a reply to that message."""
        body: JSON = {"content": content}
        if reply_to is not None:
            reference: JSON = {"message_id": str(reply_to), "channel_id": str(channel_id)}
            reference["fail_if_not_exists"] = False  # an unknown target reads as deleted
            if "guild_id" in self._channels[channel_id]:
                reference["guild_id"] = str(self.guild_id)
            body["message_reference"] = reference
        message = self._new_message(channel_id, user_id, body)
        await self._dispatch_message("MESSAGE_CREATE", message)
        return message

    async def post_in_thread(
        self, user_id: int, thread_id: int, content: str, *, reply_to: int | None = None
    ) -> JSON:
        """A user writes in a thread (MESSAGE_CREATE with the thread as its channel)."""
        if self._channels.get(thread_id, {}).get("type") not in p.THREAD_TYPES:
            raise LookupError(f"no thread {thread_id}")
        return await self.reply(user_id, thread_id, content, reply_to=reply_to)

    async def react(
        self, user_id: int, channel_id: int, message_id: int, emoji: str, *, remove: bool = False
    ) -> None:
        in_guild = "guild_id" in self._channels[channel_id]
        data = p.reaction_event(
            user_id=user_id,
            channel_id=channel_id,
            message_id=message_id,
            emoji_text=emoji,
            guild_id=self.guild_id if in_guild else None,
        )
        message = self._by_id.get(message_id)
        if not remove:  # only the add event carries these (see the gateway docs)
            data["burst_colors"] = []
            if in_guild:
                data["member"] = self._members[user_id]
            if message is not None:
                data["message_author_id"] = message["author"]["id"]
        if message is not None:
            self._count_reaction(
                message, data["emoji"], -1 if remove else 1, user_id == self.bot_user_id
            )
        event = "MESSAGE_REACTION_REMOVE" if remove else "MESSAGE_REACTION_ADD"
        intent = p.GUILD_MESSAGE_REACTIONS if in_guild else p.DIRECT_MESSAGE_REACTIONS
        await self._dispatch(event, data, intent, in_guild)

    async def dispatch(self, event: str, data: JSON) -> None:
        """Send any dispatch event as is, to every ready client (for cases not modelled here)."""
        await self._dispatch(event, data)

    async def invoke_slash(
        self,
        user_id: int,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        locale: str = "en-US",
        channel: str = "general",
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> InteractionResult:
        """Run a synced command ("name" or "group sub") as `user_id` typed it in `channel`."""
        root, *path = name.split()
        scope, command = self._find_command(root)
        declared: list[JSON] = command.get("options", [])
        resolved: JSON = {}
        wrappers: list[tuple[str, int]] = []
        for part in path:  # descend into subcommand groups and subcommands
            option = next((o for o in declared if o["name"] == part and o["type"] in (1, 2)), None)
            if option is None:
                raise LookupError(f"/{root} has no subcommand {part!r}")
            wrappers.append((part, option["type"]))
            declared = option.get("options", [])
        built = self._options(declared, options or {}, resolved)
        for part, kind in reversed(wrappers):
            built = [{"name": part, "type": kind, "options": built}]
        data: JSON = {"id": command["id"], "name": root, "type": 1, "options": built}
        if scope is not None:  # discord.py looks guild commands up by data.guild_id
            data["guild_id"] = str(scope)
        if resolved:
            data["resolved"] = resolved
        payload = self._interaction(2, user_id, self.channels[channel], locale, data)
        return await self._run(payload, user_id, self.channels[channel], None, timeout)

    async def autocomplete(
        self,
        user_id: int,
        name: str,
        focused: str,
        typed: str,
        *,
        locale: str = "en-US",
        channel: str = "general",
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> InteractionResult:
        """`user_id` is typing `typed` into option `focused` of /name: ask for suggestions."""
        scope, command = self._find_command(name)
        declared = {o["name"]: o for o in command.get("options", [])}
        option = declared.get(focused)
        if option is None or not option.get("autocomplete"):
            raise LookupError(f"/{name} option {focused!r} does not autocomplete")
        # Discord sends what is typed so far as text, marked focused, whatever the option type.
        built = [{"name": focused, "type": option["type"], "value": typed, "focused": True}]
        data: JSON = {"id": command["id"], "name": name, "type": 1, "options": built}
        if scope is not None:
            data["guild_id"] = str(scope)
        payload = self._interaction(4, user_id, self.channels[channel], locale, data)
        return await self._run(payload, user_id, self.channels[channel], None, timeout)

    async def press_button(
        self,
        user_id: int,
        custom_id: str,
        *,
        message_id: int | None = None,
        locale: str = "en-US",
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> InteractionResult:
        """Click a button on a bot message (the newest one carrying `custom_id` by default)."""
        candidates = [self._by_id[message_id]] if message_id in self._by_id else []
        if message_id is None:
            candidates = [
                m
                for m in reversed(self._by_id.values())
                if p.find_component(m["components"], custom_id)
            ]
        if (
            not candidates
            or (component := p.find_component(candidates[0]["components"], custom_id)) is None
        ):
            raise LookupError(f"no message {message_id or ''} with a component {custom_id!r}")
        message = candidates[0]
        data = {"custom_id": custom_id, "component_type": component["type"]}
        channel_id = int(message["channel_id"])
        payload = self._interaction(3, user_id, channel_id, locale, data, message=message)
        return await self._run(payload, user_id, channel_id, int(message["id"]), timeout)

    async def submit_modal(
        self,
        user_id: int,
        custom_id: str,
        values: Mapping[str, str],
        *,
        locale: str = "en-US",
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> InteractionResult:
        """Submit the modal the bot last opened for `user_id` with this custom_id."""
        modal, origin = self._modals.get(custom_id, ({}, None))
        if origin is None or origin.user_id != user_id:
            raise LookupError(f"the bot opened no modal {custom_id!r} for user {user_id}")
        unknown = set(values) - {
            c["custom_id"] for c in p.walk(modal["components"]) if c["type"] == 4
        }
        if unknown:
            raise ValueError(f"modal {custom_id!r} has no text inputs {sorted(unknown)}")
        data = {
            "custom_id": custom_id,
            "components": p.modal_submission(modal["components"], values),
        }
        message = origin.payload.get("message")
        payload = self._interaction(5, user_id, origin.channel_id, locale, data, message=message)
        return await self._run(
            payload, user_id, origin.channel_id, origin.component_message_id, timeout
        )

    # ---- interactions ----------------------------------------------------------------------

    def _find_command(self, name: str) -> tuple[int | None, JSON]:
        for scope in (self.guild_id, None):
            for command in self.commands_by_scope.get(scope, []):
                if command["name"] == name and command.get("type", 1) == 1:
                    return scope, command
        raise LookupError(
            f"/{name} was never synced (PUT .../commands); Discord would not offer it"
        )

    def _options(
        self, declared: list[JSON], values: Mapping[str, Any], resolved: JSON
    ) -> list[JSON]:
        by_name = {o["name"]: o for o in declared}
        if unknown := set(values) - set(by_name):
            raise ValueError(f"unknown options {sorted(unknown)}; declared: {sorted(by_name)}")
        built = []
        for option in declared:
            if option["name"] not in values:
                if option.get("required"):
                    raise ValueError(f"required option {option['name']!r} missing")
                continue
            value = self._option_value(option, values[option["name"]], resolved)
            built.append({"name": option["name"], "type": option["type"], "value": value})
        return built

    def _option_value(self, option: JSON, raw: Any, resolved: JSON) -> Any:
        """Snowflake options carry their objects in `resolved`, as Discord sends them."""
        kind = option["type"]
        if kind == ATTACHMENT_OPTION:
            uploaded = self._uploaded.get(str(raw))
            if uploaded is None:
                raise ValueError(f"{option['name']}: no uploaded file {raw!r} (fake.upload first)")
            resolved.setdefault("attachments", {})[str(raw)] = uploaded
            return str(raw)
        if kind not in (6, 7, 8, 9):
            return p.scalar_option(option, raw)
        key = str(int(raw))
        if kind in (6, 9) and int(raw) in self._users:
            resolved.setdefault("users", {})[key] = self._users[int(raw)]
            if int(raw) in self._members:
                member = p.without_user(self._members[int(raw)])
                member["permissions"] = str(self._permissions(int(raw)))
                resolved.setdefault("members", {})[key] = member
        elif kind in (8, 9) and int(raw) in self._roles:
            resolved.setdefault("roles", {})[key] = self._roles[int(raw)]
        elif kind == 7 and int(raw) in self._channels:
            channel = {**self._channels[int(raw)], "permissions": str(p.ALL_PERMISSIONS)}
            resolved.setdefault("channels", {})[key] = channel
        else:
            raise ValueError(f"{option['name']}: no user/role/channel {raw!r} (type {kind})")
        return key

    def _interaction(
        self,
        kind: int,
        user_id: int,
        channel_id: int,
        locale: str,
        data: JSON,
        *,
        message: JSON | None = None,
    ) -> JSON:
        channel = self._channels[channel_id]
        in_guild = "guild_id" in channel
        if in_guild and user_id not in self._members:
            raise LookupError(f"user {user_id} is not a member of the guild")
        return p.interaction(
            kind=kind,
            application_id=self.application_id,
            channel=channel,
            data=data,
            token=secrets.token_urlsafe(48),
            locale=locale,
            app_permissions=self._permissions(self.bot_user_id),
            user=self._users[user_id],
            member=self._members[user_id] if in_guild else None,
            permissions=self._permissions(user_id) if in_guild else 0,
            message=message,
        )

    async def _run(
        self,
        payload: JSON,
        user_id: int,
        channel_id: int,
        component_message: int | None,
        wait: float,
    ) -> InteractionResult:
        if not any(c.has_guild if "guild_id" in payload else c.ready for c in self._connections):
            raise RuntimeError("no client is connected and ready (await fake.wait_until_ready())")
        loop = asyncio.get_running_loop()
        pending = _Pending(
            payload, user_id, channel_id, loop.time(), loop.create_future(), component_message
        )
        pending.done.add_done_callback(lambda done: done.cancelled() or done.exception())
        self._interactions[payload["token"]] = pending
        await self._dispatch("INTERACTION_CREATE", payload, guild="guild_id" in payload)
        try:
            return await asyncio.wait_for(asyncio.shield(pending.done), wait)
        except TimeoutError:
            if pending.done.done():
                raise  # the bot did answer, after Discord's deadline
            seen = [f"{c.method} {c.path} -> {c.status}" for c in self.calls[-5:]]
            raise TimeoutError(
                f"no interaction response within {wait}s; last calls: {seen}"
            ) from None

    async def _callback(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        pending = self._interactions.get(m[2])
        if pending is None or pending.payload["id"] != m[1]:
            raise _ApiError(404, 10062)
        if pending.result is not None:
            raise _ApiError(400, 40060)
        if asyncio.get_running_loop().time() - pending.created > self.interaction_deadline:
            # Discord forgets interactions not answered in 3 s; tell the waiting test why.
            late = TimeoutError(f"the bot answered after the {self.interaction_deadline}s deadline")
            if not pending.done.done():
                pending.done.set_exception(late)
            raise _ApiError(404, 10062)
        body = call.json or {}
        kind, data, source = (
            int(body.get("type", 0)),
            body.get("data") or {},
            pending.payload["type"],
        )
        if kind not in {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}[source]:
            raise _ApiError(
                400, 50035, f"Invalid Form Body: response type {kind} for interaction type {source}"
            )
        message: JSON | None = None
        if kind in (4, 5):
            message = self._interaction_message(pending, data, call, loading=kind == 5)
            pending.original_id = int(message["id"])
            await self._dispatch_message("MESSAGE_CREATE", message)  # unless ephemeral
        elif kind in (6, 7):
            pending.original_id = pending.component_message_id
            if kind == 7 and pending.original_id in self._by_id:
                message = self._apply_edit(self._by_id[pending.original_id], data)
                await self._dispatch_message("MESSAGE_UPDATE", message)
        elif kind == 9:
            self._open_modal(data, pending)
        flags = int(data.get("flags") or 0)
        pending.result = result = InteractionResult(
            type=kind,
            content=data.get("content"),
            flags=flags,
            allowed_mentions=data.get("allowed_mentions"),
            components=data.get("components", []),
            embeds=data.get("embeds", []),
            modal=data if kind == 9 else None,
            choices=data.get("choices") if kind == 8 else None,
            interaction_id=int(m[1]),
            token=m[2],
            message=message,
        )
        if not pending.done.done():
            pending.done.set_result(result)
        if call.query.get("with_response") not in ("1", "true", "True"):
            return 204, None
        callback: JSON = {"id": m[1], "type": source}
        resource: JSON = {"type": kind}
        if message is not None:
            callback["response_message_id"] = message["id"]
            callback["response_message_loading"] = kind == 5
            callback["response_message_ephemeral"] = bool(message["flags"] & p.EPHEMERAL)
            resource["message"] = message
        return 200, {"interaction": callback, "resource": resource}

    def _open_modal(self, data: JSON, pending: _Pending) -> None:
        if len(data.get("components", [])) > MODAL_COMPONENT_LIMIT:
            raise _ApiError(400, 50035, "Invalid Form Body: a modal holds at most 5 components")
        self._modals[data["custom_id"]] = (data, pending)

    def _interaction_message(
        self, pending: _Pending, body: JSON, call: RecordedCall, *, loading: bool
    ) -> JSON:
        flags = int(body.get("flags") or 0) & ~p.LOADING | (p.LOADING if loading else 0)
        metadata = {
            "id": pending.payload["id"],
            "type": pending.payload["type"],
            "user": self._users[pending.user_id],
            "authorizing_integration_owners": pending.payload.get(
                "authorizing_integration_owners", {}
            ),
        }
        if pending.payload["type"] == 2:
            metadata["name"] = pending.payload["data"]["name"]
        return self._new_message(
            pending.channel_id,
            self.bot_user_id,
            {} if loading else body,
            files=call.files,
            flags=flags,
            message_type=20 if pending.payload["type"] == 2 else 0,
            webhook_id=self.application_id,
            metadata=metadata,
            check=not loading,
        )

    def _pending(self, m: re.Match[str]) -> _Pending:
        pending = self._interactions.get(m[2])
        if int(m[1]) != self.application_id or pending is None or pending.result is None:
            raise _ApiError(404, 10015)  # follow-ups exist only after the initial response
        return pending

    async def _followup(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        pending = self._pending(m)
        assert pending.result is not None
        message = self._interaction_message(pending, call.json or {}, call, loading=False)
        self.messages.setdefault(pending.channel_id, []).append(message)
        await self._dispatch_message("MESSAGE_CREATE", message)
        await pending.result._add_followup(
            {**(call.json or {}), "id": message["id"], "method": "POST"}
        )
        return (200, message) if call.query.get("wait") in ("1", "true", "True") else (204, None)

    async def _hook_msg(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        pending = self._pending(m)
        assert pending.result is not None
        message_id = pending.original_id if m[3] == "@original" else int(m[3])
        message = self._by_id.get(message_id or 0)
        if message is None:
            raise _ApiError(404, 10008)
        if call.method == "GET":
            return 200, message
        if call.method == "DELETE":
            await self._delete_message(message)
            return 204, None
        self._apply_edit(message, call.json or {}, files=call.files)
        message["flags"] &= ~p.LOADING
        await self._dispatch_message("MESSAGE_UPDATE", message)
        await pending.result._add_followup(
            {**(call.json or {}), "id": message["id"], "method": "PATCH"}
        )
        return 200, message

    # ---- messages --------------------------------------------------------------------------

    def _new_message(
        self,
        channel_id: int,
        author_id: int,
        body: JSON,
        *,
        files: Mapping[str, bytes] | None = None,
        flags: int = 0,
        message_type: int = 0,
        webhook_id: int | None = None,
        metadata: JSON | None = None,
        check: bool = True,
        message_id: int | None = None,
    ) -> JSON:
        content = str(body.get("content") or "")
        attachments = self._store_files(channel_id, files or {})
        if check:
            _check_sendable(content, body, attachments)
        reference, referenced = body.get("message_reference"), None
        if reference is not None:
            referenced = self._by_id.get(int(reference["message_id"]))
            if referenced is None and reference.get("fail_if_not_exists", True):
                raise _ApiError(400, 50035, "Invalid Form Body: unknown message_reference")
            reference = {
                "type": 0,
                "message_id": str(reference["message_id"]),
                "channel_id": str(reference.get("channel_id", channel_id)),
                **(
                    {"guild_id": str(self.guild_id)}
                    if "guild_id" in self._channels[channel_id]
                    else {}
                ),
            }
            message_type = 19
        users, roles, everyone = p.mentions(
            content, body.get("allowed_mentions"), referenced["author"] if referenced else None
        )
        message = p.message(
            message_id=message_id or p.snowflake(),
            channel_id=channel_id,
            author=self._users[author_id],
            content=content,
            mentioned_users=[self._users[u] for u in users if u in self._users],
            mention_roles=roles,
            mention_everyone=everyone,
            embeds=body.get("embeds") or [],
            components=body.get("components") or [],
            attachments=attachments,
            flags=flags or int(body.get("flags") or 0),
            message_type=message_type,
            reference=reference,
            referenced=referenced,
            webhook_id=webhook_id,
            interaction_metadata=metadata,
        )
        self._by_id[int(message["id"])] = message
        return message

    def _store_files(
        self, channel_id: int, files: Mapping[str, bytes], content_type: str | None = None
    ) -> list[JSON]:
        """Attachment objects for uploaded files; their URLs are served by the fake's CDN."""
        host = self.api_base_url.removesuffix(API_PREFIX)
        stored = []
        for name, data in files.items():
            found = p.attachment(host, channel_id, name, len(data), content_type)
            self._cdn[urllib.parse.urlsplit(found["url"]).path] = data
            stored.append(found)
        return stored

    async def _serve_attachment(self, request: web.Request) -> web.StreamResponse:
        data = self._cdn.get(request.path)
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="application/octet-stream")

    def _apply_edit(
        self, message: JSON, body: JSON, *, files: Mapping[str, bytes] | None = None
    ) -> JSON:
        for key in ("content", "components", "flags"):
            if key in body and body[key] is not None:
                message[key] = body[key]
        if body.get("embeds") is not None:
            message["embeds"] = [{"type": "rich", **e} for e in body["embeds"]]
        if files:
            message["attachments"] = message["attachments"] + self._store_files(
                int(message["channel_id"]), files
            )
        users, roles, everyone = p.mentions(message["content"], body.get("allowed_mentions"), None)
        message["mentions"] = [self._users[u] for u in users if u in self._users]
        message["mention_roles"], message["mention_everyone"] = [str(r) for r in roles], everyone
        message["edited_timestamp"] = p.iso_now()
        return message

    async def _delete_message(self, message: JSON) -> None:
        channel_id = int(message["channel_id"])
        del self._by_id[int(message["id"])]
        self.deleted.append(message)
        bucket = self.messages.get(channel_id, [])
        if message in bucket:
            bucket.remove(message)
        if not message["flags"] & p.EPHEMERAL:
            in_guild = "guild_id" in self._channels[channel_id]
            data = {"id": message["id"], "channel_id": message["channel_id"]}
            if in_guild:
                data["guild_id"] = str(self.guild_id)
            await self._dispatch(
                "MESSAGE_DELETE",
                data,
                p.GUILD_MESSAGES if in_guild else p.DIRECT_MESSAGES,
                in_guild,
            )

    def _count_reaction(self, message: JSON, emoji: JSON, delta: int, me: bool) -> None:
        reactions: list[JSON] = message.setdefault("reactions", [])
        entry = next((r for r in reactions if r["emoji"] == emoji), None)
        if entry is None:
            entry = {
                "count": 0,
                "count_details": {"burst": 0, "normal": 0},
                "me": False,
                "me_burst": False,
            }
            entry.update(emoji=emoji, burst_colors=[])
            reactions.append(entry)
        entry["count"] = max(0, entry["count"] + delta)
        entry["count_details"]["normal"] = entry["count"]
        entry["me"] = entry["me"] if not me else delta > 0
        if entry["count"] == 0:
            reactions.remove(entry)

    async def _dispatch_message(self, event: str, message: JSON) -> None:
        if message["flags"] & p.EPHEMERAL:
            return  # ephemeral messages never reach the gateway
        data = dict(message)
        in_guild = "guild_id" in self._channels[int(message["channel_id"])]
        if in_guild:
            data["guild_id"] = str(self.guild_id)
            member = self._members.get(int(message["author"]["id"]))
            if member is not None and "webhook_id" not in message:
                data["member"] = p.without_user(member)
        await self._dispatch(
            event, data, p.GUILD_MESSAGES if in_guild else p.DIRECT_MESSAGES, in_guild, redact=True
        )

    # ---- REST ------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.StreamResponse:
        path = request.path.removeprefix(API_PREFIX)
        wanted = ("Authorization", "Content-Type", "X-Audit-Log-Reason")
        headers = {h: request.headers[h] for h in wanted if h in request.headers}
        if "X-Audit-Log-Reason" in headers:
            headers["X-Audit-Log-Reason"] = urllib.parse.unquote(headers["X-Audit-Log-Reason"])
        call = self._calls.record(
            RecordedCall(request.method, path, dict(request.query), None, headers)
        )
        try:
            await _read_body(request, call)
            status, body, extra = await self._answer(call)
        except _ApiError as exc:
            status, body, extra = exc.status, exc.body, {}
        call.status, call.response = status, body
        await notify(self._changed)
        extra["Via"] = "1.1 google"
        if body is None:
            return web.Response(status=status, headers=extra)
        # discord.py decodes JSON only when Content-Type is exactly application/json
        extra["Content-Type"] = "application/json"
        return web.Response(status=status, body=json.dumps(body).encode(), headers=extra)

    async def _answer(self, call: RecordedCall) -> tuple[int, Any, dict[str, str]]:
        bucket = hashlib.md5(f"{call.method} {call.path}".encode()).hexdigest()[:16]
        failure = self._failures.take(call.method, call.path)
        if failure is not None:
            if failure.status != 429:
                return failure.status, p.error(failure.status, failure.code), {}
            return 429, *p.rate_limited(bucket, failure.retry_after)
        allowed = [r for r in self._routes if r[1].fullmatch(call.path)]
        route = next((r for r in allowed if call.method in r[0].split()), None)
        if route is None:
            raise _ApiError(405, 0, "405: Method Not Allowed") if allowed else _ApiError(404)
        _, pattern, handler, auth = route
        if auth and call.headers.get("Authorization") != f"Bot {self.TOKEN}":
            raise _ApiError(401)
        match = pattern.fullmatch(call.path)
        assert match is not None
        status, body = await handler(call, match)
        return status, body, p.ratelimit_headers(bucket, remaining=49, reset_after=1.0)

    async def _get_me(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        me = {**self._users[self.bot_user_id], "verified": True, "mfa_enabled": False, "flags": 0}
        return 200, {**me, "email": None, "locale": "en-US"}

    async def _get_user(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        if int(m[1]) not in self._users:
            raise _ApiError(404, 10013)
        return 200, self._users[int(m[1])]

    async def _get_app(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        flags = p.application_flags(self.privileged_intents)
        return 200, p.application(
            self.application_id, self._users[self.bot_user_id], self._users[self.owner_id], flags
        )

    async def _get_gateway(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        url = self.gateway_url.rstrip("/")  # Discord answers without the trailing slash
        if not call.path.endswith("/bot"):
            return 200, {"url": url}
        limit = {"total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1}
        return 200, {"url": url, "shards": 1, "session_start_limit": limit}

    async def _commands(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        if int(m[1]) != self.application_id:
            raise _ApiError(403, 50001)
        scope = int(m[2]) if m[2] else None
        if scope not in (None, self.guild_id):
            raise _ApiError(403, 50001)  # the bot is not in that guild
        if call.method == "GET":
            return 200, self.commands_by_scope.get(scope, [])
        previous = {(c["name"], c["type"]): c for c in self.commands_by_scope.get(scope, [])}
        synced = []
        for command in call.json or []:
            kind = command.get("type", 1)
            name, description = command.get("name", ""), command.get("description", "")
            if kind == 1 and not (re.fullmatch(r"[-_\w]{1,32}", name) and name == name.lower()):
                raise _ApiError(400, 50035, f"Invalid Form Body: command name {name!r}")
            if kind == 1 and not 1 <= len(description) <= 100:
                raise _ApiError(400, 50035, f"Invalid Form Body: description of /{name}")
            old = previous.get((name, kind))
            synced.append(
                {
                    "nsfw": False,
                    "default_member_permissions": None,
                    "integration_types": [0],
                    **command,
                    "id": old["id"] if old else str(p.snowflake()),  # ids survive re-syncs
                    "application_id": str(self.application_id),
                    "version": str(p.snowflake()),
                    "type": kind,
                    "description": description,
                    **({"guild_id": str(scope)} if scope else {}),
                }
            )
        if len({(c["name"], c["type"]) for c in synced}) != len(synced):
            raise _ApiError(400, 50035, "Invalid Form Body: duplicate command names")
        self.commands_by_scope[scope] = self.synced_commands = synced
        return 200, synced

    def _channel(self, channel_id: str) -> JSON:
        if int(channel_id) not in self._channels:
            raise _ApiError(404, 10003)
        return self._channels[int(channel_id)]

    async def _get_channel(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        return 200, self._channel(m[1])

    async def _create_dm(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        user_id = int((call.json or {}).get("recipient_id", 0))
        if user_id not in self._users:
            raise _ApiError(400, 50033, "Invalid Recipient(s)")
        if user_id not in self._dm_by_user:
            channel_id = self._dm_by_user[user_id] = p.snowflake()
            self._channels[channel_id] = p.dm_channel(channel_id, self._users[user_id])
        return 200, self._channels[self._dm_by_user[user_id]]

    async def _create_message(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        channel = self._channel(m[1])
        if channel["type"] == p.FORUM_CHANNEL:
            raise _ApiError(400, 50024)  # a forum takes posts (threads), not messages
        if channel["type"] == 1:
            recipient = int(channel["recipients"][0]["id"])
            if recipient in self.dm_closed or self._users[recipient]["bot"]:
                raise _ApiError(403, 50007)
        body: JSON = call.json or {}
        # enforce_nonce (discord.py always sends it): a retried post returns the first message.
        nonce = (int(m[1]), str(body.get("nonce"))) if body.get("enforce_nonce") else None
        if nonce in self._nonces and int(self._nonces[nonce]["id"]) in self._by_id:
            return 200, self._nonces[nonce]
        if sum(len(data) for data in call.files.values()) > p.ATTACHMENT_SIZE_LIMIT:
            raise _ApiError(413, 40005, "Request entity too large")
        message = self._new_message(int(m[1]), self.bot_user_id, body, files=call.files)
        if nonce is not None:
            message["nonce"] = body["nonce"]
            self._nonces[nonce] = message
        self.messages.setdefault(int(m[1]), []).append(message)
        await self._dispatch_message("MESSAGE_CREATE", message)
        return 200, message

    async def _thread_from(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        """Start Thread from Message: a public thread with the message's id."""
        channel = self._channel(m[1])
        if channel["type"] not in (p.TEXT_CHANNEL, p.ANNOUNCEMENT_CHANNEL):
            raise _ApiError(400, 50024)
        message = self._message_in(m[1], m[2])
        if int(message["id"]) in self._channels:
            raise _ApiError(400, 160004)
        thread = self._thread(int(message["id"]), channel, call.json or {})
        await self._open(thread)
        message["thread"] = thread
        await self._dispatch_message("MESSAGE_UPDATE", message)
        return 201, thread

    async def _start_thread(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        """Start Thread in Forum Channel: the thread and its first message share an id."""
        channel = self._channel(m[1])
        body: JSON = call.json or {}
        if channel["type"] != p.FORUM_CHANNEL:
            # Threads without a message (private threads) are not modelled.
            raise _ApiError(400, 50024)
        if not isinstance(body.get("message"), dict):
            raise _ApiError(400, 50035, "Invalid Form Body: message is required in a forum")
        post_id = p.snowflake()
        thread = self._thread(post_id, channel, body)
        message = self._new_message(
            post_id, self.bot_user_id, body["message"], files=call.files, message_id=post_id
        )
        await self._open(thread)
        self.messages.setdefault(post_id, []).append(message)
        await self._dispatch_message("MESSAGE_CREATE", message)
        return 201, {**thread, "message": message}

    def _thread(self, thread_id: int, parent: JSON, body: JSON) -> JSON:
        name = str(body.get("name") or "")
        if not 1 <= len(name) <= THREAD_NAME_LIMIT:
            raise _ApiError(400, 50035, f"Invalid Form Body: thread name {name!r}")
        duration = body.get("auto_archive_duration") or 1440
        if duration not in ARCHIVE_DURATIONS:
            raise _ApiError(400, 50035, f"Invalid Form Body: auto_archive_duration {duration}")
        return p.thread_channel(thread_id, parent, self.bot_user_id, name, duration)

    async def _open(self, thread: JSON) -> None:
        self._channels[int(thread["id"])] = self.threads[int(thread["id"])] = thread
        await self._dispatch("THREAD_CREATE", {**thread, "newly_created": True}, p.GUILDS)

    def _message_in(self, channel_id: str, message_id: str) -> JSON:
        message = self._by_id.get(int(message_id))
        if message is None or message["channel_id"] != str(int(self._channel(channel_id)["id"])):
            raise _ApiError(404, 10008)
        return message

    async def _message(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        message = self._message_in(m[1], m[2])
        if call.method == "DELETE":
            others = message["author"]["id"] != str(self.bot_user_id)
            if others and not self._permissions(self.bot_user_id) & p.MANAGE_MESSAGES:
                raise _ApiError(403, 50013)
            await self._delete_message(message)
            return 204, None
        if call.method == "PATCH":
            if message["author"]["id"] != str(self.bot_user_id):
                raise _ApiError(403, 50005)
            body: JSON = call.json or {}
            # What the message would be: an edit may not leave it too long, or empty.
            kept = {key: value for key, value in body.items() if value is not None}
            edited = {**message, **kept}
            _check_sendable(str(edited["content"]), edited, message["attachments"])
            self._apply_edit(message, body, files=call.files)
            await self._dispatch_message("MESSAGE_UPDATE", message)
        return 200, message

    async def _own_reaction(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        self._message_in(m[1], m[2])
        if p.emoji(m[3])["id"] is not None:
            raise _ApiError(400, 10014)  # the guild has no custom emojis
        await self.react(
            self.bot_user_id, int(m[1]), int(m[2]), m[3], remove=call.method == "DELETE"
        )
        return 204, None

    def _guild(self, guild_id: str) -> None:
        if int(guild_id) != self.guild_id:
            raise _ApiError(404, 10004)

    async def _get_guild(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        self._guild(m[1])
        if m[2] == "roles":
            return 200, list(self._roles.values())
        if m[2] == "channels":
            return 200, [c for c in self._channels.values() if "guild_id" in c]
        return 200, p.guild(
            self.guild_id,
            "knowpay test",
            self.owner_id,
            list(self._roles.values()),
            self.channels["general"],
        )

    def _guild_member(self, guild_id: str, user_id: str) -> JSON:
        self._guild(guild_id)
        if int(user_id) not in self._members:
            raise _ApiError(404, 10007)
        return self._members[int(user_id)]

    def _check_assignable(self, role_id: int) -> None:
        if role_id not in self._roles:
            raise _ApiError(404, 10011)
        top = max(self._roles[r]["position"] for r in self.member_roles(self.bot_user_id))
        role = self._roles[role_id]
        if role["managed"] or role["position"] >= top or role_id == self.guild_id:
            raise _ApiError(403, 50013)  # Discord's role hierarchy

    async def _set_roles(self, member: JSON, roles: list[int]) -> None:
        for role_id in set(roles) ^ {int(r) for r in member["roles"]}:
            self._check_assignable(role_id)
        if [int(r) for r in member["roles"]] != roles:
            member["roles"] = [str(r) for r in roles]
            await self._dispatch(
                "GUILD_MEMBER_UPDATE", {**member, "guild_id": str(self.guild_id)}, p.GUILD_MEMBERS
            )

    async def _list_members(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        """List Guild Members: by user id, after `after`, at most `limit` (1-1000, default 1);
        only for applications with the GUILD_MEMBERS privileged intent switched on."""
        self._guild(m[1])
        if not self.privileged_intents & p.GUILD_MEMBERS:
            raise _ApiError(403, 50001)
        limit = int(call.query.get("limit", "1"))
        if not 1 <= limit <= MEMBERS_PAGE_LIMIT:
            raise _ApiError(400, 50035)
        after = int(call.query.get("after", "0"))
        ids = sorted(user_id for user_id in self._members if user_id > after)[:limit]
        return 200, [self._members[user_id] for user_id in ids]

    async def _member(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        member = self._guild_member(m[1], m[2])
        body: JSON = call.json or {}
        if call.method == "PATCH":
            member["nick"] = body["nick"] if "nick" in body else member["nick"]
            roles: list[Any] = body["roles"] if "roles" in body else member["roles"]
            await self._set_roles(member, [int(r) for r in roles])
        return 200, member

    async def _member_role(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        member = self._guild_member(m[1], m[2])
        self._check_assignable(int(m[3]))
        roles = [r for r in self.member_roles(int(m[2])) if r != int(m[3])]
        await self._set_roles(member, [*roles, int(m[3])] if call.method == "PUT" else roles)
        return 204, None

    # ---- gateway ---------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        conn = _Connection(ws)
        self._connections.append(conn)
        try:
            hello = {"heartbeat_interval": self.HEARTBEAT_INTERVAL_MS, "_trace": ["fake-discord"]}
            await self._send(conn, {"op": 10, "d": hello, "s": None, "t": None})
            async for frame in ws:
                if frame.type is WSMsgType.TEXT:  # discord.py only ever sends text frames
                    await self._on_frame(conn, json.loads(frame.data))
        finally:
            self._connections.remove(conn)
            await notify(self._changed)
        return ws

    async def _send(self, conn: _Connection, frame: JSON | str) -> None:
        text = frame if isinstance(frame, str) else json.dumps(frame)
        async with conn.lock:
            if not conn.ws.closed:
                with contextlib.suppress(
                    ConnectionError
                ):  # a vanished client misses it, as on Discord
                    await conn.ws.send_str(text)

    async def _send_dispatch(self, conn: _Connection, event: str, data: JSON) -> None:
        assert conn.session is not None
        conn.session.seq += 1
        frame = json.dumps({"op": 0, "t": event, "s": conn.session.seq, "d": data})
        conn.session.frames.append((conn.session.seq, frame))
        await self._send(conn, frame)

    async def _on_frame(self, conn: _Connection, frame: JSON) -> None:
        op, d = frame.get("op"), frame.get("d")
        if op == 1:
            await self._send(conn, {"op": 11, "d": None, "s": None, "t": None})
        elif op in (2, 6):
            if conn.session is not None:
                await conn.ws.close(code=4005, message=b"Already authenticated.")
            elif not isinstance(d, dict) or d.get("token") != self.TOKEN:
                await conn.ws.close(code=4004, message=b"Authentication failed.")
            else:
                await (self._identify if op == 2 else self._resume)(conn, d)
        elif conn.session is None:
            await conn.ws.close(code=4003, message=b"Not authenticated.")
        elif op == 8:
            await self._chunk(conn, d or {})
        elif op not in (3, 4):  # presence and voice state updates are accepted and ignored
            await conn.ws.close(code=4001, message=b"Unknown opcode.")

    async def _identify(self, conn: _Connection, d: JSON) -> None:
        intents, shard = d.get("intents"), tuple(d.get("shard", (0, 1)))
        if intents is None:
            await conn.ws.close(code=4013, message=b"Invalid intent(s).")
            return
        if intents & p.PRIVILEGED_INTENTS & ~self.privileged_intents:
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        if not 0 <= shard[0] < shard[1]:
            await conn.ws.close(code=4010, message=b"Invalid shard.")
            return
        session_id = secrets.token_hex(16)
        conn.session = self._sessions[session_id] = _Session(int(intents), (shard[0], shard[1]))
        owns_guild = (self.guild_id >> 22) % shard[1] == shard[0]
        ready = p.ready(
            bot_user=self._users[self.bot_user_id],
            guild_ids=[self.guild_id] if owns_guild else [],
            session_id=session_id,
            resume_url=self.gateway_url,
            shard=shard,
            application_id=self.application_id,
            application_flags=p.application_flags(self.privileged_intents),
        )
        await self._send_dispatch(conn, "READY", ready)
        if owns_guild and intents & p.GUILDS:
            await self._send_dispatch(conn, "GUILD_CREATE", self._guild_create(int(intents)))
            conn.has_guild = True
        conn.ready = True
        await notify(self._changed)

    def _guild_create(self, intents: int) -> JSON:
        # Without GUILD_PRESENCES Discord sends only the bot's own member (and voice members).
        members = (
            self._members
            if intents & p.GUILD_PRESENCES
            else {self.bot_user_id: self._members[self.bot_user_id]}
        )
        channels = [c for c in self._channels.values() if "guild_id" in c]
        roles = list(self._roles.values())
        base = p.guild(
            self.guild_id, "knowpay test", self.owner_id, roles, self.channels["general"]
        )
        return p.guild_create(
            base, channels=channels, members=list(members.values()), member_count=len(self._members)
        )

    async def _resume(self, conn: _Connection, d: JSON) -> None:
        session = self._sessions.get(str(d.get("session_id")))
        if session is None:
            await self._send(conn, {"op": 9, "d": False, "s": None, "t": None})
            return
        conn.session = session
        conn.has_guild = (self.guild_id >> 22) % session.shard[1] == session.shard[0]
        for seq, frame in list(session.frames):  # replay what the client missed
            if seq > int(d.get("seq") or 0):
                await self._send(conn, frame)
        await self._send_dispatch(conn, "RESUMED", {"_trace": ["fake-discord"]})
        conn.ready = True
        await notify(self._changed)

    async def _chunk(self, conn: _Connection, d: JSON) -> None:
        if int(d.get("guild_id", 0)) != self.guild_id:
            return
        wanted = d.get("user_ids")
        ids = [int(u) for u in ([wanted] if isinstance(wanted, (str, int)) else wanted or [])]
        query, limit = str(d.get("query") or "").lower(), int(d.get("limit") or 0)
        members = [
            m
            for uid, m in self._members.items()
            if (uid in ids if ids else m["user"]["username"].lower().startswith(query))
        ]
        data: JSON = {
            "guild_id": str(self.guild_id),
            "members": members[:limit] if limit else members,
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [str(u) for u in ids if u not in self._members],
        }
        if d.get("nonce") is not None:
            data["nonce"] = d["nonce"]
        if d.get("presences"):
            data["presences"] = []
        await self._send_dispatch(conn, "GUILD_MEMBERS_CHUNK", data)

    async def _dispatch(
        self,
        event: str,
        data: JSON,
        intent: int | None = None,
        guild: bool = True,
        *,
        redact: bool = False,
    ) -> None:
        """Send to each ready client that asked for `intent` and whose shard owns the target."""
        for conn in list(self._connections):
            session = conn.session
            if (
                not conn.ready
                or session is None
                or (intent is not None and not session.intents & intent)
            ):
                continue
            owner_shard = (
                (self.guild_id >> 22) % session.shard[1] if guild else 0
            )  # DMs go to shard 0
            if session.shard[0] != owner_shard:
                continue
            payload = data
            if (
                redact
                and not session.intents & p.MESSAGE_CONTENT
                and not self._content_visible(data)
            ):
                payload = {**data, "content": "", "embeds": [], "attachments": [], "components": []}
            await self._send_dispatch(conn, event, payload)

    def _content_visible(self, message: JSON) -> bool:
        """Content a bot sees without MESSAGE_CONTENT: its own, DMs, and messages pinging it."""
        mentioned = any(u["id"] == str(self.bot_user_id) for u in message.get("mentions", []))
        return (
            message["author"]["id"] == str(self.bot_user_id)
            or "guild_id" not in message
            or mentioned
        )


def _check_sendable(content: str, body: JSON, attachments: list[JSON]) -> None:
    if len(content) > 2000:
        raise _ApiError(400, 50035, "Invalid Form Body: content must be 2000 or fewer in length")
    parts = ("embeds", "components", "sticker_ids", "poll")
    if not content and not attachments and not any(body.get(k) for k in parts):
        raise _ApiError(400, 50006)


async def _read_body(request: web.Request, call: RecordedCall) -> None:
    if request.content_type == "application/json":
        call.json = await request.json()
    elif request.content_type == "multipart/form-data":
        form = await request.post()
        for name, value in form.items():
            if name == "payload_json":
                call.json = json.loads(str(value))
            elif isinstance(value, web.FileField):
                call.files[value.filename] = value.file.read()

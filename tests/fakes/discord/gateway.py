"""The gateway: the websocket a client identifies (or resumes) on, the READY and GUILD_CREATE it
is sent, member chunks, and dispatch events sent to each client that asked for their intent and
whose shard owns their guild."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.discord import guild_payloads, wire
from tests.fakes.discord.state import DiscordState, RecordedCall, Route
from tests.fakes.discord.wire import JSON
from tests.fakes.recording import notify, wait_until


@dataclass
class Session:
    intents: int
    shard: tuple[int, int]
    seq: int = 0
    frames: list[tuple[int, str]] = field(default_factory=list)  # kept for RESUME replays


@dataclass
class Connection:
    ws: web.WebSocketResponse
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # one writer at a time
    session: Session | None = None
    ready: bool = False  # identified (or resumed)
    has_guild: bool = False  # ... and its shard owns the guild, which it was sent


class Gateway(DiscordState):
    """The websocket at / and the REST endpoints a client reads before connecting."""

    def _routes(self) -> list[Route]:
        return [
            *super()._routes(),
            ("GET", r"/oauth2/applications/@me", self._get_app, True),
            ("GET", r"/gateway", self._get_gateway, False),
            ("GET", r"/gateway/bot", self._get_gateway, True),
        ]

    HEARTBEAT_INTERVAL_MS = 41250

    async def wait_until_ready(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """A client identified and was sent READY and GUILD_CREATE."""
        await wait_until(
            self._changed, lambda: any(c.has_guild for c in self._connections), timeout=timeout
        )

    async def dispatch(self, event: str, data: JSON) -> None:
        """Send any dispatch event as is, to every ready client (for cases not modelled here)."""
        await self._dispatch(event, data)

    async def _get_gateway(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        url = self.gateway_url.rstrip("/")  # Discord answers without the trailing slash
        if not call.path.endswith("/bot"):
            return 200, {"url": url}
        limit = {"total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1}
        return 200, {"url": url, "shards": 1, "session_start_limit": limit}

    async def _get_app(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        flags = guild_payloads.application_flags(self.privileged_intents)
        return 200, guild_payloads.application(
            self.application_id, self._users[self.bot_user_id], self._users[self.owner_id], flags
        )

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        conn = Connection(ws)
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

    async def _send(self, conn: Connection, frame: JSON | str) -> None:
        text = frame if isinstance(frame, str) else json.dumps(frame)
        async with conn.lock:
            if not conn.ws.closed:
                with contextlib.suppress(
                    ConnectionError
                ):  # a vanished client misses it, as on Discord
                    await conn.ws.send_str(text)

    async def _send_dispatch(self, conn: Connection, event: str, data: JSON) -> None:
        assert conn.session is not None
        conn.session.seq += 1
        frame = json.dumps({"op": 0, "t": event, "s": conn.session.seq, "d": data})
        conn.session.frames.append((conn.session.seq, frame))
        await self._send(conn, frame)

    async def _on_frame(self, conn: Connection, frame: JSON) -> None:
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

    async def _identify(self, conn: Connection, d: JSON) -> None:
        intents, shard = d.get("intents"), tuple(d.get("shard", (0, 1)))
        if intents is None:
            await conn.ws.close(code=4013, message=b"Invalid intent(s).")
            return
        if intents & wire.PRIVILEGED_INTENTS & ~self.privileged_intents:
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        if not 0 <= shard[0] < shard[1]:
            await conn.ws.close(code=4010, message=b"Invalid shard.")
            return
        session_id = secrets.token_hex(16)
        conn.session = self._sessions[session_id] = Session(int(intents), (shard[0], shard[1]))
        owns_guild = (self.guild_id >> 22) % shard[1] == shard[0]
        ready = guild_payloads.ready(
            bot_user=self._users[self.bot_user_id],
            guild_ids=[self.guild_id] if owns_guild else [],
            session_id=session_id,
            resume_url=self.gateway_url,
            shard=shard,
            application_id=self.application_id,
            application_flags=guild_payloads.application_flags(self.privileged_intents),
        )
        await self._send_dispatch(conn, "READY", ready)
        if owns_guild and intents & wire.GUILDS:
            await self._send_dispatch(conn, "GUILD_CREATE", self._guild_create(int(intents)))
            conn.has_guild = True
        conn.ready = True
        await notify(self._changed)

    def _guild_create(self, intents: int) -> JSON:
        # Without GUILD_PRESENCES Discord sends only the bot's own member (and voice members).
        members = (
            self._members
            if intents & wire.GUILD_PRESENCES
            else {self.bot_user_id: self._members[self.bot_user_id]}
        )
        channels = [c for c in self._channels.values() if "guild_id" in c]
        roles = list(self._roles.values())
        base = guild_payloads.guild(
            self.guild_id, "knowpay test", self.owner_id, roles, self.channels["general"]
        )
        return guild_payloads.guild_create(
            base,
            channels=channels,
            members=list(members.values()),
            joined_at=self._iso_now(),
            member_count=len(self._members),
        )

    async def _resume(self, conn: Connection, d: JSON) -> None:
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

    async def _chunk(self, conn: Connection, d: JSON) -> None:
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
                and not session.intents & wire.MESSAGE_CONTENT
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

"""Channels: the guild's text and forum channels, DMs, posting to them, and threads (one per
message, or a forum post: a thread and its first message, which share an id)."""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.discord import channel_payloads, wire
from tests.fakes.discord.messages import Messages
from tests.fakes.discord.state import ApiError, RecordedCall, Route
from tests.fakes.discord.wire import JSON

THREAD_NAME_LIMIT = 100
ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)  # minutes


class Channels(Messages):
    """Channels, DMs and threads, and their REST endpoints."""

    def _routes(self) -> list[Route]:
        return [
            *super()._routes(),
            ("POST", r"/users/@me/channels", self._create_dm, True),
            ("GET", r"/channels/(\d+)", self._get_channel, True),
            ("POST", r"/channels/(\d+)/messages", self._create_message, True),
            ("POST", r"/channels/(\d+)/messages/(\d+)/threads", self._thread_from, True),
            ("POST", r"/channels/(\d+)/threads", self._start_thread, True),
        ]

    def add_channel(self, name: str) -> int:
        """Add a text channel to the guild (before start: GUILD_CREATE lists it) and return
        its id, also kept in `channels[name]`."""
        channel_id = self.guild_id + 30 + len(self._channels)  # clear of the roles' ids
        self._channels[channel_id] = channel_payloads.text_channel(
            channel_id, self.guild_id, name, len(self._channels)
        )
        self.channels[name] = channel_id
        return channel_id

    def dms_to(self, user_id: int) -> list[JSON]:
        """What the bot sent `user_id` in private messages, oldest first."""
        channel = self._dm_by_user.get(user_id)
        return list(self.messages.get(channel, [])) if channel is not None else []

    async def post_in_thread(
        self, user_id: int, thread_id: int, content: str, *, reply_to: int | None = None
    ) -> JSON:
        """A user writes in a thread (MESSAGE_CREATE with the thread as its channel)."""
        if self._channels.get(thread_id, {}).get("type") not in wire.THREAD_TYPES:
            raise LookupError(f"no thread {thread_id}")
        return await self.reply(user_id, thread_id, content, reply_to=reply_to)

    async def _get_channel(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        return 200, self._channel(m[1])

    async def _create_dm(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        user_id = int((call.json or {}).get("recipient_id", 0))
        if user_id not in self._users:
            raise ApiError(400, 50033, "Invalid Recipient(s)")
        if user_id not in self._dm_by_user:
            channel_id = self._dm_by_user[user_id] = self._snowflake()
            self._channels[channel_id] = channel_payloads.dm_channel(
                channel_id, self._users[user_id]
            )
        return 200, self._channels[self._dm_by_user[user_id]]

    async def _create_message(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        channel = self._channel(m[1])
        if channel["type"] == wire.FORUM_CHANNEL:
            raise ApiError(400, 50024)  # a forum takes posts (threads), not messages
        if channel["type"] == 1:
            recipient = int(channel["recipients"][0]["id"])
            if recipient in self.dm_closed or self._users[recipient]["bot"]:
                raise ApiError(403, 50007)
        body: JSON = call.json or {}
        # enforce_nonce (discord.py always sends it): a retried post returns the first message.
        nonce = (int(m[1]), str(body.get("nonce"))) if body.get("enforce_nonce") else None
        if nonce in self._nonces and int(self._nonces[nonce]["id"]) in self._by_id:
            return 200, self._nonces[nonce]
        if sum(len(data) for data in call.files.values()) > wire.ATTACHMENT_SIZE_LIMIT:
            raise ApiError(413, 40005, "Request entity too large")
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
        if channel["type"] not in (wire.TEXT_CHANNEL, wire.ANNOUNCEMENT_CHANNEL):
            raise ApiError(400, 50024)
        message = self._message_in(m[1], m[2])
        if int(message["id"]) in self._channels:
            raise ApiError(400, 160004)
        thread = self._thread(int(message["id"]), channel, call.json or {})
        await self._open(thread)
        message["thread"] = thread
        await self._dispatch_message("MESSAGE_UPDATE", message)
        return 201, thread

    async def _start_thread(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        """Start Thread in Forum Channel: the thread and its first message share an id."""
        channel = self._channel(m[1])
        body: JSON = call.json or {}
        if channel["type"] != wire.FORUM_CHANNEL:
            # Threads without a message (private threads) are not modelled.
            raise ApiError(400, 50024)
        if not isinstance(body.get("message"), dict):
            raise ApiError(400, 50035, "Invalid Form Body: message is required in a forum")
        post_id = self._snowflake()
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
            raise ApiError(400, 50035, f"Invalid Form Body: thread name {name!r}")
        duration = body.get("auto_archive_duration") or 1440
        if duration not in ARCHIVE_DURATIONS:
            raise ApiError(400, 50035, f"Invalid Form Body: auto_archive_duration {duration}")
        return channel_payloads.thread_channel(
            thread_id, parent, self.bot_user_id, name, duration, created=self._iso_now()
        )

    async def _open(self, thread: JSON) -> None:
        self._channels[int(thread["id"])] = self.threads[int(thread["id"])] = thread
        await self._dispatch("THREAD_CREATE", {**thread, "newly_created": True}, wire.GUILDS)

"""Messages: what users post and the bot sends, edits and deletes (with the events each fires and
the content a bot without MESSAGE_CONTENT does not see), reactions, and attachments served by
the fake's CDN."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from tests.fakes.discord import channel_payloads, guild_payloads, wire
from tests.fakes.discord.guild import Guild
from tests.fakes.discord.state import API_PREFIX, ApiError, RecordedCall, Route
from tests.fakes.discord.wire import JSON


class Messages(Guild):
    """Messages, reactions and attachments, whoever made them."""

    def _routes(self) -> list[Route]:
        return [
            *super()._routes(),
            ("GET PATCH DELETE", r"/channels/(\d+)/messages/(\d+)", self._message, True),
            (
                "PUT DELETE",
                r"/channels/(\d+)/messages/(\d+)/reactions/([^/]+)/@me",
                self._own_reaction,
                True,
            ),
        ]

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

    async def react(
        self, user_id: int, channel_id: int, message_id: int, emoji: str, *, remove: bool = False
    ) -> None:
        in_guild = "guild_id" in self._channels[channel_id]
        data = channel_payloads.reaction_event(
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
        intent = wire.GUILD_MESSAGE_REACTIONS if in_guild else wire.DIRECT_MESSAGE_REACTIONS
        await self._dispatch(event, data, intent, in_guild)

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
                raise ApiError(400, 50035, "Invalid Form Body: unknown message_reference")
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
        users, roles, everyone = channel_payloads.mentions(
            content, body.get("allowed_mentions"), referenced["author"] if referenced else None
        )
        message = channel_payloads.message(
            timestamp=self._iso_now(),
            message_id=message_id or self._snowflake(),
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
            found = channel_payloads.attachment(
                host, channel_id, name, len(data), content_type, attachment_id=self._snowflake()
            )
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
        users, roles, everyone = channel_payloads.mentions(
            message["content"], body.get("allowed_mentions"), None
        )
        message["mentions"] = [self._users[u] for u in users if u in self._users]
        message["mention_roles"], message["mention_everyone"] = [str(r) for r in roles], everyone
        message["edited_timestamp"] = self._iso_now()
        return message

    async def _delete_message(self, message: JSON) -> None:
        channel_id = int(message["channel_id"])
        del self._by_id[int(message["id"])]
        self.deleted.append(message)
        bucket = self.messages.get(channel_id, [])
        if message in bucket:
            bucket.remove(message)
        if not message["flags"] & wire.EPHEMERAL:
            in_guild = "guild_id" in self._channels[channel_id]
            data = {"id": message["id"], "channel_id": message["channel_id"]}
            if in_guild:
                data["guild_id"] = str(self.guild_id)
            await self._dispatch(
                "MESSAGE_DELETE",
                data,
                wire.GUILD_MESSAGES if in_guild else wire.DIRECT_MESSAGES,
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
        if message["flags"] & wire.EPHEMERAL:
            return  # ephemeral messages never reach the gateway
        data = dict(message)
        in_guild = "guild_id" in self._channels[int(message["channel_id"])]
        if in_guild:
            data["guild_id"] = str(self.guild_id)
            member = self._members.get(int(message["author"]["id"]))
            if member is not None and "webhook_id" not in message:
                data["member"] = guild_payloads.without_user(member)
        await self._dispatch(
            event,
            data,
            wire.GUILD_MESSAGES if in_guild else wire.DIRECT_MESSAGES,
            in_guild,
            redact=True,
        )

    def _message_in(self, channel_id: str, message_id: str) -> JSON:
        message = self._by_id.get(int(message_id))
        if message is None or message["channel_id"] != str(int(self._channel(channel_id)["id"])):
            raise ApiError(404, 10008)
        return message

    async def _message(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        message = self._message_in(m[1], m[2])
        if call.method == "DELETE":
            others = message["author"]["id"] != str(self.bot_user_id)
            if others and not self._permissions(self.bot_user_id) & wire.MANAGE_MESSAGES:
                raise ApiError(403, 50013)
            await self._delete_message(message)
            return 204, None
        if call.method == "PATCH":
            if message["author"]["id"] != str(self.bot_user_id):
                raise ApiError(403, 50005)
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
        if channel_payloads.emoji(m[3])["id"] is not None:
            raise ApiError(400, 10014)  # the guild has no custom emojis
        await self.react(
            self.bot_user_id, int(m[1]), int(m[2]), m[3], remove=call.method == "DELETE"
        )
        return 204, None


def _check_sendable(content: str, body: JSON, attachments: list[JSON]) -> None:
    if len(content) > 2000:
        raise ApiError(400, 50035, "Invalid Form Body: content must be 2000 or fewer in length")
    parts = ("embeds", "components", "sticker_ids", "poll")
    if not content and not attachments and not any(body.get(k) for k in parts):
        raise ApiError(400, 50006)

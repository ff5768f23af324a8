"""A fake Telegram Bot API on loopback that the REAL python-telegram-bot 22.8 runs against.

Point an Application at it with
`ApplicationBuilder().token(FakeTelegram.TOKEN).base_url(fake.base_url)
.base_file_url(fake.base_file_url)` and poll (`updater.start_polling`) or set a webhook.

It answers `POST|GET /bot<token>/<method>` with `{"ok": true, "result": ...}` or
`{"ok": false, "error_code": N, "description": "...", "parameters": {...}}` and decodes
parameters as Telegram does (form-encoded, multipart, query string or JSON; nested objects as
JSON strings). Where Telegram's behaviour would surprise a bot, the fake behaves like Telegram,
so the adapter's tests catch what production would hit:
- allowed_updates is sticky (a getUpdates/setWebhook without it keeps the previous setting) and
  by default excludes chat_member, message_reaction and message_reaction_count; updates of a
  type not allowed when they happen are dropped, not held back (see `dropped_updates`).
- A getUpdates while a webhook is set is a 409; a newer getUpdates ends an older long poll with
  409 "terminated by other getUpdates request".
- In groups the bot sees message_reaction, chat_member and chat_join_request only as an
  administrator; without admin rights and with privacy mode on it sees only commands, replies
  to its messages and mentions of it.
- Texts are trimmed; parse_mode HTML is parsed into entities, bad markup is a 400
  "can't parse entities"; editing without a change is a 400 "message is not modified";
  editMessageText without reply_markup removes the inline keyboard. The bot edits only its own
  messages ("message can't be edited"; "message to edit not found" when there is none), and
  none in a group it is no longer in (403); its edits send it no edited_message update.
- Private messages to a user who blocked the bot or never started it are 403s (a pending join
  request lets the bot write to the requester, as on Telegram).
- unbanChatMember without only_if_banned removes a current member, as documented.
- A user without Telegram Premium has at most one reaction on a message: a new one replaces it.
- createForumTopic works only in forum supergroups and for an administrator; the topic's id is
  the id of its "topic created" service message, which messages in the topic reply to.
- Files: a user may send a document with a caption (a command in it, too); sendDocument takes
  a multipart upload of at most 50 MB and caption of at most 1024 characters; getFile refuses
  files over 20 MB ("file is too big"), and GET /file/bot<token>/<file_path> serves the bytes.
- deleteMessage follows the documented limits: the bot's own messages anywhere, anything in a
  private chat, other people's messages in a group as an administrator and in a supergroup as
  one with can_delete_messages (`set_member(..., withheld=...)` takes a right away); never a
  message older than 48 hours or a topic's "topic created" service message.
Webhook URLs may be plain http on loopback here (Telegram demands HTTPS on 443/80/88/8443).
Not modelled: media, inline mode, Markdown parse modes (accepted without entities), the 48 h
edit window, flood limits other than injected ones (`fail_next`).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import secrets
import types
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes import telegram_payloads as p
from tests.fakes.recording import (
    CallLog,
    Failures,
    LoopbackServer,
    WebhookSender,
    notify,
    wait_until,
)
from tests.fakes.telegram_payloads import JSON

MEMBER_STATUSES = ("creator", "administrator", "member", "restricted", "left", "kicked")
CAPTION_LIMIT = 1024  # characters in a photo's caption
# https://core.telegram.org/bots/api#getfile: "bots can download files of up to 20MB";
# #senddocument: "Bots can currently send files of any type of up to 50 MB in size".
DOWNLOAD_LIMIT = 20_000_000
UPLOAD_LIMIT = 50_000_000
TOPIC_NAME_LIMIT = 128
# The colours a topic icon may have (createForumTopic's icon_color).
TOPIC_ICON_COLORS = (0x6FB9F0, 0xFFD67E, 0xCB86DB, 0x8EEE98, 0xFF93B2, 0xFB6F5F)
_PRESENT = ("creator", "administrator", "member", "restricted")
_ADMINS = ("creator", "administrator")
DELETE_WINDOW = 48 * 3600  # seconds a message may still be deleted
_CALLBACK_EXPIRED = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)


@dataclass
class RecordedCall:
    """One Bot API request as the fake received it, and what it answered."""

    method: str  # canonical name ("sendMessage") when known, else as requested
    params: JSON  # decoded: numbers/booleans typed, nested JSON strings parsed
    status: int | None = None  # HTTP status; None while a long poll is still open
    response: Any = None  # the whole JSON body answered
    http_method: str = "POST"
    files: dict[str, bytes] = field(default_factory=dict)  # multipart uploads


class _ApiError(Exception):
    def __init__(self, status: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(status, description)
        self.status = status
        self.body = p.error(status, description, parameters)


def _bad(description: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: {description}")


@dataclass
class _Failure:
    status: int
    retry_after: int
    description: str | None


_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected failure",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request",
    500: "Internal Server Error",
    502: "Bad Gateway",
}

Handler = Callable[[JSON], Awaitable[Any]]
UploadHandler = Callable[[JSON, dict[str, bytes]], Awaitable[Any]]


class FakeTelegram:
    """The Bot API for one bot, its users and chats. Public coroutines take `timeout`
    arguments (ruff's ASYNC109 is silenced on them) because the adapter's tests use them."""

    TOKEN = "123456:TEST-fake-telegram-token"
    BOT_ID = 123456
    BOT_USERNAME = "knowpay_bot"
    BOT_NAME = "KnowPay"
    OWNER_ID = 100000  # the community's creator

    def __init__(self, *, community_chat_id: int = -1001111111111, forum: bool = False) -> None:
        self.community_chat_id = community_chat_id
        self.base_url = ""
        self.base_file_url = ""
        self._changed = asyncio.Condition()
        self._calls = CallLog[RecordedCall](self._changed)
        self.calls = self._calls.items
        self.my_commands: dict[tuple[str, str], list[JSON]] = {}
        self.webhook: JSON | None = None
        self.webhook_deliveries: list[tuple[JSON, int]] = []  # (update, HTTP status answered)
        self.webhook_retry_delay = 0.2  # seconds between redeliveries after a failure
        self.blocked: set[int] = set()
        self.not_started: set[int] = set()
        self.bans: set[tuple[int, int]] = set()  # (chat_id, user_id) with status kicked
        self.join_requests: dict[tuple[int, int], str] = {}
        self.invite_links: list[JSON] = []
        self.reactions_by_bot: list[JSON] = []
        self.callback_answers: dict[str, JSON] = {}  # callback query id -> answer params
        self.payments: dict[str, JSON] = {}  # telegram_payment_charge_id -> payment
        self.deleted_messages: list[tuple[int, int]] = []
        self.updates: list[JSON] = []  # every update queued, in order
        self.dropped_updates: list[tuple[str, JSON]] = []  # (why, update) never delivered
        self.privacy_mode = True  # BotFather's default; admins see everything anyway
        self.pre_checkout_timeout = 10.0  # Telegram waits 10 s for answerPreCheckoutQuery
        self._users: dict[int, JSON] = {}
        self._chats: dict[int, JSON] = {}  # groups, supergroups and channels
        self._members: dict[tuple[int, int], tuple[str, int]] = {}  # -> (status, until_date)
        self._withheld: dict[tuple[int, int], frozenset[str]] = {}  # an admin's rights not given
        self._messages: dict[tuple[int, int], JSON] = {}
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._bot_sent: dict[int, list[int]] = {}
        self._snapshots = CallLog[JSON](self._changed)  # bot messages as first sent, in order
        self._user_reactions: dict[tuple[int, int, int], list[JSON]] = {}
        self._topics: dict[int, set[int]] = {}
        self.forum_topics: dict[int, list[JSON]] = {}  # chat id -> topics the bot created
        self._invoices: dict[tuple[int, int], JSON] = {}
        self._links: dict[str, tuple[int, JSON]] = {}  # url -> (chat_id, link)
        self._link_uses: dict[str, int] = {}
        self._request_links: dict[tuple[int, int], JSON] = {}
        self._callbacks: dict[str, JSON] = {}
        self._checkouts: dict[str, JSON | None] = {}  # pre_checkout_query id -> answer
        self._files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, bytes)
        self._pending: list[JSON] = []  # queued, not yet confirmed
        self._allowed: frozenset[str] = p.DEFAULT_UPDATE_TYPES
        self._update_ids = itertools.count(700_000_001)
        self._poll_generation = 0
        self._waiting_polls: list[int] = []  # generations of the long polls held open
        self._webhook_error: tuple[int, str] | None = None  # (date, message) of the last
        self._failures = Failures[_Failure]()
        self._closing = False
        self._server = LoopbackServer()
        self._sender = WebhookSender()
        self._bot = p.user(self.BOT_ID, self.BOT_NAME, username=self.BOT_USERNAME, is_bot=True)
        self._users[self.BOT_ID] = self._bot
        self.add_user(self.OWNER_ID, "Owner", username="community_owner")
        self.add_chat(community_chat_id, "KnowPay Community", is_forum=forum)
        self.set_member(community_chat_id, self.OWNER_ID, "creator")
        self.set_member(community_chat_id, self.BOT_ID, "administrator")
        self._methods: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler)
            for name, handler in [
                ("getMe", self._get_me),
                ("logOut", self._true),
                ("close", self._true),
                ("getUpdates", self._get_updates),
                ("setWebhook", self._set_webhook),
                ("deleteWebhook", self._delete_webhook),
                ("getWebhookInfo", self._get_webhook_info),
                ("setMyCommands", self._set_my_commands),
                ("deleteMyCommands", self._delete_my_commands),
                ("getMyCommands", self._get_my_commands),
                ("sendMessage", self._send_message),
                ("sendPhoto", self._send_photo),
                ("getFile", self._get_file),
                ("editMessageText", self._edit_message_text),
                ("editMessageReplyMarkup", self._edit_message_reply_markup),
                ("deleteMessage", self._delete_message),
                ("sendChatAction", self._send_chat_action),
                ("answerCallbackQuery", self._answer_callback_query),
                ("setMessageReaction", self._set_message_reaction),
                ("createChatInviteLink", self._create_chat_invite_link),
                ("revokeChatInviteLink", self._revoke_chat_invite_link),
                ("approveChatJoinRequest", self._approve_join_request),
                ("declineChatJoinRequest", self._decline_join_request),
                ("banChatMember", self._ban_chat_member),
                ("unbanChatMember", self._unban_chat_member),
                ("getChatMember", self._get_chat_member),
                ("getChatAdministrators", self._get_chat_administrators),
                ("getChatMemberCount", self._get_chat_member_count),
                ("getChat", self._get_chat),
                ("createForumTopic", self._create_forum_topic),
                ("sendInvoice", self._send_invoice),
                ("answerPreCheckoutQuery", self._answer_pre_checkout_query),
                ("refundStarPayment", self._refund_star_payment),
            ]
        }
        # Methods that take files: they see the multipart uploads, not only "attach://" names.
        self._uploads: dict[str, tuple[str, UploadHandler]] = {
            "senddocument": ("sendDocument", self._send_document)
        }

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/file/bot{token}/{path:.*}", self._file)
        await self._server.start(app)
        self.base_url = self._server.url("/bot")
        self.base_file_url = self._server.url("/file/bot")
        self._sender.start(
            self._webhook_worker,
            name="fake-telegram-webhook",
            client_timeout=aiohttp.ClientTimeout(total=10),
        )

    async def stop(self) -> None:
        """Answer open long polls, stop webhook deliveries, close the server."""
        self._closing = True
        await notify(self._changed)
        await self._sender.stop()
        await self._server.stop()

    # ---- state set-up (silent: no updates) -------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str,
        *,
        username: str | None = None,
        language_code: str | None = "en",
        is_bot: bool = False,
        is_premium: bool = False,
        last_name: str | None = None,
    ) -> JSON:
        """A Telegram account; its private chat with the bot exists implicitly (id = user id)
        and counts as started unless the id is put in `not_started`."""
        self._users[user_id] = p.user(
            user_id,
            first_name,
            username=username,
            last_name=last_name,
            language_code=language_code,
            is_bot=is_bot,
            is_premium=is_premium,
        )
        return self._users[user_id]

    def add_chat(
        self, chat_id: int, title: str, *, kind: str = "supergroup", is_forum: bool = False
    ) -> JSON:
        if kind not in ("group", "supergroup", "channel"):
            raise ValueError(f"chat kind {kind!r}: group, supergroup or channel")
        self._chats[chat_id] = p.group_chat(chat_id, title, kind, is_forum=is_forum)
        self._topics.setdefault(chat_id, set())
        return self._chats[chat_id]

    def add_topic(self, chat_id: int, thread_id: int) -> None:
        """A forum topic the bot may post in (send_command with a new thread id adds one)."""
        if not self._chats[chat_id].get("is_forum"):
            raise ValueError(f"chat {chat_id} is not a forum")
        self._topics[chat_id].add(thread_id)

    def set_member(
        self, chat_id: int, user_id: int, status: str = "member", *, withheld: tuple[str, ...] = ()
    ) -> None:
        """Set a status silently (no chat_member update; see `change_member`). An
        administrator has every right but those `withheld` ("can_delete_messages", ...)."""
        if withheld and status != "administrator":
            raise ValueError("only an administrator's rights can be withheld")
        self._set_status(chat_id, user_id, status)
        self._withheld[(chat_id, user_id)] = frozenset(withheld)

    def member_status(self, chat_id: int, user_id: int) -> str:
        if chat_id not in self._chats:
            return "member" if chat_id == user_id and user_id in self._users else "left"
        return self._members.get((chat_id, user_id), ("left", 0))[0]

    def bot_messages(self, chat_id: int) -> list[JSON]:
        """What the bot sent to `chat_id` and did not delete, edits applied, in order."""
        return [
            self._messages[(chat_id, mid)]
            for mid in self._bot_sent.get(chat_id, [])
            if (chat_id, mid) in self._messages
        ]

    def visible_commands(self, user_id: int, chat_id: int | None = None) -> list[JSON]:
        """The command list Telegram shows `user_id` in `chat_id` (None: the private chat),
        resolved through scopes and languages as documented under "Determining list of
        commands": the first non-empty list wins."""
        language = self._users[user_id].get("language_code", "")[:2]
        in_private = chat_id is None or chat_id == user_id
        if in_private:
            scopes: list[JSON] = [
                {"type": "chat", "chat_id": user_id},
                {"type": "all_private_chats"},
            ]
        else:
            assert chat_id is not None
            admin = self.member_status(chat_id, user_id) in _ADMINS
            scopes = [{"type": "chat_member", "chat_id": chat_id, "user_id": user_id}]
            if admin:
                scopes.append({"type": "chat_administrators", "chat_id": chat_id})
            scopes.append({"type": "chat", "chat_id": chat_id})
            if admin:
                scopes.append({"type": "all_chat_administrators"})
            scopes.append({"type": "all_group_chats"})
        scopes.append({"type": "default"})
        for scope in scopes:
            for lang in (language, ""):
                commands = self.my_commands.get((p.canonical_json(scope), lang))
                if commands:
                    return commands
        return []

    def fail_next(
        self,
        method: str,
        status: int,
        *,
        times: int = 1,
        retry_after: int = 1,
        description: str | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` with `status`, doing nothing else. A 429
        carries parameters.retry_after (PTB raises RetryAfter)."""
        failure = _Failure(status, retry_after, description)
        self._failures.add(failure, method=method.lower(), times=times)

    async def wait_for_call(self, method: str, *, timeout: float = 5.0) -> RecordedCall:  # noqa: ASYNC109
        """The earliest answered call of `method` not returned before (a retry is a second
        call)."""
        wanted = method.lower()

        def missing() -> str:
            seen = [f"{c.method} -> {c.status}" for c in self.calls if c.method != "getUpdates"]
            return f"no {method} call within {timeout}s; calls: {seen}"

        return await self._calls.wait_for(
            lambda call: call.status is not None and call.method.lower() == wanted,
            timeout=timeout,
            on_timeout=missing,
        )

    async def wait_for_bot_message(self, chat_id: int, *, timeout: float = 5.0) -> JSON:  # noqa: ASYNC109
        """The next message the bot sends to `chat_id`, as it was sent (later edits are in
        `bot_messages`); each is handed out once, in order."""

        def nothing_new() -> str:
            sent = [m.get("text") for m in self.bot_messages(chat_id)]
            return f"the bot sent nothing new to {chat_id} within {timeout}s; sent so far: {sent}"

        message = await self._snapshots.wait_for(
            lambda m: m["chat"]["id"] == chat_id, timeout=timeout, on_timeout=nothing_new
        )
        return copy.deepcopy(message)

    async def wait_until_polling(self, *, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """A getUpdates long poll is open, so its allowed_updates are in force: updates made
        now reach the bot (avoids racing the first poll after start_polling)."""
        await wait_until(
            self._changed, lambda: self._poll_generation in self._waiting_polls, timeout=timeout
        )

    @property
    def allowed_updates(self) -> frozenset[str]:
        return self._allowed

    # ---- things users do -------------------------------------------------------------------

    async def send_command(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        message_thread_id: int | None = None,
    ) -> JSON:
        """The user sends "/cmd args" (or "/cmd@knowpay_bot args") to `chat_id` (None: their
        private chat with the bot). Returns the message, as the bot receives it."""
        if not text.startswith("/"):
            raise ValueError(f"a command starts with '/': {text!r}")
        return await self._user_message(user_id, chat_id, text, None, message_thread_id)

    async def reply(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        reply_to: int | None = None,
        message_thread_id: int | None = None,
    ) -> JSON:
        """The user sends plain text, as a reply to message `reply_to` of that chat if set, in
        forum topic `message_thread_id` if set."""
        return await self._user_message(user_id, chat_id, text, reply_to, message_thread_id)

    async def send_document(
        self,
        user_id: int,
        data: bytes,
        filename: str,
        *,
        mime_type: str = "application/octet-stream",
        caption: str = "",
        chat_id: int | None = None,
        reply_to: int | None = None,
    ) -> JSON:
        """The user sends a file, with `caption` ("/drop new ..." makes it a command), as a
        reply to message `reply_to` if set. Returns the message, as the bot receives it."""
        document = {**self._store_file(data), "file_name": filename, "mime_type": mime_type}
        return await self._user_message(
            user_id, chat_id, caption, reply_to, None, document=document
        )

    def file_bytes(self, file_id: str) -> bytes:
        """What a file (a user's or one the bot sent) holds."""
        return self._files[file_id][1]

    async def press_button(
        self, user_id: int, chat_id: int, message_id: int, callback_data: str
    ) -> str:
        """The user presses the inline button with `callback_data` on a bot message; returns
        the callback query id."""
        message = self._messages.get((chat_id, message_id))
        if message is None or message["from"]["id"] != self.BOT_ID:
            raise LookupError(f"no bot message {message_id} in chat {chat_id}")
        if p.find_callback_button(message, callback_data) is None:
            raise LookupError(f"message {message_id} has no button with data {callback_data!r}")
        query_id = str(secrets.randbits(63))
        query = {
            "id": query_id,
            "from": self._user(user_id),
            "message": copy.deepcopy(message),
            "chat_instance": str(abs(hash((chat_id, self.BOT_ID))) % 10**18),
            "data": callback_data,
        }
        self._callbacks[query_id] = query
        await self._emit("callback_query", query)
        return query_id

    async def react(
        self, user_id: int, chat_id: int, message_id: int, emoji: str, *, remove: bool = False
    ) -> None:
        """The user adds (or removes) a reaction; the message_reaction update carries the
        user's reactions before and after. Without Premium a new reaction replaces the old."""
        canonical = p.reaction_emoji(emoji)
        if canonical is None:
            raise ValueError(f"{emoji!r} is not a reaction Telegram offers")
        if (chat_id, message_id) not in self._messages:
            raise LookupError(f"no message {message_id} in chat {chat_id}")
        self._require_present(chat_id, user_id)
        key = (chat_id, message_id, user_id)
        old = self._user_reactions.get(key, [])
        reaction = p.emoji_reaction(canonical)
        if remove:
            if reaction not in old:
                return  # nothing changes, Telegram sends nothing
            new = [r for r in old if r != reaction]
        elif reaction in old:
            return
        elif self._users[user_id].get("is_premium"):
            new = [*old, reaction][-3:]
        else:
            new = [reaction]
        self._user_reactions[key] = new
        update = {
            "chat": self._chat(chat_id),
            "message_id": message_id,
            "user": self._user(user_id),
            "date": p.now(),
            "old_reaction": old,
            "new_reaction": new,
        }
        why = None if self._is_admin(chat_id, self.BOT_ID) else "the bot is not an administrator"
        await self._emit("message_reaction", update, blocked=why)

    async def request_join(
        self,
        user_id: int,
        chat_id: int,
        *,
        invite_link: str | None = None,
        bio: str | None = None,
    ) -> None:
        """The user asks to join (a chat_join_request update); with `invite_link`, through that
        link (which must create join requests)."""
        if self.member_status(chat_id, user_id) in _PRESENT:
            raise ValueError(f"user {user_id} is already in chat {chat_id}")
        if self.member_status(chat_id, user_id) == "kicked":
            raise ValueError(f"user {user_id} is banned from chat {chat_id}")
        link = None
        if invite_link is not None:
            link = self._usable_link(chat_id, invite_link)
            if not link["creates_join_request"]:
                raise ValueError(f"{invite_link} admits directly; use join_with_link")
        self.join_requests[(chat_id, user_id)] = "pending"
        request: JSON = {
            "chat": self._chat(chat_id),
            "from": self._user(user_id),
            "user_chat_id": user_id,
            "date": p.now(),
        }
        if bio:
            request["bio"] = bio
        if link is not None:
            self._request_links[(chat_id, user_id)] = link
            request["invite_link"] = link
        await self._emit("chat_join_request", request, blocked=self._admin_gate(chat_id))

    async def join_with_link(self, user_id: int, invite_link: str) -> str:
        """The user opens an invite link: "pending" (a join request) or "member" (joined, a
        chat_member update with the link)."""
        chat_id, link = self._links.get(invite_link, (0, None))
        if link is None:
            raise LookupError(f"no invite link {invite_link}")
        if link["creates_join_request"]:
            await self.request_join(user_id, chat_id, invite_link=invite_link)
            return "pending"
        self._usable_link(chat_id, invite_link)
        if self.member_status(chat_id, user_id) in _PRESENT:
            raise ValueError(f"user {user_id} is already in chat {chat_id}")
        if self.member_status(chat_id, user_id) == "kicked":
            raise ValueError(f"user {user_id} is banned from chat {chat_id}")
        self._link_uses[invite_link] = self._link_uses.get(invite_link, 0) + 1
        await self.change_member(chat_id, user_id, "member", invite_link=link)
        return "member"

    async def change_member(
        self,
        chat_id: int,
        user_id: int,
        status: str,
        *,
        by: int | None = None,
        invite_link: JSON | None = None,
    ) -> None:
        """A status change as it happens (joins, leaves, promotions): a chat_member update
        (my_chat_member when it is the bot). `by` is who did it (default: the user)."""
        await self._change_status(chat_id, user_id, status, by or user_id, invite_link=invite_link)

    async def pay_stars(
        self,
        user_id: int,
        invoice_message_id: int | None = None,
        *,
        payload: str | None = None,
        amount: int | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> JSON:
        """The user pays an invoice the bot sent (default: the newest one in their private
        chat): a pre_checkout_query, then - if the bot answers ok - a successful_payment
        message. `payload`/`amount` override the invoice's (or, with no invoice message, pay
        an invoice link). Returns {"ok", "error_message", "charge_id"}."""
        chat_id, invoice = self._find_invoice(user_id, invoice_message_id)
        if invoice is None and (payload is None or amount is None):
            raise LookupError(f"no invoice {invoice_message_id or ''} for user {user_id}")
        currency = invoice["currency"] if invoice else "XTR"
        payload = payload if payload is not None else invoice["payload"] if invoice else ""
        amount = amount if amount is not None else invoice["amount"] if invoice else 0
        query_id = str(secrets.randbits(63))
        self._checkouts[query_id] = None
        query = {
            "id": query_id,
            "from": self._user(user_id),
            "currency": currency,
            "total_amount": amount,
            "invoice_payload": payload,
        }
        if await self._emit("pre_checkout_query", query) is None:
            raise RuntimeError("pre_checkout_query is not in the bot's allowed_updates")
        try:
            await wait_until(
                self._changed,
                lambda: self._checkouts[query_id] is not None,
                timeout=min(timeout, self.pre_checkout_timeout),
            )
        except TimeoutError:
            self._checkouts.pop(query_id, None)
            raise TimeoutError(
                f"the bot did not answer pre_checkout_query {query_id} in time"
            ) from None
        answer = self._checkouts[query_id]
        assert answer is not None
        if not p.as_bool(answer.get("ok")):
            return {"ok": False, "error_message": answer.get("error_message"), "charge_id": None}
        charge_id = "stxfake" + secrets.token_hex(12)
        payment = {
            "currency": currency,
            "total_amount": amount,
            "invoice_payload": payload,
            "telegram_payment_charge_id": charge_id,
            "provider_payment_charge_id": "",
        }
        self.payments[charge_id] = {**payment, "user_id": user_id, "refunded": False}
        await self._emit_message(
            self._new_message(chat_id, user_id, {"successful_payment": payment})
        )
        return {"ok": True, "error_message": None, "charge_id": charge_id}

    async def deliver_webhook(
        self, update: JSON, *, secret_token: str | types.EllipsisType | None = ...
    ) -> int:
        """POST `update` to the webhook as Telegram would; `secret_token` defaults to the one
        registered (pass another to forge one, None to send no header). Returns the status."""
        if self.webhook is None:
            raise RuntimeError("no webhook is set (setWebhook)")
        if "update_id" not in update:
            update = {"update_id": next(self._update_ids), **update}
        token = self.webhook.get("secret_token") if secret_token is ... else secret_token
        assert isinstance(token, str | None)
        status = await self._post_webhook(self.webhook["url"], update, token)
        self.webhook_deliveries.append((update, status))
        return status

    # ---- helpers: users, chats, members ----------------------------------------------------

    def _user(self, user_id: int) -> JSON:
        if user_id not in self._users:
            raise LookupError(f"no user {user_id}; add_user() first")
        return self._users[user_id]

    def _chat(self, chat_id: int) -> JSON:
        if chat_id in self._chats:
            return self._chats[chat_id]
        if chat_id in self._users:
            return p.private_chat(self._users[chat_id])
        raise LookupError(f"no chat {chat_id}")

    def _api_chat(self, params: JSON, key: str = "chat_id") -> int:
        if params.get(key) in (None, ""):
            raise _bad(f"{key} is empty")
        try:
            chat_id = p.as_int(params[key], key)
        except ValueError:
            raise _bad("chat not found") from None
        if chat_id not in self._chats and chat_id not in self._users:
            raise _bad("chat not found")
        return chat_id

    def _api_user(self, params: JSON) -> int:
        try:
            user_id = p.as_int(params.get("user_id"), "user_id")
        except ValueError:
            raise _bad("user_id is empty") from None
        if user_id not in self._users:
            raise _bad("user not found")
        return user_id

    def _set_status(self, chat_id: int, user_id: int, status: str, until: int = 0) -> None:
        if status not in MEMBER_STATUSES:
            raise ValueError(f"status {status!r}: one of {MEMBER_STATUSES}")
        self._user(user_id)
        if chat_id not in self._chats:
            raise LookupError(f"no group chat {chat_id}; add_chat() first")
        self._members[(chat_id, user_id)] = (status, until)
        if status == "kicked":
            self.bans.add((chat_id, user_id))
        else:
            self.bans.discard((chat_id, user_id))

    def _member(self, chat_id: int, user_id: int) -> JSON:
        status, until = self._members.get((chat_id, user_id), ("left", 0))
        if chat_id not in self._chats:
            status = "member"
        member = p.chat_member(self._users[user_id], status, until_date=until)
        if status == "administrator":
            member.update(dict.fromkeys(self._withheld.get((chat_id, user_id), ()), False))
        return member

    def _is_admin(self, chat_id: int, user_id: int) -> bool:
        return chat_id not in self._chats or self.member_status(chat_id, user_id) in _ADMINS

    def _has_right(self, chat_id: int, user_id: int, right: str) -> bool:
        """Administrators have the rights they were not refused; the creator has them all."""
        status = self.member_status(chat_id, user_id)
        if status == "administrator":
            return right not in self._withheld.get((chat_id, user_id), frozenset())
        return status == "creator"

    def _admin_gate(self, chat_id: int) -> str | None:
        return None if self._is_admin(chat_id, self.BOT_ID) else "the bot is not an administrator"

    def _require_present(self, chat_id: int, user_id: int) -> None:
        self._user(user_id)
        if chat_id in self._chats and self.member_status(chat_id, user_id) not in _PRESENT:
            raise ValueError(
                f"user {user_id} is {self.member_status(chat_id, user_id)} in chat {chat_id};"
                " set_member() first"
            )

    def _require_bot_admin(self, chat_id: int, description: str) -> None:
        if chat_id not in self._chats:
            raise _bad("method is available for supergroup and channel chats only")
        if not self._is_admin(chat_id, self.BOT_ID):
            raise _bad(description)

    async def _change_status(
        self,
        chat_id: int,
        user_id: int,
        status: str,
        actor: int,
        *,
        invite_link: JSON | None = None,
        via_join_request: bool = False,
        until: int = 0,
    ) -> None:
        old = self._member(chat_id, user_id)
        self._set_status(chat_id, user_id, status, until)
        new = self._member(chat_id, user_id)
        if old == new:
            return
        change: JSON = {
            "chat": self._chat(chat_id),
            "from": self._user(actor),
            "date": p.now(),
            "old_chat_member": old,
            "new_chat_member": new,
        }
        if invite_link is not None:
            change["invite_link"] = invite_link
        if via_join_request:
            change["via_join_request"] = True
        if user_id == self.BOT_ID:
            await self._emit("my_chat_member", change)
        else:
            await self._emit("chat_member", change, blocked=self._admin_gate(chat_id))

    def _usable_link(self, chat_id: int, url: str) -> JSON:
        link_chat, link = self._links.get(url, (0, None))
        if link is None or link_chat != chat_id:
            raise LookupError(f"no invite link {url} for chat {chat_id}")
        if link["is_revoked"]:
            raise ValueError(f"{url} was revoked")
        if link.get("expire_date") and link["expire_date"] <= p.now():
            raise ValueError(f"{url} expired")
        if link.get("member_limit") and self._link_uses.get(url, 0) >= link["member_limit"]:
            raise ValueError(f"{url} reached its member limit")
        return link

    def _find_invoice(self, user_id: int, message_id: int | None) -> tuple[int, JSON | None]:
        if message_id is None:
            mine = [key for key in self._invoices if key[0] == user_id]
            return user_id, self._invoices[mine[-1]] if mine else None
        if (user_id, message_id) in self._invoices:
            return user_id, self._invoices[(user_id, message_id)]
        for (chat_id, mid), invoice in self._invoices.items():
            if mid == message_id:
                return chat_id, invoice
        return user_id, None

    # ---- messages and updates --------------------------------------------------------------

    def _new_message(self, chat_id: int, sender: int, fields: JSON) -> JSON:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        message: JSON = {
            "message_id": next(counter),
            "from": self._user(sender),
            "date": p.now(),
            "chat": self._chat(chat_id),
            **fields,
        }
        self._messages[(chat_id, message["message_id"])] = message
        return message

    async def _user_message(
        self,
        user_id: int,
        chat_id: int | None,
        text: str,
        reply_to: int | None,
        thread_id: int | None,
        *,
        document: JSON | None = None,
    ) -> JSON:
        """A user's message: `text`, or a `document` with `text` as its caption."""
        chat_id = user_id if chat_id is None else chat_id
        self._require_present(chat_id, user_id)
        if chat_id not in self._chats and chat_id != user_id:
            raise ValueError("a user writes in a group or in their own chat with the bot")
        fields = _content(text, document)
        target = None
        if reply_to is not None:
            target = self._messages.get((chat_id, reply_to))
            if target is None:
                raise LookupError(f"no message {reply_to} in chat {chat_id}")
            fields["reply_to_message"] = p.strip_reply(target)
            if thread_id is None and target.get("is_topic_message"):
                thread_id = target["message_thread_id"]
        if thread_id is not None:
            if not self._chat(chat_id).get("is_forum"):
                raise ValueError(f"chat {chat_id} is not a forum")
            self._topics[chat_id].add(thread_id)
            fields.update(message_thread_id=thread_id, is_topic_message=True)
            opening = self._messages.get((chat_id, thread_id), {})
            if target is None and "forum_topic_created" in opening:
                # In a topic, a message that replies to nothing replies to its creation.
                fields["reply_to_message"] = p.strip_reply(opening)
        if chat_id == user_id:  # writing to the bot (re)starts it
            self.not_started.discard(user_id)
            self.blocked.discard(user_id)
        message = self._new_message(chat_id, user_id, fields)
        await self._emit_message(message)
        return message

    async def _emit_message(self, message: JSON) -> None:
        chat_id = message["chat"]["id"]
        why = None
        if chat_id in self._chats:
            status = self.member_status(chat_id, self.BOT_ID)
            if status not in _PRESENT:
                why = "the bot is not in the chat"
            elif self.privacy_mode and status not in _ADMINS and not self._privacy_lets(message):
                why = "privacy mode: not a command, reply or mention for the bot"
        await self._emit("message", message, blocked=why)

    def _privacy_lets(self, message: JSON) -> bool:
        text = message.get("text", "")
        command = p.command_target(text)
        if command is not None:
            return command[1] in (None, self.BOT_USERNAME)
        replied = message.get("reply_to_message") or {}
        if replied.get("from", {}).get("id") == self.BOT_ID:
            return True
        return f"@{self.BOT_USERNAME}".lower() in text.lower() or "text" not in message

    async def _emit(self, kind: str, payload: JSON, *, blocked: str | None = None) -> JSON | None:
        """Queue an update, unless Telegram would not send it (returns None then)."""
        if blocked is None and kind not in self._allowed:
            blocked = f"{kind} is not in allowed_updates"
        if blocked is not None:
            self.dropped_updates.append((blocked, {kind: payload}))
            return None
        update = {"update_id": next(self._update_ids), kind: payload}
        self.updates.append(update)
        self._pending.append(update)
        await notify(self._changed)
        return update

    def _record_bot_message(self, message: JSON) -> None:
        self._bot_sent.setdefault(message["chat"]["id"], []).append(message["message_id"])
        self._snapshots.record(copy.deepcopy(message))

    def _text_and_entities(self, params: JSON) -> tuple[str, list[JSON]]:
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _bad("message text is empty")
        mode = str(params.get("parse_mode") or "").lower()
        entities: list[JSON] = []
        if params.get("entities"):
            entities = list(params["entities"])
        elif mode == "html":
            try:
                text, entities = p.parse_html(text, mention=self._users.get)
            except p.EntityParseError as exc:
                raise _bad(f"can't parse entities: {exc}") from None
        elif mode not in ("", "markdown", "markdownv2"):
            raise _bad(f"unsupported parse_mode {params['parse_mode']!r}")
        text, entities = p.trim(text, entities)
        if not text:
            raise _bad("message text is empty")
        if p.utf16_len(text) > p.MAX_TEXT_LENGTH:
            raise _bad("message is too long")
        return text, entities

    def _markup(self, params: JSON) -> JSON | None:
        """The reply_markup a message keeps: only inline keyboards are part of a Message."""
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            problem = p.check_inline_keyboard(markup)
            if problem:
                raise _ApiError(400, problem)
            return markup
        if not any(k in markup for k in ("keyboard", "remove_keyboard", "force_reply")):
            raise _bad("can't parse reply keyboard markup JSON object")
        return None

    def _check_can_send(self, chat_id: int) -> None:
        if chat_id in self._chats:
            self._check_bot_present(chat_id)
            return
        if self._users[chat_id].get("is_bot"):
            raise _ApiError(403, "Forbidden: bot can't send messages to bots")
        if chat_id in self.blocked:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        requested = any(
            user == chat_id and state == "pending"
            for (_, user), state in self.join_requests.items()
        )
        if chat_id in self.not_started and not requested:
            raise _ApiError(403, "Forbidden: bot can't initiate conversation with a user")

    def _check_bot_present(self, chat_id: int) -> None:
        kind = self._chats[chat_id]["type"]
        kind = "group chat" if kind == "group" else f"{kind} chat"
        status = self.member_status(chat_id, self.BOT_ID)
        if status == "kicked":
            raise _ApiError(403, f"Forbidden: bot was kicked from the {kind}")
        if status not in _PRESENT:
            raise _ApiError(403, f"Forbidden: bot is not a member of the {kind}")

    def _thread(self, chat_id: int, params: JSON, replied: JSON | None) -> int | None:
        thread = params.get("message_thread_id")
        if thread is None and replied is not None and replied.get("is_topic_message"):
            thread = replied["message_thread_id"]
        if thread is None or not self._chat(chat_id).get("is_forum"):
            return None
        thread = p.as_int(thread, "message_thread_id")
        if thread not in self._topics[chat_id]:
            raise _bad("message thread not found")
        return thread

    def _replied(self, chat_id: int, params: JSON) -> JSON | None:
        reply = params.get("reply_parameters")
        if reply is None and params.get("reply_to_message_id") is not None:
            reply = {
                "message_id": params["reply_to_message_id"],
                "allow_sending_without_reply": params.get("allow_sending_without_reply", False),
            }
        if not isinstance(reply, dict) or reply.get("message_id") is None:
            return None
        reply_chat = p.as_int(reply.get("chat_id", chat_id), "chat_id")
        replied = self._messages.get((reply_chat, p.as_int(reply["message_id"], "message_id")))
        if replied is None and not p.as_bool(reply.get("allow_sending_without_reply", False)):
            raise _bad("message to be replied not found")
        return replied

    # ---- HTTP ------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["method"]
        known = self._methods.get(name.lower())
        upload = self._uploads.get(name.lower())
        canonical = known[0] if known else upload[0] if upload else name
        call = self._calls.record(RecordedCall(canonical, {}, http_method=request.method))
        try:
            call.params, call.files = await _read_params(request)
            if request.match_info["token"] != self.TOKEN:
                raise _ApiError(401, "Unauthorized")
            if known is None and upload is None:
                raise _ApiError(404, "Not Found: method not found")
            self._injected_failure(call.method)
            if upload is not None:
                result = await upload[1](call.params, call.files)
            elif known is not None:
                result = await known[1](call.params)
            status, body = 200, {"ok": True, "result": result}
        except _ApiError as exc:
            status, body = exc.status, exc.body
        except ValueError as exc:  # a parameter of the wrong type (see p.as_int)
            status, body = 400, p.error(400, f"Bad Request: invalid {exc} specified")
        call.status, call.response = status, body
        await notify(self._changed)
        return web.json_response(body, status=status)

    async def _file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] == self.TOKEN:
            path = request.match_info["path"]
            for file_path, data in self._files.values():
                if file_path == path:
                    return web.Response(body=data, content_type="application/octet-stream")
        return web.json_response(p.error(404, "Not Found: file not found"), status=404)

    def _store_file(self, data: bytes) -> JSON:
        """Keep a file's bytes; its Document fields (file_id, file_unique_id, file_size)."""
        number = len(self._files) + 1
        file_id = f"BQACAgIAAxkB{secrets.token_urlsafe(24)}"
        self._files[file_id] = (f"documents/file_{number}", data)
        return {"file_id": file_id, "file_unique_id": f"AgAD{number}", "file_size": len(data)}

    def _injected_failure(self, method: str) -> None:
        failure = self._failures.take(method.lower())
        if failure is None:
            return
        if failure.status == 429:
            raise _ApiError(
                429,
                failure.description or f"Too Many Requests: retry after {failure.retry_after}",
                {"retry_after": failure.retry_after},
            )
        raise _ApiError(
            failure.status,
            failure.description or _DEFAULT_DESCRIPTIONS.get(failure.status, "Error"),
        )

    # ---- Bot API methods -------------------------------------------------------------------

    async def _true(self, params: JSON) -> bool:
        return True

    async def _get_me(self, params: JSON) -> JSON:
        return p.get_me(self._bot, reads_all_group_messages=not self.privacy_mode)

    async def _get_updates(self, params: JSON) -> list[JSON]:
        if self.webhook is not None:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = p.as_int(params.get("offset", 0), "offset")
        limit = min(max(p.as_int(params.get("limit", 100), "limit"), 1), 100)
        timeout = max(float(params.get("timeout", 0) or 0), 0.0)
        if "allowed_updates" in params:
            self._set_allowed(params["allowed_updates"])
        if offset < 0:
            self._pending = self._pending[offset:]
        elif offset:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        self._poll_generation += 1
        generation = self._poll_generation
        async with self._changed:
            self._changed.notify_all()  # an older long poll ends with 409
            if not self._pending and timeout > 0 and not self._closing:
                self._waiting_polls.append(generation)
                self._changed.notify_all()
                try:
                    async with asyncio.timeout(timeout):
                        await self._changed.wait_for(
                            lambda: (
                                bool(self._pending)
                                or generation != self._poll_generation
                                or self._closing
                                or self.webhook is not None
                            )
                        )
                except TimeoutError:
                    pass
                finally:
                    self._waiting_polls.remove(generation)
        if generation != self._poll_generation:
            raise _ApiError(
                409,
                "Conflict: terminated by other getUpdates request; make sure that only one "
                "bot instance is running",
            )
        if self.webhook is not None:
            return []
        return copy.deepcopy(self._pending[:limit])

    def _set_allowed(self, value: Any) -> None:
        if not isinstance(value, list):
            raise _bad("can't parse allowed updates")
        known = [v for v in value if v in p.ALL_UPDATE_TYPES]
        self._allowed = frozenset(known) if value else p.DEFAULT_UPDATE_TYPES

    async def _set_webhook(self, params: JSON) -> bool:
        url = str(params.get("url", ""))
        if not url:
            return await self._delete_webhook(params)
        parsed = urllib.parse.urlsplit(url)
        loopback = parsed.hostname in ("127.0.0.1", "localhost", "::1")
        if parsed.scheme != "https" and not (parsed.scheme == "http" and loopback):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not p.SECRET_TOKEN_RE.fullmatch(str(secret)):
            raise _bad("secret token contains unallowed characters")
        if "allowed_updates" in params:
            self._set_allowed(params["allowed_updates"])
        if p.as_bool(params.get("drop_pending_updates", False)):
            self._pending.clear()
        self.webhook = {
            k: v for k, v in params.items() if k not in ("drop_pending_updates", "certificate")
        }
        self.webhook.setdefault("max_connections", 40)
        self._webhook_error = None
        return True

    async def _delete_webhook(self, params: JSON) -> bool:
        self.webhook = None
        if p.as_bool(params.get("drop_pending_updates", False)):
            self._pending.clear()
        return True

    async def _get_webhook_info(self, params: JSON) -> JSON:
        info: JSON = {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook is not None:
            info["max_connections"] = self.webhook["max_connections"]
            if self._allowed != p.DEFAULT_UPDATE_TYPES:
                info["allowed_updates"] = sorted(self._allowed)
            if self.webhook.get("ip_address"):
                info["ip_address"] = self.webhook["ip_address"]
            if self._webhook_error is not None:
                info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info

    def _commands_key(self, params: JSON) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict):
            raise _bad("can't parse BotCommandScope JSON object")
        kind = scope.get("type")
        needs = {
            "default": (),
            "all_private_chats": (),
            "all_group_chats": (),
            "all_chat_administrators": (),
            "chat": ("chat_id",),
            "chat_administrators": ("chat_id",),
            "chat_member": ("chat_id", "user_id"),
        }
        if kind not in needs or set(scope) != {"type", *needs[kind]}:
            raise _bad("unsupported BotCommandScope type")
        scope = dict(scope)
        for key in needs[kind]:
            scope[key] = self._api_chat(scope, key) if key == "chat_id" else self._api_user(scope)
        if kind in ("chat_administrators", "chat_member") and scope["chat_id"] not in self._chats:
            raise _bad("chat not found")  # group scopes need a group
        language = str(params.get("language_code") or "")
        if not p.valid_language(language):
            raise _bad("invalid language code specified")
        return p.canonical_json(scope), language

    async def _set_my_commands(self, params: JSON) -> bool:
        commands = params.get("commands")
        problem = p.check_commands(commands)
        if problem:
            raise _ApiError(400, problem)
        key = self._commands_key(params)
        if commands:
            self.my_commands[key] = [
                {"command": c["command"], "description": c["description"]} for c in commands
            ]
        else:
            self.my_commands.pop(key, None)
        return True

    async def _delete_my_commands(self, params: JSON) -> bool:
        self.my_commands.pop(self._commands_key(params), None)
        return True

    async def _get_my_commands(self, params: JSON) -> list[JSON]:
        return self.my_commands.get(self._commands_key(params), [])

    async def _send_message(self, params: JSON) -> JSON:
        chat_id = self._api_chat(params)
        self._check_can_send(chat_id)
        text, entities = self._text_and_entities(params)
        markup = self._markup(params)
        replied = self._replied(chat_id, params)
        thread = self._thread(chat_id, params, replied)
        fields: JSON = {"text": text}
        if entities:
            fields["entities"] = entities
        if thread is not None:
            fields.update(message_thread_id=thread, is_topic_message=True)
        if replied is not None:
            fields["reply_to_message"] = p.strip_reply(replied)
        if isinstance(params.get("link_preview_options"), dict):
            fields["link_preview_options"] = params["link_preview_options"]
        if p.as_bool(params.get("protect_content", False)):
            fields["has_protected_content"] = True
        if markup is not None:
            fields["reply_markup"] = markup
        message = self._new_message(chat_id, self.BOT_ID, fields)
        self._record_bot_message(message)
        return message

    async def _send_photo(self, params: JSON) -> JSON:
        """A photo (uploaded as multipart, "attach://..."), with an optional caption of at most
        1024 characters. The sizes Telegram makes of it are not decoded here: fixed ones."""
        chat_id = self._api_chat(params)
        self._check_can_send(chat_id)
        if not params.get("photo"):
            raise _bad("there is no photo in the request")
        caption = str(params.get("caption") or "")
        if len(caption) > CAPTION_LIMIT:
            raise _bad("message caption is too long")
        sizes = [p.photo_size(width, height) for width, height in ((320, 224), (1000, 700))]
        fields: JSON = {"photo": sizes}
        if caption:
            fields["caption"] = caption
        message = self._new_message(chat_id, self.BOT_ID, fields)
        self._record_bot_message(message)
        return message

    async def _send_document(self, params: JSON, files: dict[str, bytes]) -> JSON:
        """A file uploaded as multipart ("attach://<name>"), with an optional caption."""
        chat_id = self._api_chat(params)
        self._check_can_send(chat_id)
        reference = str(params.get("document") or "")
        name = reference.removeprefix("attach://")
        if not reference.startswith("attach://") or name not in files:
            raise _bad("there is no document in the request")
        data = files[name]
        if len(data) > UPLOAD_LIMIT:
            raise _ApiError(413, "Request Entity Too Large")
        caption = str(params.get("caption") or "")
        if len(caption) > CAPTION_LIMIT:
            raise _bad("message caption is too long")
        document = {**self._store_file(data), "file_name": name}
        fields: JSON = {"document": document}
        if caption:
            fields["caption"] = caption
        thread = self._thread(chat_id, params, None)
        if thread is not None:
            fields.update(message_thread_id=thread, is_topic_message=True)
        message = self._new_message(chat_id, self.BOT_ID, fields)
        self._record_bot_message(message)
        return message

    async def _get_file(self, params: JSON) -> JSON:
        file_id = str(params.get("file_id") or "")
        if file_id not in self._files:
            raise _bad("invalid file_id")
        path, data = self._files[file_id]
        if len(data) > DOWNLOAD_LIMIT:
            raise _bad("file is too big")
        return {
            "file_id": file_id,
            "file_unique_id": f"AgAD{list(self._files).index(file_id) + 1}",
            "file_size": len(data),
            "file_path": path,
        }

    def _bot_message(self, params: JSON, missing: str) -> JSON:
        if params.get("inline_message_id"):
            raise _bad("inline messages are not supported by the fake")
        chat_id = self._api_chat(params)
        if chat_id in self._chats:
            self._check_bot_present(chat_id)  # a bot out of the group changes nothing in it
        try:
            message_id = p.as_int(params.get("message_id"), "message_id")
        except ValueError:
            raise _bad("message identifier is not specified") from None
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise _bad(missing)
        if message["from"]["id"] != self.BOT_ID:
            raise _bad("message can't be edited")
        return message

    async def _edit_message_text(self, params: JSON) -> JSON:
        message = self._bot_message(params, "message to edit not found")
        if "text" not in message:
            raise _bad("there is no text in the message to edit")
        text, entities = self._text_and_entities(params)
        markup = self._markup(params)
        if (
            text == message["text"]
            and entities == message.get("entities", [])
            and markup == message.get("reply_markup")
        ):
            raise _bad(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        message["text"] = text
        message.pop("entities", None)
        if entities:
            message["entities"] = entities
        self._apply_markup(message, markup)
        return message

    async def _edit_message_reply_markup(self, params: JSON) -> JSON:
        message = self._bot_message(params, "message to edit not found")
        markup = self._markup(params)
        if markup == message.get("reply_markup"):
            raise _bad(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        self._apply_markup(message, markup)
        return message

    def _apply_markup(self, message: JSON, markup: JSON | None) -> None:
        message.pop("reply_markup", None)
        if markup is not None:
            message["reply_markup"] = markup
        message["edit_date"] = p.now()

    async def _delete_message(self, params: JSON) -> bool:
        chat_id = self._api_chat(params)
        message_id = p.as_int(params.get("message_id"), "message_id")
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise _bad("message to delete not found")
        if not self._may_delete(chat_id, message):
            raise _bad("message can't be deleted")
        del self._messages[(chat_id, message_id)]
        self.deleted_messages.append((chat_id, message_id))
        return True

    def _may_delete(self, chat_id: int, message: JSON) -> bool:
        if "forum_topic_created" in message or p.now() - message["date"] > DELETE_WINDOW:
            return False
        if chat_id not in self._chats or message["from"]["id"] == self.BOT_ID:
            return True  # anything in a private chat, its own messages anywhere
        if self._chats[chat_id]["type"] == "group":
            return self._is_admin(chat_id, self.BOT_ID)
        return self._has_right(chat_id, self.BOT_ID, "can_delete_messages")

    async def _send_chat_action(self, params: JSON) -> bool:
        chat_id = self._api_chat(params)
        self._check_can_send(chat_id)
        if not params.get("action"):
            raise _bad("action is empty")
        return True

    async def _answer_callback_query(self, params: JSON) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if query_id not in self._callbacks or query_id in self.callback_answers:
            raise _bad(_CALLBACK_EXPIRED.removeprefix("Bad Request: "))
        if len(str(params.get("text", ""))) > 200:
            raise _bad("MESSAGE_TOO_LONG")
        self.callback_answers[query_id] = params
        return True

    async def _set_message_reaction(self, params: JSON) -> bool:
        chat_id = self._api_chat(params)
        message_id = p.as_int(params.get("message_id"), "message_id")
        if (chat_id, message_id) not in self._messages:
            raise _bad("MESSAGE_ID_INVALID")
        reaction = params.get("reaction") or []
        if not isinstance(reaction, list):
            raise _bad("can't parse reaction types JSON object")
        if len(reaction) > 1:
            raise _bad("REACTIONS_TOO_MANY")
        for item in reaction:
            if not isinstance(item, dict) or item.get("type") not in ("emoji", "custom_emoji"):
                raise _bad("REACTION_INVALID")
            if item["type"] == "emoji" and p.reaction_emoji(str(item.get("emoji"))) is None:
                raise _bad("REACTION_INVALID")
        self.reactions_by_bot.append(
            {
                "chat_id": chat_id,
                "message_id": message_id,
                "reaction": reaction,
                "is_big": p.as_bool(params.get("is_big", False)),
            }
        )
        return True

    async def _create_chat_invite_link(self, params: JSON) -> JSON:
        chat_id = self._api_chat(params)
        self._require_bot_admin(chat_id, "CHAT_ADMIN_REQUIRED")
        name = params.get("name")
        if name is not None and len(str(name)) > 32:
            raise _bad("invite link name is too long")
        expire = params.get("expire_date")
        if expire is not None and p.as_int(expire, "expire_date") <= p.now():
            raise _bad("EXPIRE_DATE_INVALID")
        limit = params.get("member_limit")
        if limit is not None and not 1 <= p.as_int(limit, "member_limit") <= 99999:
            raise _bad("USAGE_LIMIT_INVALID")
        join_request = p.as_bool(params.get("creates_join_request", False))
        if join_request and limit is not None:
            raise _bad("member limit can't be specified for links requiring administrator approval")
        url = "https://t.me/+" + secrets.token_urlsafe(12)
        link = p.invite_link(
            url,
            self._bot,
            creates_join_request=join_request,
            name=None if name is None else str(name),
            expire_date=None if expire is None else p.as_int(expire, "expire_date"),
            member_limit=None if limit is None else p.as_int(limit, "member_limit"),
        )
        self.invite_links.append(link)
        self._links[url] = (chat_id, link)
        return link

    async def _revoke_chat_invite_link(self, params: JSON) -> JSON:
        chat_id = self._api_chat(params)
        self._require_bot_admin(chat_id, "CHAT_ADMIN_REQUIRED")
        link_chat, link = self._links.get(str(params.get("invite_link", "")), (0, None))
        if link is None or link_chat != chat_id:
            raise _bad("INVITE_HASH_EXPIRED")
        link["is_revoked"] = True
        return link

    def _pending_request(self, params: JSON) -> tuple[int, int]:
        chat_id = self._api_chat(params)
        self._require_bot_admin(chat_id, "CHAT_ADMIN_REQUIRED")
        user_id = self._api_user(params)
        if self.join_requests.get((chat_id, user_id)) != "pending":
            raise _bad("HIDE_REQUESTER_MISSING")
        return chat_id, user_id

    async def _approve_join_request(self, params: JSON) -> bool:
        chat_id, user_id = self._pending_request(params)
        self.join_requests[(chat_id, user_id)] = "approved"
        link = self._request_links.pop((chat_id, user_id), None)
        if link is not None:
            self._link_uses[link["invite_link"]] = self._link_uses.get(link["invite_link"], 0) + 1
        await self._change_status(
            chat_id, user_id, "member", self.BOT_ID, invite_link=link, via_join_request=True
        )
        return True

    async def _decline_join_request(self, params: JSON) -> bool:
        chat_id, user_id = self._pending_request(params)
        self.join_requests[(chat_id, user_id)] = "declined"
        self._request_links.pop((chat_id, user_id), None)
        return True

    async def _ban_chat_member(self, params: JSON) -> bool:
        chat_id = self._api_chat(params)
        self._require_bot_admin(chat_id, "not enough rights to restrict/ban chat member")
        user_id = self._api_user(params)
        status = self.member_status(chat_id, user_id)
        if user_id == self.BOT_ID:
            raise _bad("can't remove self")
        if status == "creator":
            raise _bad("can't remove chat owner")
        if status == "administrator":
            raise _bad("user is an administrator of the chat")
        until = p.as_int(params.get("until_date", 0) or 0, "until_date")
        if until and not 30 <= until - p.now() <= 366 * 86400:
            until = 0  # "less than 30 seconds or more than 366 days: banned forever"
        await self._change_status(chat_id, user_id, "kicked", self.BOT_ID, until=until)
        return True

    async def _unban_chat_member(self, params: JSON) -> bool:
        chat_id = self._api_chat(params)
        self._require_bot_admin(chat_id, "not enough rights to restrict/ban chat member")
        user_id = self._api_user(params)
        status = self.member_status(chat_id, user_id)
        if status in _ADMINS:
            raise _bad("user is an administrator of the chat")
        if status == "kicked" or (
            status in _PRESENT and not p.as_bool(params.get("only_if_banned", False))
        ):
            await self._change_status(chat_id, user_id, "left", self.BOT_ID)
        return True

    async def _get_chat_member(self, params: JSON) -> JSON:
        chat_id = self._api_chat(params)
        user_id = self._api_user(params)
        if chat_id not in self._chats and chat_id != user_id:
            raise _bad("user not found")
        return self._member(chat_id, user_id)

    async def _get_chat_administrators(self, params: JSON) -> list[JSON]:
        chat_id = self._api_chat(params)
        if chat_id not in self._chats:
            raise _bad("there are no administrators in the private chat")
        return [
            self._member(chat_id, user_id)
            for (cid, user_id), (status, _) in self._members.items()
            if cid == chat_id and status in _ADMINS
        ]

    async def _get_chat_member_count(self, params: JSON) -> int:
        chat_id = self._api_chat(params)
        if chat_id not in self._chats:
            return 2
        return sum(
            1
            for (cid, _), (status, _) in self._members.items()
            if cid == chat_id and status in _PRESENT
        )

    async def _get_chat(self, params: JSON) -> JSON:
        chat_id = self._api_chat(params)
        chat = self._chat(chat_id)
        join_by_request = any(
            link["creates_join_request"] and cid == chat_id for cid, link in self._links.values()
        )
        return p.chat_full_info(chat, join_by_request=join_by_request)

    async def _create_forum_topic(self, params: JSON) -> JSON:
        chat_id = self._api_chat(params)
        if not self._chat(chat_id).get("is_forum"):
            raise _bad("the chat is not a forum")
        self._check_can_send(chat_id)
        if not self._is_admin(chat_id, self.BOT_ID):
            raise _bad("not enough rights to create a topic")
        name = str(params.get("name") or "")
        if not 1 <= len(name) <= TOPIC_NAME_LIMIT:
            raise _bad("TOPIC_NAME_INVALID")
        color = p.as_int(params.get("icon_color", TOPIC_ICON_COLORS[0]), "icon_color")
        if color not in TOPIC_ICON_COLORS:
            raise _bad("TOPIC_ICON_COLOR_INVALID")
        topic: JSON = {"name": name, "icon_color": color}
        if params.get("icon_custom_emoji_id"):
            topic["icon_custom_emoji_id"] = str(params["icon_custom_emoji_id"])
        created = self._new_message(chat_id, self.BOT_ID, {"forum_topic_created": dict(topic)})
        thread_id = created["message_id"]
        created.update(message_thread_id=thread_id, is_topic_message=True)
        self._topics[chat_id].add(thread_id)
        forum_topic = {"message_thread_id": thread_id, **topic}
        self.forum_topics.setdefault(chat_id, []).append(forum_topic)
        return forum_topic

    async def _send_invoice(self, params: JSON) -> JSON:
        chat_id = self._api_chat(params)
        self._check_can_send(chat_id)
        title, description = str(params.get("title", "")), str(params.get("description", ""))
        payload, currency = str(params.get("payload", "")), str(params.get("currency", ""))
        if not 1 <= len(title) <= 32:
            raise _bad("INVOICE_TITLE_INVALID" if title else "title is empty")
        if not 1 <= len(description) <= 255:
            raise _bad("description is empty" if not description else "INVOICE_DESCRIPTION_INVALID")
        if not 1 <= len(payload.encode()) <= 128:
            raise _bad("INVOICE_PAYLOAD_INVALID")
        prices = params.get("prices")
        if (
            not isinstance(prices, list)
            or not prices
            or not all(
                isinstance(x, dict) and x.get("label") and isinstance(x.get("amount"), int)
                for x in prices
            )
        ):
            raise _bad("can't parse prices JSON object")
        token = str(params.get("provider_token") or "")
        if currency == "XTR":
            if token:
                raise _bad("PAYMENT_PROVIDER_INVALID")  # Stars take no provider
            if len(prices) != 1:
                raise _bad("STARS_INVOICE_INVALID")  # exactly one price in Stars
        elif not token:
            raise _bad("PAYMENT_PROVIDER_INVALID")
        total = sum(price["amount"] for price in prices)
        if total <= 0:
            raise _bad("CURRENCY_TOTAL_AMOUNT_INVALID")
        invoice = {
            "title": title,
            "description": description,
            "start_parameter": str(params.get("start_parameter", "")),
            "currency": currency,
            "total_amount": total,
        }
        fields: JSON = {"invoice": invoice}
        markup = self._markup(params)
        if markup is not None:
            fields["reply_markup"] = markup
        thread = self._thread(chat_id, params, None)
        if thread is not None:
            fields.update(message_thread_id=thread, is_topic_message=True)
        message = self._new_message(chat_id, self.BOT_ID, fields)
        self._invoices[(chat_id, message["message_id"])] = {
            "payload": payload,
            "currency": currency,
            "amount": total,
            "title": title,
        }
        self._record_bot_message(message)
        return message

    async def _answer_pre_checkout_query(self, params: JSON) -> bool:
        query_id = str(params.get("pre_checkout_query_id", ""))
        if query_id not in self._checkouts or self._checkouts[query_id] is not None:
            raise _bad("QUERY_ID_INVALID")
        if "ok" not in params:
            raise _bad("ok is empty")
        if not p.as_bool(params["ok"]) and not params.get("error_message"):
            raise _bad("error_message is empty")
        self._checkouts[query_id] = params
        return True

    async def _refund_star_payment(self, params: JSON) -> bool:
        user_id = self._api_user(params)
        payment = self.payments.get(str(params.get("telegram_payment_charge_id", "")))
        if payment is None or payment["user_id"] != user_id:
            raise _bad("CHARGE_NOT_FOUND")
        if payment["refunded"]:
            raise _bad("CHARGE_ALREADY_REFUNDED")
        payment["refunded"] = True
        return True

    # ---- webhook delivery ------------------------------------------------------------------

    async def _post_webhook(self, url: str, update: JSON, secret_token: str | None) -> int:
        """The status the bot answered; 0 if it could not be reached (Telegram reports that
        in getWebhookInfo)."""
        headers = {"Content-Type": "application/json"}
        if secret_token is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret_token
        return await self._sender.post(url, json.dumps(update), headers)

    async def _webhook_worker(self) -> None:
        """Push queued updates to the webhook one at a time, as Telegram does."""
        while True:
            async with self._changed:
                await self._changed.wait_for(
                    lambda: self._closing or (self.webhook is not None and bool(self._pending))
                )
            if self._closing:
                return
            hook, update = self.webhook, self._pending[0]
            assert hook is not None
            status = await self._post_webhook(hook["url"], update, hook.get("secret_token"))
            self.webhook_deliveries.append((update, status))
            if 200 <= status < 300:
                if self._pending and self._pending[0] is update:
                    self._pending.pop(0)
                await notify(self._changed)
                continue
            reason = (
                f"Wrong response from the webhook: {status}" if status else "Connection refused"
            )
            self._webhook_error = (p.now(), reason)
            await self._webhook_backoff(hook)

    async def _webhook_backoff(self, hook: JSON) -> None:
        """Wait before redelivering, unless the webhook changes or the fake stops."""
        with contextlib.suppress(TimeoutError):
            await wait_until(
                self._changed,
                lambda: self._closing or self.webhook is not hook,
                timeout=self.webhook_retry_delay,
            )


def _content(text: str, document: JSON | None) -> JSON:
    """A message's text and its entities, or a document with the text as its caption."""
    entities = p.detect_entities(text)
    if document is None:
        return {"text": text, **({"entities": entities} if entities else {})}
    fields: JSON = {"document": document}
    if text:
        fields["caption"] = text
    if entities:
        fields["caption_entities"] = entities
    return fields


async def _read_params(request: web.Request) -> tuple[JSON, dict[str, bytes]]:
    """Parameters from the query string and the body (form, multipart or JSON), decoded."""
    raw: dict[str, Any] = dict(request.query)
    files: dict[str, bytes] = {}
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise _bad("can't parse JSON object") from None
            if not isinstance(body, dict):
                raise _bad("can't parse JSON object")
            raw.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[value.filename or key] = value.file.read()
                    raw.setdefault(key, f"attach://{value.filename or key}")
                else:
                    raw[key] = value
    return p.decode_params(raw), files

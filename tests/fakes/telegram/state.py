"""What every part of the fake Telegram shares: the bot's users, chats and messages in one
object, the clock it stamps dates with, the recorded calls, and the error a method raises to
answer with."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.core.clock import Clock, FakeClock
from tests.fakes.recording import CallLog, Failures, WebhookSender
from tests.fakes.telegram import chat_payloads, wire
from tests.fakes.telegram.wire import JSON

MEMBER_STATUSES = ("creator", "administrator", "member", "restricted", "left", "kicked")
PRESENT = ("creator", "administrator", "member", "restricted")
ADMINS = ("creator", "administrator")


@dataclass
class RecordedCall:
    """One Bot API request as the fake received it, and what it answered."""

    method: str  # canonical name ("sendMessage") when known, else as requested
    params: JSON  # decoded: numbers/booleans typed, nested JSON strings parsed
    status: int | None = None  # HTTP status; None while a long poll is still open
    response: Any = None  # the whole JSON body answered
    http_method: str = "POST"
    files: dict[str, bytes] = field(default_factory=dict)  # multipart uploads


class ApiError(Exception):
    def __init__(self, status: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(status, description)
        self.status = status
        self.body = wire.error(status, description, parameters)


def bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class Failure:
    status: int
    retry_after: int
    description: str | None


Handler = Callable[[JSON], Awaitable[Any]]
UploadHandler = Callable[[JSON, dict[str, bytes]], Awaitable[Any]]

Method = tuple[str, Handler]  # the canonical name ("sendMessage") and what answers it
UploadMethod = tuple[str, UploadHandler]


class TelegramState:
    """The Bot API for one bot, its users and chats: every store the resources share, kept in
    one object (the resource mixins of FakeTelegram read and write it)."""

    TOKEN = "123456:TEST-fake-telegram-token"
    BOT_ID = 123456
    BOT_USERNAME = "knowpay_bot"
    BOT_NAME = "KnowPay"
    OWNER_ID = 100000  # the community's creator

    def __init__(self, *, community_chat_id: int, clock: Clock | None) -> None:
        self.community_chat_id = community_chat_id
        self.clock: Clock = clock or FakeClock()  # dates every message and update, never the wall
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
        self._allowed: frozenset[str] = wire.DEFAULT_UPDATE_TYPES
        self._update_ids = itertools.count(700_000_001)
        self._poll_generation = 0
        self._waiting_polls: list[int] = []  # generations of the long polls held open
        self._webhook_error: tuple[int, str] | None = None  # (date, message) of the last
        self._failures = Failures[Failure]()
        self._closing = False
        self._sender = WebhookSender()
        self._bot = chat_payloads.user(
            self.BOT_ID, self.BOT_NAME, username=self.BOT_USERNAME, is_bot=True
        )
        self._users[self.BOT_ID] = self._bot

    def _methods(self) -> list[Method]:
        """The Bot API methods; each resource adds its own."""
        return []

    def _upload_methods(self) -> list[UploadMethod]:
        """Methods that take files: they see the multipart uploads, not only "attach://" names."""
        return []

    def _now(self) -> int:
        """The fake's clock as a Unix time, as Telegram dates messages and updates."""
        return int(self.clock.now().timestamp())

    def _user(self, user_id: int) -> JSON:
        if user_id not in self._users:
            raise LookupError(f"no user {user_id}; add_user() first")
        return self._users[user_id]

    def _chat(self, chat_id: int) -> JSON:
        if chat_id in self._chats:
            return self._chats[chat_id]
        if chat_id in self._users:
            return chat_payloads.private_chat(self._users[chat_id])
        raise LookupError(f"no chat {chat_id}")

    def _api_chat(self, params: JSON, key: str = "chat_id") -> int:
        if params.get(key) in (None, ""):
            raise bad(f"{key} is empty")
        try:
            chat_id = wire.as_int(params[key], key)
        except ValueError:
            raise bad("chat not found") from None
        if chat_id not in self._chats and chat_id not in self._users:
            raise bad("chat not found")
        return chat_id

    def _api_user(self, params: JSON) -> int:
        try:
            user_id = wire.as_int(params.get("user_id"), "user_id")
        except ValueError:
            raise bad("user_id is empty") from None
        if user_id not in self._users:
            raise bad("user not found")
        return user_id

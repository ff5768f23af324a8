"""Messages: what users write (commands, replies, in forum topics) and what the bot sends, with
privacy mode deciding what the bot sees in groups, and the checks before the bot may send."""

from __future__ import annotations

import copy
import itertools

from tests.fakes.telegram import formatting, message_payloads, wire
from tests.fakes.telegram.chats import Chats
from tests.fakes.telegram.state import ADMINS, PRESENT, ApiError, Method, bad
from tests.fakes.telegram.wire import JSON

TOPIC_NAME_LIMIT = 128


# The colours a topic icon may have (createForumTopic's icon_color).
TOPIC_ICON_COLORS = (0x6FB9F0, 0xFFD67E, 0xCB86DB, 0x8EEE98, 0xFF93B2, 0xFB6F5F)


class Messages(Chats):
    """Messages in and out, and forum topics."""

    def _methods(self) -> list[Method]:
        return [
            *super()._methods(),
            ("sendMessage", self._send_message),
            ("sendChatAction", self._send_chat_action),
            ("createForumTopic", self._create_forum_topic),
        ]

    def bot_messages(self, chat_id: int) -> list[JSON]:
        """What the bot sent to `chat_id` and did not delete, edits applied, in order."""
        return [
            self._messages[(chat_id, mid)]
            for mid in self._bot_sent.get(chat_id, [])
            if (chat_id, mid) in self._messages
        ]

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

    def add_topic(self, chat_id: int, thread_id: int) -> None:
        """A forum topic the bot may post in (send_command with a new thread id adds one)."""
        if not self._chats[chat_id].get("is_forum"):
            raise ValueError(f"chat {chat_id} is not a forum")
        self._topics[chat_id].add(thread_id)

    def _new_message(self, chat_id: int, sender: int, fields: JSON) -> JSON:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        message: JSON = {
            "message_id": next(counter),
            "from": self._user(sender),
            "date": self._now(),
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
            fields["reply_to_message"] = message_payloads.strip_reply(target)
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
                fields["reply_to_message"] = message_payloads.strip_reply(opening)
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
            if status not in PRESENT:
                why = "the bot is not in the chat"
            elif self.privacy_mode and status not in ADMINS and not self._privacy_lets(message):
                why = "privacy mode: not a command, reply or mention for the bot"
        await self._emit("message", message, blocked=why)

    def _privacy_lets(self, message: JSON) -> bool:
        text = message.get("text", "")
        command = formatting.command_target(text)
        if command is not None:
            return command[1] in (None, self.BOT_USERNAME)
        replied = message.get("reply_to_message") or {}
        if replied.get("from", {}).get("id") == self.BOT_ID:
            return True
        return f"@{self.BOT_USERNAME}".lower() in text.lower() or "text" not in message

    def _record_bot_message(self, message: JSON) -> None:
        self._bot_sent.setdefault(message["chat"]["id"], []).append(message["message_id"])
        self._snapshots.record(copy.deepcopy(message))

    def _text_and_entities(self, params: JSON) -> tuple[str, list[JSON]]:
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise bad("message text is empty")
        mode = str(params.get("parse_mode") or "").lower()
        entities: list[JSON] = []
        if params.get("entities"):
            entities = list(params["entities"])
        elif mode == "html":
            try:
                text, entities = formatting.parse_html(text, mention=self._users.get)
            except formatting.EntityParseError as exc:
                raise bad(f"can't parse entities: {exc}") from None
        elif mode not in ("", "markdown", "markdownv2"):
            raise bad(f"unsupported parse_mode {params['parse_mode']!r}")
        text, entities = formatting.trim(text, entities)
        if not text:
            raise bad("message text is empty")
        if wire.utf16_len(text) > message_payloads.MAX_TEXT_LENGTH:
            raise bad("message is too long")
        return text, entities

    def _markup(self, params: JSON) -> JSON | None:
        """The reply_markup a message keeps: only inline keyboards are part of a Message."""
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            problem = message_payloads.check_inline_keyboard(markup)
            if problem:
                raise ApiError(400, problem)
            return markup
        if not any(k in markup for k in ("keyboard", "remove_keyboard", "force_reply")):
            raise bad("can't parse reply keyboard markup JSON object")
        return None

    def _check_can_send(self, chat_id: int) -> None:
        if chat_id in self._chats:
            self._check_bot_present(chat_id)
            return
        if self._users[chat_id].get("is_bot"):
            raise ApiError(403, "Forbidden: bot can't send messages to bots")
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        requested = any(
            user == chat_id and state == "pending"
            for (_, user), state in self.join_requests.items()
        )
        if chat_id in self.not_started and not requested:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")

    def _check_bot_present(self, chat_id: int) -> None:
        kind = self._chats[chat_id]["type"]
        kind = "group chat" if kind == "group" else f"{kind} chat"
        status = self.member_status(chat_id, self.BOT_ID)
        if status == "kicked":
            raise ApiError(403, f"Forbidden: bot was kicked from the {kind}")
        if status not in PRESENT:
            raise ApiError(403, f"Forbidden: bot is not a member of the {kind}")

    def _thread(self, chat_id: int, params: JSON, replied: JSON | None) -> int | None:
        thread = params.get("message_thread_id")
        if thread is None and replied is not None and replied.get("is_topic_message"):
            thread = replied["message_thread_id"]
        if thread is None or not self._chat(chat_id).get("is_forum"):
            return None
        thread = wire.as_int(thread, "message_thread_id")
        if thread not in self._topics[chat_id]:
            raise bad("message thread not found")
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
        reply_chat = wire.as_int(reply.get("chat_id", chat_id), "chat_id")
        replied = self._messages.get((reply_chat, wire.as_int(reply["message_id"], "message_id")))
        if replied is None and not wire.as_bool(reply.get("allow_sending_without_reply", False)):
            raise bad("message to be replied not found")
        return replied

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
            fields["reply_to_message"] = message_payloads.strip_reply(replied)
        if isinstance(params.get("link_preview_options"), dict):
            fields["link_preview_options"] = params["link_preview_options"]
        if wire.as_bool(params.get("protect_content", False)):
            fields["has_protected_content"] = True
        if markup is not None:
            fields["reply_markup"] = markup
        message = self._new_message(chat_id, self.BOT_ID, fields)
        self._record_bot_message(message)
        return message

    async def _send_chat_action(self, params: JSON) -> bool:
        chat_id = self._api_chat(params)
        self._check_can_send(chat_id)
        if not params.get("action"):
            raise bad("action is empty")
        return True

    async def _create_forum_topic(self, params: JSON) -> JSON:
        chat_id = self._api_chat(params)
        if not self._chat(chat_id).get("is_forum"):
            raise bad("the chat is not a forum")
        self._check_can_send(chat_id)
        if not self._is_admin(chat_id, self.BOT_ID):
            raise bad("not enough rights to create a topic")
        name = str(params.get("name") or "")
        if not 1 <= len(name) <= TOPIC_NAME_LIMIT:
            raise bad("TOPIC_NAME_INVALID")
        color = wire.as_int(params.get("icon_color", TOPIC_ICON_COLORS[0]), "icon_color")
        if color not in TOPIC_ICON_COLORS:
            raise bad("TOPIC_ICON_COLOR_INVALID")
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


def _content(text: str, document: JSON | None) -> JSON:
    """A message's text and its entities, or a document with the text as its caption."""
    entities = formatting.detect_entities(text)
    if document is None:
        return {"text": text, **({"entities": entities} if entities else {})}
    fields: JSON = {"document": document}
    if text:
        fields["caption"] = text
    if entities:
        fields["caption_entities"] = entities
    return fields

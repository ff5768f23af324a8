"""Edits and deletions: the bot edits only its own messages (and says when nothing changed), and
deletes within Telegram's documented limits."""

from __future__ import annotations

from tests.fakes.telegram import wire
from tests.fakes.telegram.messages import Messages
from tests.fakes.telegram.state import Method, bad
from tests.fakes.telegram.wire import JSON

DELETE_WINDOW = 48 * 3600  # seconds a message may still be deleted


class Edits(Messages):
    """editMessageText, editMessageReplyMarkup and deleteMessage."""

    def _methods(self) -> list[Method]:
        return [
            *super()._methods(),
            ("editMessageText", self._edit_message_text),
            ("editMessageReplyMarkup", self._edit_message_reply_markup),
            ("deleteMessage", self._delete_message),
        ]

    def _bot_message(self, params: JSON, missing: str) -> JSON:
        if params.get("inline_message_id"):
            raise bad("inline messages are not supported by the fake")
        chat_id = self._api_chat(params)
        if chat_id in self._chats:
            self._check_bot_present(chat_id)  # a bot out of the group changes nothing in it
        try:
            message_id = wire.as_int(params.get("message_id"), "message_id")
        except ValueError:
            raise bad("message identifier is not specified") from None
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise bad(missing)
        if message["from"]["id"] != self.BOT_ID:
            raise bad("message can't be edited")
        return message

    async def _edit_message_text(self, params: JSON) -> JSON:
        message = self._bot_message(params, "message to edit not found")
        if "text" not in message:
            raise bad("there is no text in the message to edit")
        text, entities = self._text_and_entities(params)
        markup = self._markup(params)
        if (
            text == message["text"]
            and entities == message.get("entities", [])
            and markup == message.get("reply_markup")
        ):
            raise bad(
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
            raise bad(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        self._apply_markup(message, markup)
        return message

    def _apply_markup(self, message: JSON, markup: JSON | None) -> None:
        message.pop("reply_markup", None)
        if markup is not None:
            message["reply_markup"] = markup
        message["edit_date"] = self._now()

    async def _delete_message(self, params: JSON) -> bool:
        chat_id = self._api_chat(params)
        message_id = wire.as_int(params.get("message_id"), "message_id")
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise bad("message to delete not found")
        if not self._may_delete(chat_id, message):
            raise bad("message can't be deleted")
        del self._messages[(chat_id, message_id)]
        self.deleted_messages.append((chat_id, message_id))
        return True

    def _may_delete(self, chat_id: int, message: JSON) -> bool:
        if "forum_topic_created" in message or self._now() - message["date"] > DELETE_WINDOW:
            return False
        if chat_id not in self._chats or message["from"]["id"] == self.BOT_ID:
            return True  # anything in a private chat, its own messages anywhere
        if self._chats[chat_id]["type"] == "group":
            return self._is_admin(chat_id, self.BOT_ID)
        return self._has_right(chat_id, self.BOT_ID, "can_delete_messages")

"""Reactions and buttons: users react (one reaction without Premium) and press inline buttons; the
bot reacts and answers callback queries."""

from __future__ import annotations

import copy
import secrets

from tests.fakes.telegram import message_payloads, wire
from tests.fakes.telegram.messages import Messages
from tests.fakes.telegram.state import Method, bad
from tests.fakes.telegram.wire import JSON

_CALLBACK_EXPIRED = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)


class Reactions(Messages):
    """Reactions and callback queries, both ways."""

    def _methods(self) -> list[Method]:
        return [
            *super()._methods(),
            ("answerCallbackQuery", self._answer_callback_query),
            ("setMessageReaction", self._set_message_reaction),
        ]

    async def press_button(
        self, user_id: int, chat_id: int, message_id: int, callback_data: str
    ) -> str:
        """The user presses the inline button with `callback_data` on a bot message; returns
        the callback query id."""
        message = self._messages.get((chat_id, message_id))
        if message is None or message["from"]["id"] != self.BOT_ID:
            raise LookupError(f"no bot message {message_id} in chat {chat_id}")
        if message_payloads.find_callback_button(message, callback_data) is None:
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
        canonical = message_payloads.reaction_emoji(emoji)
        if canonical is None:
            raise ValueError(f"{emoji!r} is not a reaction Telegram offers")
        if (chat_id, message_id) not in self._messages:
            raise LookupError(f"no message {message_id} in chat {chat_id}")
        self._require_present(chat_id, user_id)
        key = (chat_id, message_id, user_id)
        old = self._user_reactions.get(key, [])
        reaction = message_payloads.emoji_reaction(canonical)
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
            "date": self._now(),
            "old_reaction": old,
            "new_reaction": new,
        }
        why = None if self._is_admin(chat_id, self.BOT_ID) else "the bot is not an administrator"
        await self._emit("message_reaction", update, blocked=why)

    async def _answer_callback_query(self, params: JSON) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if query_id not in self._callbacks or query_id in self.callback_answers:
            raise bad(_CALLBACK_EXPIRED.removeprefix("Bad Request: "))
        if len(str(params.get("text", ""))) > 200:
            raise bad("MESSAGE_TOO_LONG")
        self.callback_answers[query_id] = params
        return True

    async def _set_message_reaction(self, params: JSON) -> bool:
        chat_id = self._api_chat(params)
        message_id = wire.as_int(params.get("message_id"), "message_id")
        if (chat_id, message_id) not in self._messages:
            raise bad("MESSAGE_ID_INVALID")
        reaction = params.get("reaction") or []
        if not isinstance(reaction, list):
            raise bad("can't parse reaction types JSON object")
        if len(reaction) > 1:
            raise bad("REACTIONS_TOO_MANY")
        for item in reaction:
            if not isinstance(item, dict) or item.get("type") not in ("emoji", "custom_emoji"):
                raise bad("REACTION_INVALID")
            if (
                item["type"] == "emoji"
                and message_payloads.reaction_emoji(str(item.get("emoji"))) is None
            ):
                raise bad("REACTION_INVALID")
        self.reactions_by_bot.append(
            {
                "chat_id": chat_id,
                "message_id": message_id,
                "reaction": reaction,
                "is_big": wire.as_bool(params.get("is_big", False)),
            }
        )
        return True

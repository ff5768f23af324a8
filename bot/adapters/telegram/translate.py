"""Telegram updates -> neutral events. Pure functions over the Bot API's documented update
shapes (plain dicts), so they are tested on captured payloads without a connection."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.config.schema import TelegramConfig
from bot.core.events import (
    Actor,
    CommandEvent,
    JoinRequested,
    MemberChange,
    MembershipChanged,
    MessagePosted,
    Place,
    Platform,
    ReactionChanged,
)
from bot.core.permissions import Level

Payload = Mapping[str, Any]
COMMAND_BUTTON_PREFIX = "kp:cmd:"
_PRESENT = frozenset({"creator", "administrator", "member", "restricted"})


@dataclass(frozen=True)
class ChatFacts:
    """What translation needs: the configured staff and the bot's own username."""

    config: TelegramConfig
    bot_username: str

    def level_for(self, user_id: int) -> Level:
        for level, ids in (
            (Level.ADMIN, self.config.admin_user_ids),
            (Level.MOD, self.config.mod_user_ids),
            (Level.CREATOR, self.config.creator_user_ids),
        ):
            if user_id in ids:
                return level
        return Level.MEMBER


@dataclass(frozen=True)
class ButtonPressed:
    """A command button was pressed: run `command`, then answer the callback query."""

    command: CommandEvent
    callback_query_id: str
    message_id: str


@dataclass(frozen=True)
class SentFile:
    """A document or photo in a message, as the Bot API describes it (not downloaded)."""

    file_id: str
    filename: str
    content_type: str | None
    # file_size is optional in the Bot API: 0 when it is not given.
    size: int


@dataclass(frozen=True)
class Received:
    """A command, with the message that carried it, so the answer can reply to it; `file` is
    the document or photo the command was the caption of."""

    command: CommandEvent
    message_id: str
    file: SentFile | None = None


@dataclass(frozen=True)
class PostedWithFile:
    """A message with a document or photo (its caption is the text): an answer to a prompt
    may come this way, with the file the command takes."""

    posted: MessagePosted
    file: SentFile


Inbound = (
    Received
    | ButtonPressed
    | MessagePosted
    | PostedWithFile
    | ReactionChanged
    | MembershipChanged
    | JoinRequested
)


def actor(user: Payload, facts: ChatFacts) -> Actor:
    name = " ".join(part for part in (user.get("first_name"), user.get("last_name")) if part)
    user_id = int(user["id"])
    return Actor(
        platform=Platform.TELEGRAM,
        user_id=str(user_id),
        display_name=name or user.get("username") or str(user_id),
        username=user.get("username"),
        locale_hint=user.get("language_code"),
        level=facts.level_for(user_id),
        is_bot=bool(user.get("is_bot")),
    )


def place(chat: Payload, thread_id: int | None = None) -> Place:
    return Place(
        platform=Platform.TELEGRAM,
        chat_id=str(chat["id"]),
        is_private=chat.get("type") == "private",
        thread_id=str(thread_id) if thread_id is not None else None,
    )


def updates(update: Payload, facts: ChatFacts) -> list[Inbound]:
    """One update -> the events it stands for (a reaction change can be several)."""
    if message := update.get("message"):
        inbound = _message(message, facts)
        return [inbound] if inbound else []
    if reaction := update.get("message_reaction"):
        return list(_reactions(reaction, facts))
    if query := update.get("callback_query"):
        pressed = _button(query, facts)
        return [pressed] if pressed else []
    if request := update.get("chat_join_request"):
        return [JoinRequested(actor(request["from"], facts), place(request["chat"]))]
    if change := update.get("chat_member"):
        membership = _membership(change, facts)
        return [membership] if membership else []
    return []


def _message(
    message: Payload, facts: ChatFacts
) -> Received | MessagePosted | PostedWithFile | None:
    sender = message.get("from")
    file = _file(message)
    if sender is None or ("text" not in message and file is None):
        return None  # channel posts, service messages, payments: not a member speaking
    # A file's caption is its message's text: `/drop new ...` can be the caption of a PDF.
    text: str = message.get("text", message.get("caption", ""))
    where = place(
        message["chat"],
        message.get("message_thread_id") if message.get("is_topic_message") else None,
    )
    who = actor(sender, facts)
    entities = message.get("entities") or message.get("caption_entities") or []
    if any(e.get("type") == "bot_command" and e.get("offset") == 0 for e in entities):
        head, _, rest = text.partition(" ")
        name, _, addressed_to = head[1:].partition("@")
        if addressed_to and addressed_to.lower() != facts.bot_username.lower():
            return None  # /help@another_bot in a group is not for us
        command = CommandEvent(who, where, name.lower(), rest.strip())
        return Received(command, str(message["message_id"]), file)
    reply_to = (message.get("reply_to_message") or {}).get("message_id")
    # In forum topics every message "replies" to the topic's first message; that is no reply.
    if reply_to is not None and reply_to == message.get("message_thread_id"):
        reply_to = None
    posted = MessagePosted(
        actor=who,
        place=where,
        message_id=str(message["message_id"]),
        text=text,
        reply_to=str(reply_to) if reply_to is not None else None,
    )
    return posted if file is None else PostedWithFile(posted, file)


def _file(message: Payload) -> SentFile | None:
    """The document in a message, or its photo at the largest size Telegram made of it."""
    if document := message.get("document"):
        return SentFile(
            file_id=str(document["file_id"]),
            filename=str(document.get("file_name") or "file"),
            content_type=document.get("mime_type"),
            size=int(document.get("file_size") or 0),
        )
    if photos := message.get("photo"):
        largest = photos[-1]  # PhotoSize objects come smallest first
        return SentFile(
            file_id=str(largest["file_id"]),
            filename="photo.jpg",  # Telegram re-encodes photos as JPEG and keeps no name
            content_type="image/jpeg",
            size=int(largest.get("file_size") or 0),
        )
    return None


def _reactions(update: Payload, facts: ChatFacts) -> list[ReactionChanged]:
    user = update.get("user")
    if user is None:
        return []  # an anonymous admin or a channel reacted: nobody to credit
    old = {_emoji(r) for r in update.get("old_reaction", [])}
    new = {_emoji(r) for r in update.get("new_reaction", [])}
    who, where, message_id = actor(user, facts), place(update["chat"]), str(update["message_id"])
    return [
        ReactionChanged(who, where, message_id, emoji, added=emoji in new)
        for emoji in sorted(old ^ new)
    ]


def _emoji(reaction: Payload) -> str:
    if reaction.get("type") == "custom_emoji":
        return f"custom:{reaction['custom_emoji_id']}"
    return str(reaction.get("emoji", ""))


def _button(query: Payload, facts: ChatFacts) -> ButtonPressed | None:
    data = str(query.get("data") or "")
    message = query.get("message")
    if not data.startswith(COMMAND_BUTTON_PREFIX) or not message:
        return None
    text = data.removeprefix(COMMAND_BUTTON_PREFIX)
    head, _, rest = text.removeprefix("/").partition(" ")
    command = CommandEvent(actor(query["from"], facts), place(message["chat"]), head, rest.strip())
    return ButtonPressed(command, str(query["id"]), str(message["message_id"]))


def _membership(update: Payload, facts: ChatFacts) -> MembershipChanged | None:
    before = update["old_chat_member"]["status"]
    after = update["new_chat_member"]["status"]
    if before not in _PRESENT and after in _PRESENT:
        change = MemberChange.JOINED
    elif before in _PRESENT and after not in _PRESENT:
        change = MemberChange.LEFT
    elif before != after:
        change = MemberChange.UPDATED
    else:
        return None
    return MembershipChanged(
        actor(update["new_chat_member"]["user"], facts), place(update["chat"]), change
    )

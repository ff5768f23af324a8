"""Payload builders for the fake Telegram: the documented shapes of Bot API objects.

Field lists follow the Telegram Bot API documentation (User, Chat, ChatFullInfo, Message,
MessageEntity, ChatMember*, ChatInviteLink, ...). Keys that python-telegram-bot 22.8 passes
positionally to its constructors are always present - `ChatFullInfo.accepted_gift_types`,
every `can_*` flag of ChatMemberAdministrator/ChatMemberRestricted, `ChatInviteLink.is_primary`
- because a missing one crashes its parser instead of failing a test clearly.

Also here: decoding request parameters the way the Bot API does (form fields, multipart fields,
query strings or JSON, nested objects as JSON strings), and the HTML parse mode with the error
texts Telegram answers ("Bad Request: can't parse entities: ...").
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

JSON = dict[str, Any]

# https://core.telegram.org/bots/api#update - every update type the Bot API knows.
ALL_UPDATE_TYPES = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
)
# getUpdates/setWebhook: "Specify an empty list to receive all update types except
# chat_member, message_reaction, and message_reaction_count (default)."
OPT_IN_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
DEFAULT_UPDATE_TYPES = frozenset(ALL_UPDATE_TYPES) - OPT_IN_UPDATE_TYPES

# ReactionTypeEmoji.emoji: the reactions a user or a (non-premium) bot may set.
_REACTION_TEXT = (
    "👍 👎 ❤ 🔥 🥰 👏 😁 🤔 🤯 😱 🤬 😢 🎉 🤩 🤮 💩 🙏 👌 🕊 🤡 🥱 🥴 😍 🐳 ❤️‍🔥 🌚 🌭 💯 🤣 ⚡ 🍌 "
    "🏆 💔 🤨 😐 🍓 🍾 💋 🖕 😈 😴 😭 🤓 👻 👨‍💻 👀 🎃 🙈 😇 😨 🤝 ✍ 🤗 🫡 🎅 🎄 ☃ 💅 🤪 🗿 🆒 💘 "
    "🙉 🦄 😘 💊 🙊 😎 👾 🤷‍♂️ 🤷 🤷‍♀️ 😡"
)
REACTION_EMOJI = tuple(_REACTION_TEXT.split())
_VS16 = "\ufe0f"
_REACTIONS_BY_KEY = {e.replace(_VS16, ""): e for e in REACTION_EMOJI}

MAX_TEXT_LENGTH = 4096  # UTF-16 code units, after entity parsing
MAX_CALLBACK_DATA = 64  # bytes

# Parameters that are strings on the wire and must not be JSON-decoded even when they look
# like numbers or JSON (a message text "42" stays "42").
STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "title",
        "description",
        "payload",
        "provider_token",
        "currency",
        "start_parameter",
        "provider_data",
        "photo_url",
        "callback_query_id",
        "pre_checkout_query_id",
        "shipping_query_id",
        "telegram_payment_charge_id",
        "error_message",
        "url",
        "secret_token",
        "ip_address",
        "name",
        "invite_link",
        "language_code",
        "business_connection_id",
        "message_effect_id",
        "inline_message_id",
        "custom_title",
        "action",
        "emoji",
    }
)

SECRET_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
COMMAND_NAME_RE = re.compile(r"[a-z0-9_]{1,32}")
_LANGUAGE_RE = re.compile(r"[a-z]{2}")


def now() -> int:
    return int(time.time())


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def error(status: int, description: str, parameters: JSON | None = None) -> JSON:
    body: JSON = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return body


# ---- request parameters ----------------------------------------------------------------------


def decode_params(raw: Mapping[str, Any]) -> JSON:
    """The Bot API's view of request parameters: form and query values are strings, numbers
    and booleans are JSON literals, nested objects (reply_markup, allowed_updates, commands,
    scope, prices, reaction, reply_parameters, link_preview_options, ...) are JSON strings.
    JSON bodies already carry typed values, but may still hold nested objects as strings."""
    decoded: JSON = {}
    for key, value in raw.items():
        if isinstance(value, str) and key not in STRING_PARAMS:
            try:
                decoded[key] = json.loads(value)
            except ValueError:
                decoded[key] = value  # e.g. chat_id "@channelname"
        else:
            decoded[key] = value
    return decoded


def as_int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise ValueError(name)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    raise ValueError(name)


def as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1")
    return bool(value)


# ---- users and chats -------------------------------------------------------------------------


def user(
    user_id: int,
    first_name: str,
    *,
    username: str | None = None,
    last_name: str | None = None,
    language_code: str | None = None,
    is_bot: bool = False,
    is_premium: bool = False,
) -> JSON:
    payload: JSON = {"id": user_id, "is_bot": is_bot, "first_name": first_name}
    if last_name:
        payload["last_name"] = last_name
    if username:
        payload["username"] = username
    if language_code and not is_bot:
        payload["language_code"] = language_code
    if is_premium:
        payload["is_premium"] = True
    return payload


def get_me(bot: JSON, *, reads_all_group_messages: bool = False) -> JSON:
    """getMe: the bot's User with the bot-only fields (privacy mode on: BotFather's default)."""
    return {
        **bot,
        "can_join_groups": True,
        "can_read_all_group_messages": reads_all_group_messages,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def private_chat(of: JSON) -> JSON:
    chat: JSON = {"id": of["id"], "type": "private", "first_name": of["first_name"]}
    for key in ("last_name", "username"):
        if key in of:
            chat[key] = of[key]
    return chat


def group_chat(chat_id: int, title: str, kind: str, *, is_forum: bool = False) -> JSON:
    chat: JSON = {"id": chat_id, "type": kind, "title": title}
    if is_forum:
        chat["is_forum"] = True
    return chat


def chat_full_info(chat: JSON, *, join_by_request: bool = False) -> JSON:
    """getChat: ChatFullInfo (the Chat fields plus the full-info ones)."""
    info: JSON = {
        **chat,
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": True,
            "limited_gifts": True,
            "unique_gifts": True,
            "premium_subscription": True,
            "gifts_from_channels": True,
        },
    }
    if chat["type"] in ("group", "supergroup"):
        info["permissions"] = chat_permissions(True)
        info["join_by_request"] = join_by_request
    return info


_PERMISSIONS = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
    "can_edit_tag",
)


def chat_permissions(value: bool) -> JSON:
    return dict.fromkeys(_PERMISSIONS, value)


def chat_member(of: JSON, status: str, *, until_date: int = 0) -> JSON:
    """A ChatMember of the right subtype for `status`, every required field present."""
    member: JSON = {"user": of, "status": status}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(
            can_be_edited=False,
            is_anonymous=False,
            can_manage_chat=True,
            can_delete_messages=True,
            can_manage_video_chats=True,
            can_restrict_members=True,
            can_promote_members=False,
            can_change_info=True,
            can_invite_users=True,
            can_post_stories=True,
            can_edit_stories=True,
            can_delete_stories=True,
            can_pin_messages=True,
            can_manage_topics=True,
        )
    elif status == "restricted":
        member.update(chat_permissions(False), is_member=True, until_date=until_date)
    elif status == "kicked":
        member["until_date"] = until_date
    return member


def invite_link(
    link: str,
    creator: JSON,
    *,
    creates_join_request: bool,
    name: str | None = None,
    expire_date: int | None = None,
    member_limit: int | None = None,
) -> JSON:
    payload: JSON = {
        "invite_link": link,
        "creator": creator,
        "creates_join_request": creates_join_request,
        "is_primary": False,
        "is_revoked": False,
    }
    if name:
        payload["name"] = name
    if expire_date is not None:
        payload["expire_date"] = expire_date
    if member_limit is not None:
        payload["member_limit"] = member_limit
    if creates_join_request:
        payload["pending_join_request_count"] = 0
    return payload


def reaction_emoji(emoji: str) -> str | None:
    """The canonical form of a reaction emoji ("❤️" and "❤" are the same), or None."""
    return _REACTIONS_BY_KEY.get(emoji.replace(_VS16, ""))


def emoji_reaction(emoji: str) -> JSON:
    return {"type": "emoji", "emoji": emoji}


def strip_reply(message: JSON) -> JSON:
    """reply_to_message holds the replied message without its own reply_to_message."""
    return {k: v for k, v in message.items() if k != "reply_to_message"}


# ---- entities in user messages ---------------------------------------------------------------

_COMMAND_RE = re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>@])")
_MENTION_RE = re.compile(r"(?<![\w@/])@[A-Za-z0-9_]{4,32}(?![\w@])")
_URL_RE = re.compile(r"(?<![\w@/])https?://[^\s<>\"]+[^\s<>\".,;:!?)\]]")


def detect_entities(text: str) -> list[JSON]:
    """The entities Telegram detects in a user's plain text: bot_command, mention, url."""
    found: list[tuple[int, int, str]] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in (("bot_command", _COMMAND_RE), ("url", _URL_RE), ("mention", _MENTION_RE)):
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < b and a < end for a, b in taken):
                continue
            taken.append((start, end))
            found.append((start, end, kind))
    found.sort()
    return [
        {
            "offset": utf16_len(text[:start]),
            "length": utf16_len(text[start:end]),
            "type": kind,
        }
        for start, end, kind in found
    ]


def command_target(text: str) -> tuple[str, str | None] | None:
    """("start", "knowpay_bot") for "/start@knowpay_bot args"; None if no leading command."""
    match = _COMMAND_RE.match(text)
    if match is None:
        return None
    name, _, bot = match.group()[1:].partition("@")
    return name, bot or None


# ---- HTML parse mode -------------------------------------------------------------------------


class EntityParseError(ValueError):
    """Telegram answers 400 "Bad Request: can't parse entities: <message>"."""


_HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "tg-emoji",
        "tg-time",
        "code",
        "pre",
        "blockquote",
    }
)
_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _decode_entity(text: str, pos: int) -> tuple[str, int] | None:
    """Decode the HTML entity at text[pos] == "&" like Telegram: numeric ones and the four
    named ones (&lt; &gt; &amp; &quot;), the ";" optional. None: a literal "&"."""
    end = pos + 1
    if text.startswith("#", end):
        end += 1
        hexadecimal = text.startswith(("x", "X"), end)
        end += hexadecimal
        digits = "0123456789abcdefABCDEF" if hexadecimal else "0123456789"
        start = end
        while end < len(text) and text[end] in digits:
            end += 1
        if end == start or end - pos >= 10:
            return None
        code = int(text[start:end], 16 if hexadecimal else 10)
        if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        char = chr(code)
    else:
        while end < len(text) and text[end].isascii() and text[end].isalpha():
            end += 1
        named = _NAMED.get(text[pos + 1 : end])
        if named is None:
            return None
        char = named
    if text.startswith(";", end):
        end += 1
    return char, end


class _Open:
    def __init__(self, name: str, offset: int, attributes: dict[str, str]) -> None:
        self.name, self.offset, self.attributes = name, offset, attributes
        self.language: str | None = None


class _HtmlParser:
    """Telegram's HTML parse mode, after tdlib's parse_html: tags may nest, names and
    attribute names are case-insensitive, byte offsets in errors count UTF-8 bytes."""

    def __init__(self, text: str, mention: Callable[[int], JSON | None]) -> None:
        self.text, self.mention = text, mention
        self.out: list[str] = []
        self.offset = 0  # UTF-16 units written so far
        self.stack: list[_Open] = []
        self.entities: list[JSON] = []

    def byte(self, at: int) -> int:
        return len(self.text[:at].encode())

    def write(self, chunk: str) -> None:
        self.out.append(chunk)
        self.offset += utf16_len(chunk)

    def parse(self) -> tuple[str, list[JSON]]:
        text, i = self.text, 0
        while i < len(text):
            decoded = _decode_entity(text, i) if text[i] == "&" else None
            if decoded is not None:
                self.write(decoded[0])
                i = decoded[1]
            elif text[i] != "<":
                self.write(text[i])
                i += 1
            elif text.startswith("/", i + 1):
                i = self.end_tag(i)
            else:
                i = self.start_tag(i)
        if self.stack:
            name = self.stack[-1].name
            raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{name}"')
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    def _name(self, i: int) -> tuple[str, int]:
        start = i
        while i < len(self.text) and not self.text[i].isspace() and self.text[i] != ">":
            i += 1
        return self.text[start:i].lower(), i

    def end_tag(self, begin: int) -> int:
        name, i = self._name(begin + 2)
        while i < len(self.text) and self.text[i].isspace():
            i += 1
        if i >= len(self.text) or self.text[i] != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {self.byte(begin)}")
        if not self.stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {self.byte(begin)}")
        opened = self.stack.pop()
        if name and name != opened.name:
            raise EntityParseError(
                f"Unmatched end tag at byte offset {self.byte(begin)}, "
                f'expected "</{opened.name}>", found "</{name}>"'
            )
        entity = self.close(opened)
        if entity is not None:
            self.entities.append(entity)
        return i + 1

    def start_tag(self, begin: int) -> int:
        name, i = self._name(begin + 1)
        at = self.byte(begin)
        if i >= len(self.text):
            raise EntityParseError(f"Unclosed start tag at byte offset {at}")
        if name not in _HTML_TAGS:
            raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {at}')
        attributes: dict[str, str] = {}
        while True:
            while i < len(self.text) and self.text[i].isspace():
                i += 1
            if i >= len(self.text):
                raise EntityParseError(f"Unclosed start tag at byte offset {at}")
            if self.text[i] == ">":
                break
            i = self.attribute(i, at, attributes)
        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise EntityParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {at}')
        self.stack.append(_Open(name, self.offset, attributes))
        return i + 1

    def attribute(self, i: int, at: int, attributes: dict[str, str]) -> int:
        text, size = self.text, len(self.text)
        start = i
        while i < size and not text[i].isspace() and text[i] not in "=>":
            i += 1
        name = text[start:i].lower()
        while i < size and text[i].isspace():
            i += 1
        if i >= size:
            raise EntityParseError(f"Unclosed start tag at byte offset {at}")
        if text[i] != "=":
            attributes[name] = ""  # a bare attribute, like <blockquote expandable>
            return i
        i += 1
        while i < size and text[i].isspace():
            i += 1
        if i < size and text[i] in "'\"":
            value, i = self.quoted(i, at)
        else:
            start = i
            while i < size and (text[i].isalnum() or text[i] in ".-"):
                i += 1
            value = text[start:i].lower()
            if i < size and not text[i].isspace() and text[i] != ">":
                raise EntityParseError(f"Unexpected end of name token at byte offset {start}")
        if i >= size:
            raise EntityParseError(f"Unclosed start tag at byte offset {at}")
        attributes[name] = value
        return i

    def quoted(self, i: int, at: int) -> tuple[str, int]:
        text, quote = self.text, self.text[i]
        value: list[str] = []
        i += 1
        while i < len(text) and text[i] != quote:
            decoded = _decode_entity(text, i) if text[i] == "&" else None
            value.append(decoded[0] if decoded else text[i])
            i = decoded[1] if decoded else i + 1
        if i >= len(text):
            raise EntityParseError(f"Unclosed start tag at byte offset {at}")
        return "".join(value), i + 1

    def close(self, opened: _Open) -> JSON | None:
        name, attributes = opened.name, opened.attributes
        if name == "code" and self.stack and self.stack[-1].name == "pre":
            language = attributes.get("class", "")
            if language.startswith("language-"):
                self.stack[-1].language = language.removeprefix("language-")
            return None  # <pre><code> is one pre entity
        length = self.offset - opened.offset
        if length <= 0:
            return None
        entity: JSON = {"offset": opened.offset, "length": length}
        if name in _SIMPLE:
            entity["type"] = _SIMPLE[name]
            return entity
        builders: dict[str, Callable[[], JSON | None]] = {
            "code": lambda: {"type": "code"},
            "pre": lambda: {
                "type": "pre",
                **({"language": opened.language} if opened.language else {}),
            },
            "blockquote": lambda: {
                "type": "expandable_blockquote" if "expandable" in attributes else "blockquote"
            },
            "tg-emoji": lambda: _custom_emoji(attributes),
            "tg-time": lambda: _date_time(attributes),
            "a": lambda: self.link(opened),
        }
        extra = builders[name]()
        return None if extra is None else {**entity, **extra}

    def link(self, opened: _Open) -> JSON | None:
        url = opened.attributes.get("href") or _utf16_tail("".join(self.out), opened.offset)
        found = re.fullmatch(r"tg://user\?id=(\d+)", url)
        target = self.mention(int(found[1])) if found else None
        if target is not None:
            return {"type": "text_mention", "user": target}
        if re.match(r"(https?|tg|ton)://\S", url) or re.fullmatch(r"[\w.-]+\.[a-z]{2,}\S*", url):
            return {"type": "text_link", "url": url}
        return None  # Telegram drops links it cannot use


def _custom_emoji(attributes: dict[str, str]) -> JSON | None:
    emoji_id = attributes.get("emoji-id")
    return {"type": "custom_emoji", "custom_emoji_id": emoji_id} if emoji_id else None


def _date_time(attributes: dict[str, str]) -> JSON | None:
    if not attributes.get("unix", "").isdigit():
        return None
    entity: JSON = {"type": "date_time", "unix_time": int(attributes["unix"])}
    if attributes.get("format"):
        entity["date_time_format"] = attributes["format"]
    return entity


def parse_html(
    text: str, *, mention: Callable[[int], JSON | None] = lambda _user_id: None
) -> tuple[str, list[JSON]]:
    """Telegram's HTML parse mode: (plain text, entities with UTF-16 offsets), or
    EntityParseError with Telegram's message. `mention` resolves tg://user?id=N links."""
    return _HtmlParser(text, mention).parse()


def _utf16_tail(text: str, utf16_offset: int) -> str:
    return text.encode("utf-16-le")[utf16_offset * 2 :].decode("utf-16-le")


def trim(text: str, entities: Iterable[JSON]) -> tuple[str, list[JSON]]:
    """Telegram strips leading and trailing whitespace from message texts; entities follow."""
    stripped = text.strip()
    if stripped == text:
        return text, list(entities)
    shift = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    kept: list[JSON] = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, total)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


# ---- markup ----------------------------------------------------------------------------------


_BUTTON_ERROR = "Bad Request: can't parse inline keyboard button: "


def check_inline_keyboard(markup: Any) -> str | None:
    """None if `markup` is a valid InlineKeyboardMarkup, else Telegram's error description."""
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        return f"{_BUTTON_ERROR}InlineKeyboardButton must be an Object"
    actions = (
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    )
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                return f"{_BUTTON_ERROR}Text buttons are unallowed in the inline keyboard"
            if sum(key in button for key in actions) != 1:
                return f"{_BUTTON_ERROR}exactly one of the optional fields must be used"
            data = button.get("callback_data")
            if "callback_data" in button and (
                not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA
            ):
                return "Bad Request: BUTTON_DATA_INVALID"
            if "url" in button and not re.match(r"(https?|tg)://\S", str(button["url"])):
                return "Bad Request: BUTTON_URL_INVALID"
    return None


def find_callback_button(message: JSON, data: str) -> JSON | None:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return next((b for row in rows for b in row if b.get("callback_data") == data), None)


def valid_language(code: str) -> bool:
    return code == "" or bool(_LANGUAGE_RE.fullmatch(code))


def check_commands(commands: Any) -> str | None:
    if not isinstance(commands, list) or len(commands) > 100:
        return "Bad Request: commands must be an array of at most 100 BotCommand"
    for command in commands:
        if not isinstance(command, dict) or not COMMAND_NAME_RE.fullmatch(
            str(command.get("command", ""))
        ):
            return "Bad Request: BOT_COMMAND_INVALID"
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            return "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID"
    return None


def photo_size(width: int, height: int) -> JSON:
    """A PhotoSize, one of the sizes Telegram keeps of an uploaded photo."""
    unique = f"AQAD{width}x{height}"
    return {
        "file_id": f"AgACAgIAAxkBAAI{unique}",
        "file_unique_id": unique,
        "width": width,
        "height": height,
        "file_size": width * height // 10,
    }

"""What is in and on a message, as the Bot API shapes it: the reactions Telegram offers, replies,
inline keyboards (checked as Telegram checks them) and photo sizes."""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.telegram.wire import JSON

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


def reaction_emoji(emoji: str) -> str | None:
    """The canonical form of a reaction emoji ("❤️" and "❤" are the same), or None."""
    return _REACTIONS_BY_KEY.get(emoji.replace(_VS16, ""))


def emoji_reaction(emoji: str) -> JSON:
    return {"type": "emoji", "emoji": emoji}


def strip_reply(message: JSON) -> JSON:
    """reply_to_message holds the replied message without its own reply_to_message."""
    return {k: v for k, v in message.items() if k != "reply_to_message"}


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

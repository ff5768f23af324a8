"""What every part of the fake Telegram speaks: the JSON alias, the update types and which are
opt-in, parameters decoded the way the Bot API decodes them (form fields, multipart fields, query
strings or JSON, nested objects as JSON strings), error bodies, and the checks on bot commands.

The *_payloads modules beside it build the documented shapes of Bot API objects: field lists
follow the Telegram Bot API documentation (User, Chat, ChatFullInfo, Message, MessageEntity,
ChatMember*, ChatInviteLink, ...). Keys that python-telegram-bot 22.8 passes positionally to its
constructors are always present - `ChatFullInfo.accepted_gift_types`, every `can_*` flag of
ChatMemberAdministrator/ChatMemberRestricted, `ChatInviteLink.is_primary` - because a missing one
crashes its parser instead of failing a test clearly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
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


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def error(status: int, description: str, parameters: JSON | None = None) -> JSON:
    body: JSON = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return body


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

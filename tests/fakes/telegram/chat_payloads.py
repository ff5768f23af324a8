"""Users, chats and their members, and invite links, as the Bot API shapes them."""

from __future__ import annotations

from tests.fakes.telegram.wire import JSON


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

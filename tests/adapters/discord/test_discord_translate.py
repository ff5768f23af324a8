"""translate.py on captured gateway payloads (shapes from the Discord API documentation)."""

from __future__ import annotations

from typing import Any

from bot.adapters.discord import translate
from bot.config.schema import DiscordConfig
from bot.core.events import MemberChange, MembershipChanged, MessagePosted, ReactionChanged
from bot.core.permissions import Level

GUILD = "111111111111111111"
CONFIG = DiscordConfig(
    guild_id=int(GUILD),
    mod_role_ids=[333333333333333331],
    creator_role_ids=[333333333333333332],
    admin_role_ids=[333333333333333333],
)
FACTS = translate.GuildFacts(CONFIG, owner_id=42)
ADA = {
    "id": "80351110224678912",
    "username": "ada",
    "global_name": "Ada Lovelace",
    "avatar": None,
    "discriminator": "0",
    "public_flags": 0,
}


def frame(t: str, d: dict[str, Any]) -> dict[str, Any]:
    return {"op": 0, "s": 7, "t": t, "d": d}


def test_reaction_add_with_member_gives_name_and_level() -> None:
    event = translate.gateway_event(
        frame(
            "MESSAGE_REACTION_ADD",
            {
                "user_id": ADA["id"],
                "type": 0,
                "message_id": "1300000000000000001",
                "message_author_id": "900000000000000001",
                "member": {
                    "user": ADA,
                    "roles": ["333333333333333332"],
                    "nick": None,
                    "joined_at": "2026-01-05T09:00:00.000000+00:00",
                    "deaf": False,
                    "mute": False,
                    "flags": 0,
                },
                "emoji": {"name": "🔥", "id": None},
                "channel_id": "222222222222222222",
                "burst": False,
                "burst_colors": [],
                "guild_id": GUILD,
            },
        ),
        FACTS,
    )
    assert isinstance(event, ReactionChanged)
    assert event.added
    assert event.emoji == "🔥"
    assert event.message_id == "1300000000000000001"
    assert event.place.chat_id == "222222222222222222"
    assert not event.place.is_private
    assert event.actor.display_name == "Ada Lovelace"
    assert event.actor.level is Level.CREATOR


def test_reaction_remove_names_only_the_user_and_keeps_the_level_unknown() -> None:
    event = translate.gateway_event(
        frame(
            "MESSAGE_REACTION_REMOVE",
            {
                "user_id": ADA["id"],
                "type": 0,
                "message_id": "1300000000000000001",
                "emoji": {"name": "party", "id": "123456789012345678", "animated": True},
                "channel_id": "222222222222222222",
                "burst": False,
                "guild_id": GUILD,
            },
        ),
        FACTS,
    )
    assert isinstance(event, ReactionChanged)
    assert not event.added
    assert event.emoji == "<a:party:123456789012345678>"
    assert event.actor.user_id == ADA["id"]
    assert event.actor.display_name == ""
    assert event.actor.level is None


def test_a_reply_carries_the_message_it_answers() -> None:
    event = translate.gateway_event(
        frame(
            "MESSAGE_CREATE",
            {
                "type": 19,
                "tts": False,
                "timestamp": "2026-01-05T09:01:00.000000+00:00",
                "referenced_message": {"id": "1300000000000000001", "content": "A drop"},
                "pinned": False,
                "message_reference": {
                    "type": 0,
                    "channel_id": "222222222222222222",
                    "message_id": "1300000000000000001",
                    "guild_id": GUILD,
                },
                "mentions": [],
                "mention_roles": [],
                "mention_everyone": False,
                "member": {"roles": [], "nick": "ada-in-the-club", "joined_at": "2026-01-01"},
                "id": "1300000000000000002",
                "flags": 0,
                "embeds": [],
                "edited_timestamp": None,
                "content": "Thanks, this fixed my borrow checker fight",
                "components": [],
                "channel_id": "222222222222222222",
                "author": ADA,
                "attachments": [],
                "guild_id": GUILD,
            },
        ),
        FACTS,
    )
    assert isinstance(event, MessagePosted)
    assert event.reply_to == "1300000000000000001"
    assert event.text.startswith("Thanks")
    assert event.actor.display_name == "ada-in-the-club"
    assert event.actor.level is Level.MEMBER


def test_a_plain_message_is_no_reply_and_webhooks_are_ignored() -> None:
    base = {
        "type": 0,
        "id": "1",
        "content": "hello",
        "channel_id": "2",
        "author": ADA,
        "guild_id": GUILD,
        "message_reference": {"message_id": "9"},  # a forward or crosspost, not a reply
    }
    event = translate.gateway_event(frame("MESSAGE_CREATE", base), FACTS)
    assert isinstance(event, MessagePosted)
    assert event.reply_to is None
    assert (
        translate.gateway_event(frame("MESSAGE_CREATE", {**base, "webhook_id": "5"}), FACTS) is None
    )


def test_member_join_update_and_leave() -> None:
    member = {
        "user": ADA,
        "roles": ["333333333333333331"],
        "joined_at": "2026-01-05T09:00:00+00:00",
        "deaf": False,
        "mute": False,
        "guild_id": GUILD,
    }
    joined = translate.gateway_event(frame("GUILD_MEMBER_ADD", member), FACTS)
    updated = translate.gateway_event(frame("GUILD_MEMBER_UPDATE", member), FACTS)
    left = translate.gateway_event(
        frame("GUILD_MEMBER_REMOVE", {"guild_id": GUILD, "user": ADA}), FACTS
    )
    assert isinstance(joined, MembershipChanged)
    assert joined.change is MemberChange.JOINED
    assert isinstance(updated, MembershipChanged)
    assert updated.actor.level is Level.MOD
    assert isinstance(left, MembershipChanged)
    assert left.change is MemberChange.LEFT
    assert left.actor.level is Level.MEMBER  # no roles once gone


def test_levels_from_roles_and_ownership() -> None:
    assert FACTS.level_for(1, ["333333333333333333", "333333333333333331"]) is Level.ADMIN
    assert FACTS.level_for(1, []) is Level.MEMBER
    assert FACTS.level_for(42, []) is Level.OWNER


def test_other_servers_and_other_frames_are_not_ours() -> None:
    elsewhere = {"guild_id": "999", "user": ADA, "roles": []}
    assert translate.gateway_event(frame("GUILD_MEMBER_ADD", elsewhere), FACTS) is None
    assert translate.gateway_event({"op": 11, "d": None}, FACTS) is None
    assert translate.gateway_event(frame("TYPING_START", {"user_id": "1"}), FACTS) is None


def test_bots_are_marked() -> None:
    bot_message = {"type": 0, "id": "1", "content": "beep", "channel_id": "2", "guild_id": GUILD}
    bot_message["author"] = {"id": "5", "username": "otherbot", "bot": True}
    event = translate.gateway_event(frame("MESSAGE_CREATE", bot_message), FACTS)
    assert event is not None
    assert event.actor.is_bot

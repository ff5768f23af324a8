"""translate.py on captured Bot API updates (shapes from the Telegram Bot API documentation)."""

from __future__ import annotations

from typing import Any

from bot.adapters.telegram import translate
from bot.adapters.telegram.render import to_html
from bot.config.schema import TelegramConfig
from bot.core.events import (
    JoinRequested,
    MemberChange,
    MembershipChanged,
    MessagePosted,
    ReactionChanged,
)
from bot.core.permissions import Level

GROUP = {"id": -1001111111111, "title": "Rust & Go Experts Club", "type": "supergroup"}
LI = {
    "id": 5550001,
    "is_bot": False,
    "first_name": "Li",
    "last_name": "Wei",
    "username": "liwei",
    "language_code": "zh-hans",
}
FACTS = translate.ChatFacts(TelegramConfig(mod_user_ids=[5550001]), bot_username="knowpay_bot")


def message(text: str, **extra: Any) -> dict[str, Any]:
    return {
        "update_id": 700000001,
        "message": {
            "message_id": 42,
            "from": LI,
            "chat": GROUP,
            "date": 1767603600,
            "text": text,
            **extra,
        },
    }


def command(text: str) -> dict[str, Any]:
    length = len(text.split(" ", maxsplit=1)[0])
    return message(text, entities=[{"offset": 0, "length": length, "type": "bot_command"}])


def test_a_command_addressed_to_us_in_a_group() -> None:
    [received] = translate.updates(command("/link@knowpay_bot ABCD-EFGH"), FACTS)
    assert isinstance(received, translate.Received)
    assert received.message_id == "42"
    event = received.command
    assert (event.name, event.arguments) == ("link", "ABCD-EFGH")
    assert event.place.chat_id == "-1001111111111"
    assert not event.place.is_private
    assert event.actor.display_name == "Li Wei"
    assert event.actor.locale_hint == "zh-hans"
    assert event.actor.level is Level.MOD


def test_a_command_for_another_bot_is_not_ours() -> None:
    assert translate.updates(command("/help@other_bot"), FACTS) == []


def test_a_reply_names_the_message_it_answers() -> None:
    update = message("Thanks!", reply_to_message={"message_id": 7, "chat": GROUP, "date": 1})
    [posted] = translate.updates(update, FACTS)
    assert isinstance(posted, MessagePosted)
    assert posted.reply_to == "7"


def test_a_forum_topic_message_keeps_its_thread_and_is_no_reply() -> None:
    update = message(
        "Hello topic",
        message_thread_id=3,
        is_topic_message=True,
        reply_to_message={"message_id": 3, "chat": GROUP, "date": 1, "forum_topic_created": {}},
    )
    [posted] = translate.updates(update, FACTS)
    assert isinstance(posted, MessagePosted)
    assert posted.place.thread_id == "3"
    assert posted.reply_to is None


def test_reaction_updates_become_added_and_removed_events() -> None:
    update = {
        "update_id": 700000002,
        "message_reaction": {
            "chat": GROUP,
            "message_id": 42,
            "user": LI,
            "date": 1767603700,
            "old_reaction": [{"type": "emoji", "emoji": "👍"}],
            "new_reaction": [
                {"type": "emoji", "emoji": "🔥"},
                {"type": "custom_emoji", "custom_emoji_id": "5368324170671202286"},
            ],
        },
    }
    events = translate.updates(update, FACTS)
    assert all(isinstance(e, ReactionChanged) for e in events)
    changes = {(e.emoji, e.added) for e in events if isinstance(e, ReactionChanged)}
    assert changes == {("👍", False), ("🔥", True), ("custom:5368324170671202286", True)}


def test_anonymous_reactions_credit_nobody() -> None:
    update = {
        "update_id": 1,
        "message_reaction": {
            "chat": GROUP,
            "message_id": 42,
            "actor_chat": GROUP,
            "date": 1,
            "old_reaction": [],
            "new_reaction": [{"type": "emoji", "emoji": "👍"}],
        },
    }
    assert translate.updates(update, FACTS) == []


def test_a_command_button_press() -> None:
    update = {
        "update_id": 700000003,
        "callback_query": {
            "id": "4382bfdwdsb323b2d9",
            "from": LI,
            "message": {"message_id": 50, "chat": GROUP, "date": 1, "text": "Publish?"},
            "chat_instance": "-6123",
            "data": "kp:cmd:/drop publish 12",
        },
    }
    [pressed] = translate.updates(update, FACTS)
    assert isinstance(pressed, translate.ButtonPressed)
    assert (pressed.command.name, pressed.command.arguments) == ("drop", "publish 12")
    assert pressed.callback_query_id == "4382bfdwdsb323b2d9"


def test_join_requests_and_member_changes() -> None:
    request = {
        "update_id": 4,
        "chat_join_request": {"chat": GROUP, "from": LI, "user_chat_id": 5550001, "date": 1},
    }
    [asked] = translate.updates(request, FACTS)
    assert isinstance(asked, JoinRequested)
    assert asked.place.chat_id == "-1001111111111"

    def member_update(before: str, after: str) -> dict[str, Any]:
        return {
            "update_id": 5,
            "chat_member": {
                "chat": GROUP,
                "from": LI,
                "date": 1,
                "old_chat_member": {"status": before, "user": LI},
                "new_chat_member": {"status": after, "user": LI},
            },
        }

    changes = [
        translate.updates(member_update(before, after), FACTS)
        for before, after in [("left", "member"), ("member", "kicked"), ("member", "administrator")]
    ]
    kinds = [c[0].change for c in changes if isinstance(c[0], MembershipChanged)]
    assert kinds == [MemberChange.JOINED, MemberChange.LEFT, MemberChange.UPDATED]
    assert translate.updates(member_update("member", "member"), FACTS) == []


def test_user_text_can_never_break_the_bots_html() -> None:
    assert to_html("<b>bold</b> & </i>") == "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;/i&gt;"
    assert to_html("use `a<b`") == "use <code>a&lt;b</code>"
    assert to_html("## Weekly <report>\n- a\n#not a heading") == (
        "<b>Weekly &lt;report&gt;</b>\n- a\n#not a heading"
    )
    assert to_html("```\n# a comment\n```") == "<pre><code># a comment</code></pre>"
    assert to_html("**Async <patterns>** in `a**b**`") == (
        "<b>Async &lt;patterns&gt;</b> in <code>a**b**</code>"
    )
    assert to_html("```\n**not bold**\n```") == "<pre><code>**not bold**</code></pre>"
    rendered = to_html("```python\nif a < b:\n    pass\n```")
    assert rendered == '<pre><code class="language-python">if a &lt; b:\n    pass</code></pre>'

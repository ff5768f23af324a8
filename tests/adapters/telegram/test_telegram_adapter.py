"""The Telegram adapter end to end: real python-telegram-bot, the fake Bot API, the dispatcher."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bot.adapters.telegram.adapter import TelegramAdapter
from bot.adapters.telegram.delivery import TelegramReportPoster
from bot.core.clock import FakeClock
from bot.core.dispatcher import Dispatcher
from bot.core.events import (
    MemberChange,
    MembershipChanged,
    MessagePosted,
    Platform,
    ReactionChanged,
)
from bot.core.registry import Registry
from bot.errors import StartupError
from tests.adapters.conftest import Seen
from tests.adapters.telegram.conftest import (
    LI,
    MEMBER_COMMANDS,
    MOD,
    STAFF_COMMANDS,
    TIER_CHAT,
    telegram_settings,
)
from tests.conftest import actor, say
from tests.fakes.telegram import FakeTelegram


async def test_command_menus_are_published_per_language_and_scope(
    telegram: TelegramAdapter, fake_telegram: FakeTelegram
) -> None:
    li_sees = {c["command"]: c["description"] for c in fake_telegram.visible_commands(LI)}
    assert set(li_sees) == MEMBER_COMMANDS
    assert li_sees["whoami"] != "Show your member number, role and linked accounts"  # Chinese
    # A configured moderator's private menu: the experts' commands and the moderators' too.
    assert {c["command"] for c in fake_telegram.visible_commands(MOD)} == STAFF_COMMANDS
    community = fake_telegram.community_chat_id
    in_group = {c["command"] for c in fake_telegram.visible_commands(LI, community)}
    assert in_group == MEMBER_COMMANDS
    # The group's administrators (the owner here) see the moderators' commands in it.
    owner_sees = {
        c["command"] for c in fake_telegram.visible_commands(FakeTelegram.OWNER_ID, community)
    }
    assert owner_sees == STAFF_COMMANDS


async def test_whoami_and_language_in_a_private_chat(
    telegram: TelegramAdapter, fake_telegram: FakeTelegram
) -> None:
    await fake_telegram.send_command(MOD, "/whoami")
    answer = await fake_telegram.wait_for_bot_message(MOD)
    assert "You are member #1 (Grace)." in answer["text"]
    assert "Telegram: @grace" in answer["text"]
    await fake_telegram.send_command(MOD, "/language zh_CN")
    assert "中文" in (await fake_telegram.wait_for_bot_message(MOD))["text"]
    await fake_telegram.send_command(MOD, "/help")
    assert "/whoami" in (await fake_telegram.wait_for_bot_message(MOD))["text"]


async def test_link_joins_a_telegram_and_a_console_identity(
    telegram: TelegramAdapter, fake_telegram: FakeTelegram, telegram_dispatcher: Dispatcher
) -> None:
    code = await say(telegram_dispatcher, actor("grace_at_home", Platform.CONSOLE), "/link")
    found = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    assert found
    await fake_telegram.send_command(MOD, f"/link {found.group(0)}")
    assert "Linked" in (await fake_telegram.wait_for_bot_message(MOD))["text"]
    await fake_telegram.send_command(MOD, "/whoami")
    assert "console: @grace_at_home" in (await fake_telegram.wait_for_bot_message(MOD))["text"]


async def test_private_answers_asked_in_the_group_go_by_dm(
    telegram: TelegramAdapter, fake_telegram: FakeTelegram
) -> None:
    group = fake_telegram.community_chat_id
    await fake_telegram.send_command(MOD, "/whoami@knowpay_bot", chat_id=group)
    assert "You are member" in (await fake_telegram.wait_for_bot_message(MOD))["text"]
    note = await fake_telegram.wait_for_bot_message(group)
    assert note["text"] == "I answered you in a private message."


async def test_a_member_who_never_started_the_bot_gets_a_start_button(
    telegram: TelegramAdapter, fake_telegram: FakeTelegram
) -> None:
    fake_telegram.not_started.add(MOD)
    group = fake_telegram.community_chat_id
    await fake_telegram.send_command(MOD, "/whoami", chat_id=group)
    notice = await fake_telegram.wait_for_bot_message(group)
    assert notice["text"].startswith("I can't message you yet")
    [[button]] = notice["reply_markup"]["inline_keyboard"]
    assert button["url"] == "https://t.me/knowpay_bot"


async def test_a_member_below_the_level_is_refused(
    telegram: TelegramAdapter, fake_telegram: FakeTelegram
) -> None:
    await fake_telegram.send_command(LI, "/audit")
    refusal = await fake_telegram.wait_for_bot_message(LI)
    assert "/audit" in refusal["text"]
    assert "You need" not in refusal["text"]  # Li's client speaks Chinese


async def test_user_html_is_shown_as_text(
    telegram: TelegramAdapter, fake_telegram: FakeTelegram
) -> None:
    await fake_telegram.send_command(MOD, "/help <b>bold</b>&<i>")
    answer = await fake_telegram.wait_for_bot_message(MOD)
    assert "/<b>bold</b>&<i>" in answer["text"]
    assert answer.get("entities", []) == []


async def test_reactions_and_replies_reach_the_dispatcher(
    telegram: TelegramAdapter, fake_telegram: FakeTelegram, seen: Seen
) -> None:
    group = fake_telegram.community_chat_id
    [message_id] = await telegram.gateway.send(group, "New drop: async Rust, explained")
    await fake_telegram.react(LI, group, message_id, "🔥")
    reaction = await seen.wait_for(ReactionChanged)
    assert isinstance(reaction, ReactionChanged)
    assert (reaction.message_id, reaction.emoji, reaction.added) == (str(message_id), "🔥", True)
    await fake_telegram.reply(LI, "太有用了", chat_id=group, reply_to=message_id)
    reply = await seen.wait_for(MessagePosted)
    assert isinstance(reply, MessagePosted)
    assert reply.reply_to == str(message_id)


async def test_join_requests_are_approved_only_for_the_entitled(
    telegram: TelegramAdapter, fake_telegram: FakeTelegram
) -> None:
    await fake_telegram.request_join(LI, TIER_CHAT)
    await fake_telegram.wait_for_call("declineChatJoinRequest")
    assert fake_telegram.join_requests[(TIER_CHAT, LI)] == "declined"
    why = await fake_telegram.wait_for_bot_message(LI)
    assert "Member" in why["text"]
    await fake_telegram.request_join(MOD, TIER_CHAT)
    await fake_telegram.wait_for_call("approveChatJoinRequest")
    assert fake_telegram.join_requests[(TIER_CHAT, MOD)] == "approved"
    assert fake_telegram.member_status(TIER_CHAT, MOD) == "member"


async def test_revoking_access_bans_then_unbans(
    telegram: TelegramAdapter, fake_telegram: FakeTelegram
) -> None:
    fake_telegram.set_member(TIER_CHAT, LI)
    await telegram.gateway.revoke_access(TIER_CHAT, LI)
    assert fake_telegram.member_status(TIER_CHAT, LI) == "left"
    assert (TIER_CHAT, LI) not in fake_telegram.bans
    methods = [c.method for c in fake_telegram.calls if c.method.endswith("ChatMember")]
    assert methods == ["banChatMember", "unbanChatMember"]


async def test_single_use_invite_links(
    telegram: TelegramAdapter, fake_telegram: FakeTelegram, clock: FakeClock
) -> None:
    link = await telegram.gateway.single_use_invite(
        TIER_CHAT, name="member: Li", expires=clock.now() + timedelta(days=1)
    )
    [created] = fake_telegram.invite_links
    assert created["invite_link"] == link
    assert created["member_limit"] == 1


async def test_a_429_is_waited_out_and_retried(
    telegram: TelegramAdapter, fake_telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    fake_telegram.fail_next("sendMessage", 429, retry_after=1)
    await fake_telegram.send_command(MOD, "/whoami")
    assert "You are member" in (await fake_telegram.wait_for_bot_message(MOD, timeout=10))["text"]
    statuses = [c.status for c in fake_telegram.calls if c.method == "sendMessage"]
    assert statuses == [429, 200]


async def test_a_rejected_token_is_a_clear_startup_error(
    fake_telegram: FakeTelegram, telegram_dispatcher: Dispatcher
) -> None:
    adapter = TelegramAdapter(
        telegram_dispatcher, telegram_settings(fake_telegram), "999:not-the-token"
    )
    with pytest.raises(StartupError, match="TELEGRAM_TOKEN: Telegram rejected the token"):
        await adapter.run()


async def test_member_changes_reach_the_dispatcher(
    telegram: TelegramAdapter, fake_telegram: FakeTelegram, seen: Seen, registry: Registry
) -> None:
    registry.listen(MembershipChanged, seen.record)
    await fake_telegram.change_member(fake_telegram.community_chat_id, LI, "left")
    change = await seen.wait_for(MembershipChanged)
    assert isinstance(change, MembershipChanged)
    assert change.change is MemberChange.LEFT
    assert change.actor.user_id == str(LI)


async def test_answers_land_in_the_forum_topic_they_were_asked_in(
    telegram: TelegramAdapter, fake_telegram: FakeTelegram
) -> None:
    forum = -1003000000001
    fake_telegram.add_chat(forum, "Q&A forum", is_forum=True)
    fake_telegram.set_member(forum, FakeTelegram.BOT_ID, "administrator")
    fake_telegram.set_member(forum, MOD)
    fake_telegram.add_topic(forum, 77)
    await fake_telegram.send_command(MOD, "/link ZZZZ-ZZZZ", chat_id=forum, message_thread_id=77)
    note = await fake_telegram.wait_for_bot_message(forum)
    assert note["message_thread_id"] == 77
    assert note["text"] == "I answered you in a private message."
    assert "not valid" in (await fake_telegram.wait_for_bot_message(MOD))["text"]


async def test_the_bot_reacts(telegram: TelegramAdapter, fake_telegram: FakeTelegram) -> None:
    group = fake_telegram.community_chat_id
    message = await fake_telegram.reply(LI, "I shipped my first crate!", chat_id=group)
    await telegram.gateway.react(group, message["message_id"], "🎉")
    [reaction] = fake_telegram.reactions_by_bot
    assert reaction["message_id"] == message["message_id"]


async def test_the_weekly_report_is_sent_with_its_chart_as_a_photo(
    telegram: TelegramAdapter, fake_telegram: FakeTelegram
) -> None:
    chart = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    text = "Week 2026-W47\n" + "\n".join(f"- line {n}" for n in range(600))  # > 4096 chars
    poster = TelegramReportPoster(telegram.gateway, fake_telegram.community_chat_id)
    await poster.publish(text, chart, filename="r.png")
    sent = fake_telegram.bot_messages(fake_telegram.community_chat_id)
    assert len(sent) >= 3
    assert "".join(m.get("text", "") for m in sent[:-1]).count("- line") == 600
    assert "photo" in sent[-1]
    [upload] = [c for c in fake_telegram.calls if c.method == "sendPhoto"]
    assert upload.files["r.png"] == chart

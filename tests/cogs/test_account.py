"""/help, /whoami, /language, /link and /audit through the dispatcher."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.core.clock import FakeClock
from bot.core.dispatcher import Dispatcher
from bot.core.events import Actor, CommandEvent, Place, Platform
from bot.core.permissions import Level
from storage.uow import UnitOfWorkFactory
from tests.conftest import actor, say

LINKED = "Linked. Your accounts (Discord, Telegram) are now one member, #1."
NOT_VALID = (
    "That link code is not valid. Check it, or make a new one with /link on your other account."
)
DISCORD_ALICE = actor("alice", Platform.DISCORD, user_id="80351110224678912")
TELEGRAM_ALICE = actor("alice_tg", Platform.TELEGRAM, user_id="5550001")


async def _code_for(dispatcher: Dispatcher, who: Actor) -> str:
    reply = await say(dispatcher, who, "/link")
    match = re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b", reply)
    assert match, reply
    return match.group(1)


async def test_help_explains_one_command(dispatcher: Dispatcher) -> None:
    reply = await say(dispatcher, actor(), "/help link")
    assert reply.splitlines() == [
        "/link [code]",
        "Link your Discord and Telegram accounts into one member",
        "  code — The code /link gave you on your other account · optional",
        "For example:",
        "  /link",
        "  /link ABCD-EFGH",
    ]
    refused = await say(dispatcher, actor(), "/help audit")
    assert refused == "There is no command /audit you can use. Send /help for the list."


async def test_whoami_shows_member_role_language_and_accounts(dispatcher: Dispatcher) -> None:
    reply = await say(dispatcher, DISCORD_ALICE, "/whoami")
    assert reply.splitlines() == [
        "You are member #1 (alice).",
        "Role: member",
        "Language: English",
        "Linked accounts:",
        "• Discord: @alice (80351110224678912)",
        "Use /link to add your account on another platform.",
    ]


async def test_language_is_remembered_across_platform_hints(dispatcher: Dispatcher) -> None:
    chosen = await say(dispatcher, actor(), "/language zh_CN")
    assert chosen == "好的，从现在起我会用 中文 (简体, 中国) 和你交流。"
    reply = await say(dispatcher, actor(locale="en-US"), "/whoami")
    assert reply.splitlines()[:3] == [
        "你是 #1 号成员（alice）。",
        "身份：成员",
        "语言：中文 (简体, 中国)",
    ]
    current = await say(dispatcher, actor(), "/language")
    assert current == (
        "你现在使用的语言是 中文 (简体, 中国)。发送 /language <code> 即可切换，"
        "可选：en (English), zh_CN (中文 (简体, 中国))。"
    )


async def test_link_joins_discord_and_telegram_into_one_member(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory
) -> None:
    await say(dispatcher, TELEGRAM_ALICE, "/language zh_CN")  # Telegram alice is member #1
    code = await _code_for(dispatcher, DISCORD_ALICE)  # Discord alice is member #2
    reply = await say(dispatcher, TELEGRAM_ALICE, f"/link {code.lower()}")
    assert reply == "关联成功！你的账号（Discord, Telegram）现在属于同一个成员：#2。"

    from_discord = await say(dispatcher, DISCORD_ALICE, "/whoami")
    assert from_discord.splitlines() == [
        "You are member #2 (alice).",
        "Role: member",
        "Language: English",
        "Linked accounts:",
        "• Telegram: @alice_tg (5550001)",
        "• Discord: @alice (80351110224678912)",
    ]
    assert await say(dispatcher, TELEGRAM_ALICE, "/whoami") == from_discord

    async with uow() as unit:
        old = await unit.members.get(1)
        assert old is not None
        assert old.merged_into_id == 2
        entries = await unit.audit.recent(member_id=2)
    linked = [e for e in entries if e.action == "identity.linked"]
    assert len(linked) == 1
    assert linked[0].detail["accounts"] == "telegram:5550001"


async def test_a_code_works_once(dispatcher: Dispatcher) -> None:
    code = await _code_for(dispatcher, DISCORD_ALICE)
    assert await say(dispatcher, TELEGRAM_ALICE, f"/link {code}") == LINKED
    intruder = actor("mallory", Platform.TELEGRAM, user_id="666")
    assert await say(dispatcher, intruder, f"/link {code}") == (
        "That link code was already used. Make a new one with /link on your other account."
    )
    whoami = await say(dispatcher, intruder, "/whoami")
    assert whoami.splitlines()[0] == "You are member #3 (mallory)."


async def test_a_code_expires_after_ten_minutes(dispatcher: Dispatcher, clock: FakeClock) -> None:
    code = await _code_for(dispatcher, DISCORD_ALICE)
    clock.advance(timedelta(minutes=10, seconds=1))
    assert await say(dispatcher, TELEGRAM_ALICE, f"/link {code}") == (
        "That link code has expired (codes last 10 minutes). "
        "Make a new one with /link on your other account."
    )


async def test_a_new_code_replaces_the_old_one(dispatcher: Dispatcher) -> None:
    first = await _code_for(dispatcher, DISCORD_ALICE)
    second = await _code_for(dispatcher, DISCORD_ALICE)
    assert await say(dispatcher, TELEGRAM_ALICE, f"/link {first}") == NOT_VALID
    assert await say(dispatcher, TELEGRAM_ALICE, f"/link {second}") == LINKED


async def test_wrong_codes_are_refused(dispatcher: Dispatcher) -> None:
    assert await say(dispatcher, TELEGRAM_ALICE, "/link ZZZZ-ZZZZ") == NOT_VALID
    assert await say(dispatcher, TELEGRAM_ALICE, "/link 🙂") == NOT_VALID
    code = await _code_for(dispatcher, DISCORD_ALICE)
    assert await say(dispatcher, DISCORD_ALICE, f"/link {code}") == (
        "That code belongs to this account already. "
        "Send it from your account on the other platform."
    )


async def test_linking_two_accounts_of_one_platform_is_refused(dispatcher: Dispatcher) -> None:
    code = await _code_for(dispatcher, DISCORD_ALICE)
    other_discord = actor("alt", Platform.DISCORD, user_id="123")
    assert await say(dispatcher, other_discord, f"/link {code}") == (
        "That member already has a Discord account linked, so this one cannot be added."
    )


async def test_a_linked_moderator_is_a_moderator_everywhere(dispatcher: Dispatcher) -> None:
    discord_mod = actor("boss", Platform.DISCORD, user_id="9", level=Level.MOD)
    telegram_boss = actor("boss_tg", Platform.TELEGRAM, user_id="10")
    assert await say(dispatcher, telegram_boss, "/audit") == "You need the mod role to use /audit."
    code = await _code_for(dispatcher, discord_mod)
    await say(dispatcher, telegram_boss, f"/link {code}")
    audit = await say(dispatcher, telegram_boss, "/audit")
    assert audit.splitlines()[0] == "Audit log, newest first:"


async def test_audit_shows_one_members_history(dispatcher: Dispatcher) -> None:
    await say(dispatcher, actor("carol", level=Level.CREATOR), "/whoami")
    await say(dispatcher, actor("dave"), "/whoami")
    reply = await say(dispatcher, actor("boss", level=Level.ADMIN), "/audit @Carol")
    assert reply.splitlines() == [
        "Audit log for #1 carol, newest first:",
        "2026-01-05 09:00 UTC · role.changed · #1 carol · by system · "
        "from=member, platform=console, to=creator",
    ]
    by_id = await say(dispatcher, actor("boss", level=Level.ADMIN), "/audit #2")
    assert by_id == "The audit log has nothing to show yet."


async def test_help_suggests_commands_by_prefix_and_level(dispatcher: Dispatcher) -> None:
    def typing(who: Actor) -> CommandEvent:
        return CommandEvent(who, Place(who.platform, who.user_id), "help")

    alice, boss = actor(), actor("boss", level=Level.MOD)
    assert await dispatcher.suggest(typing(alice), "command", "/l") == ["language", "link"]
    assert await dispatcher.suggest(typing(alice), "command", "au") == []
    assert await dispatcher.suggest(typing(boss), "command", "au") == ["audit"]
    assert await dispatcher.suggest(typing(alice), "nope", "") == []

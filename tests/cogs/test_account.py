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

DISCORD_ALICE = actor("alice", Platform.DISCORD, user_id="80351110224678912")
TELEGRAM_ALICE = actor("alice_tg", Platform.TELEGRAM, user_id="5550001")


async def _code_for(dispatcher: Dispatcher, who: Actor) -> str:
    reply = await say(dispatcher, who, "/link")
    match = re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b", reply)
    assert match, reply
    return match.group(1)


async def test_help_explains_one_command(dispatcher: Dispatcher) -> None:
    reply = await say(dispatcher, actor(), "/help link")
    assert reply.startswith("/link [code] — Link your Discord and Telegram accounts")
    assert "code: The code /link gave you" in reply
    assert "There is no command /audit" in await say(dispatcher, actor(), "/help audit")


async def test_whoami_shows_member_role_language_and_accounts(dispatcher: Dispatcher) -> None:
    reply = await say(dispatcher, DISCORD_ALICE, "/whoami")
    assert "You are member #1 (alice)." in reply
    assert "Role: member" in reply
    assert "Language: English" in reply
    assert "Discord: @alice (80351110224678912)" in reply
    assert "Use /link" in reply


async def test_language_is_remembered_across_platform_hints(dispatcher: Dispatcher) -> None:
    assert "中文" in await say(dispatcher, actor(), "/language zh_CN")
    reply = await say(dispatcher, actor(locale="en-US"), "/whoami")
    assert "#1" in reply
    assert "Role:" not in reply
    current = await say(dispatcher, actor(), "/language")
    assert "zh_CN" in current
    assert "en (English)" in current


async def test_link_joins_discord_and_telegram_into_one_member(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory
) -> None:
    await say(dispatcher, TELEGRAM_ALICE, "/language zh_CN")  # Telegram alice is member #1
    code = await _code_for(dispatcher, DISCORD_ALICE)  # Discord alice is member #2
    reply = await say(dispatcher, TELEGRAM_ALICE, f"/link {code.lower()}")
    assert "#2" in reply

    from_discord = await say(dispatcher, DISCORD_ALICE, "/whoami")
    assert "Discord: @alice" in from_discord
    assert "Telegram: @alice_tg (5550001)" in from_discord
    assert "#2" in await say(dispatcher, TELEGRAM_ALICE, "/whoami")

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
    assert "Linked" in await say(dispatcher, TELEGRAM_ALICE, f"/link {code}")
    intruder = actor("mallory", Platform.TELEGRAM, user_id="666")
    assert "already used" in await say(dispatcher, intruder, f"/link {code}")
    assert "#3" in await say(dispatcher, intruder, "/whoami")


async def test_a_code_expires_after_ten_minutes(dispatcher: Dispatcher, clock: FakeClock) -> None:
    code = await _code_for(dispatcher, DISCORD_ALICE)
    clock.advance(timedelta(minutes=10, seconds=1))
    assert "expired" in await say(dispatcher, TELEGRAM_ALICE, f"/link {code}")


async def test_a_new_code_replaces_the_old_one(dispatcher: Dispatcher) -> None:
    first = await _code_for(dispatcher, DISCORD_ALICE)
    second = await _code_for(dispatcher, DISCORD_ALICE)
    assert "not valid" in await say(dispatcher, TELEGRAM_ALICE, f"/link {first}")
    assert "Linked" in await say(dispatcher, TELEGRAM_ALICE, f"/link {second}")


async def test_wrong_codes_are_refused(dispatcher: Dispatcher) -> None:
    assert "not valid" in await say(dispatcher, TELEGRAM_ALICE, "/link ZZZZ-ZZZZ")
    assert "not valid" in await say(dispatcher, TELEGRAM_ALICE, "/link 🙂")
    code = await _code_for(dispatcher, DISCORD_ALICE)
    assert "belongs to this account" in await say(dispatcher, DISCORD_ALICE, f"/link {code}")


async def test_linking_two_accounts_of_one_platform_is_refused(dispatcher: Dispatcher) -> None:
    code = await _code_for(dispatcher, DISCORD_ALICE)
    other_discord = actor("alt", Platform.DISCORD, user_id="123")
    assert "already has a Discord account" in await say(dispatcher, other_discord, f"/link {code}")


async def test_a_linked_moderator_is_a_moderator_everywhere(dispatcher: Dispatcher) -> None:
    discord_mod = actor("boss", Platform.DISCORD, user_id="9", level=Level.MOD)
    telegram_boss = actor("boss_tg", Platform.TELEGRAM, user_id="10")
    assert "You need the mod role" in await say(dispatcher, telegram_boss, "/audit")
    code = await _code_for(dispatcher, discord_mod)
    await say(dispatcher, telegram_boss, f"/link {code}")
    assert "Audit log" in await say(dispatcher, telegram_boss, "/audit")


async def test_audit_shows_one_members_history(dispatcher: Dispatcher) -> None:
    await say(dispatcher, actor("carol", level=Level.CREATOR), "/whoami")
    await say(dispatcher, actor("dave"), "/whoami")
    reply = await say(dispatcher, actor("boss", level=Level.ADMIN), "/audit @Carol")
    assert reply.startswith("Audit log for #1 carol, newest first:")
    assert "role.changed" in reply
    assert "to=creator" in reply
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

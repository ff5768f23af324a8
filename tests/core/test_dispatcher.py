"""The dispatcher's middleware, driven with neutral events on an in-memory database."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

from sqlalchemy import func, select

from bot.core.clock import FakeClock
from bot.core.commands import Args, CommandSpec
from bot.core.context import Context
from bot.core.dispatcher import Dispatcher
from bot.core.effects import Effect
from bot.core.events import (
    Actor,
    MemberChange,
    MembershipChanged,
    MessagePosted,
    Place,
    Platform,
    ReactionChanged,
)
from bot.core.listening import EventContext
from bot.core.permissions import Level
from bot.core.registry import Registry
from cogs import build_registry
from storage.models import AuditEntry, Member
from storage.uow import UnitOfWorkFactory
from tests.conftest import actor, dispatcher_for, make_settings, say, send, wire


async def test_unknown_command_suggests_a_close_one(dispatcher: Dispatcher) -> None:
    reply = await say(dispatcher, actor(), "/hepl")
    assert reply == (
        "I don't know the command /hepl. Did you mean /help? Send /help to see what you can do."
    )


async def test_unknown_command_without_a_close_match(dispatcher: Dispatcher) -> None:
    reply = await say(dispatcher, actor(), "/frobnicate now")
    assert reply == "I don't know the command /frobnicate. Send /help to see what you can do."


async def test_empty_command_asks_for_one(dispatcher: Dispatcher) -> None:
    assert await say(dispatcher, actor(), "/") == "Type a command, for example /help."
    assert await say(dispatcher, actor(), "plain chat") == "Type a command, for example /help."


async def test_oversized_text_is_refused_with_its_length(dispatcher: Dispatcher) -> None:
    reply = await say(dispatcher, actor(), "/link " + "x" * 10_000)
    assert reply == "That message is too long: 10,006 characters, and the limit is 4,000."


async def test_oversized_text_in_chinese(dispatcher: Dispatcher) -> None:
    reply = await say(dispatcher, actor(locale="zh-CN"), "/help " + "长" * 10_000)
    assert reply == "消息太长了：共 10,006 个字符，上限是 4,000 个。"


async def test_control_characters_never_reach_storage_or_replies(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory
) -> None:
    sneaky = actor("ali\x1b[2J\x00ce\u202e", user_id="u1")
    reply = await say(dispatcher, sneaky, "/whoami \x00\x07")
    assert not any(unicodedata.category(ch) == "Cc" and ch != "\n" for ch in reply)
    assert reply.splitlines()[0] == "You are member #1 (alice)."
    assert reply.splitlines()[4] == "• console: @alice (u1)"
    async with uow() as unit:
        member = await unit.members.get(1)
        assert member is not None
        assert member.display_name == "alice"


async def test_command_above_level_names_the_role(dispatcher: Dispatcher) -> None:
    assert await say(dispatcher, actor(), "/audit") == "You need the mod role to use /audit."
    chinese = await say(dispatcher, actor("li", locale="zh-CN"), "/audit")
    assert chinese == "需要版主身份才能使用 /audit。"
    allowed = await say(dispatcher, actor("boss", level=Level.MOD), "/audit")
    assert allowed.splitlines()[0] == "Audit log, newest first:"


async def test_help_is_filtered_by_level(dispatcher: Dispatcher) -> None:
    member_help = await say(dispatcher, actor(), "/help")
    mod_help = await say(dispatcher, actor("boss", level=Level.MOD), "/help")
    audit = "/audit [@member] — Show the audit log, for everyone or for one member"
    whoami = "/whoami — Show your member number, role and linked accounts"
    assert audit not in member_help.splitlines()
    assert audit in mod_help.splitlines()
    assert whoami in member_help.splitlines()


async def test_rate_limit_slows_members_down_and_recovers(
    dispatcher: Dispatcher, clock: FakeClock
) -> None:
    alice = actor()
    for _ in range(20):
        assert "Slow down" not in await say(dispatcher, alice, "/whoami")
    assert await say(dispatcher, alice, "/whoami") == "Slow down a little: try again in 3 seconds."
    clock.advance(timedelta(seconds=3))
    assert "Slow down" not in await say(dispatcher, alice, "/whoami")


async def test_moderators_are_not_rate_limited(dispatcher: Dispatcher) -> None:
    boss = actor("boss", level=Level.MOD)
    replies = [await say(dispatcher, boss, "/whoami") for _ in range(40)]
    assert not any("Slow down" in r for r in replies)


async def test_first_contact_creates_one_member_and_remembers_it(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory
) -> None:
    await send(dispatcher, actor(), "/whoami")
    await send(dispatcher, actor(), "/whoami")
    await send(dispatcher, actor("alice", Platform.TELEGRAM, user_id="42"), "/whoami")
    async with uow() as unit:
        count = await unit.session.scalar(select(func.count()).select_from(Member))
    assert count == 2  # the Telegram account is someone else until /link says otherwise


async def test_a_role_change_from_the_platform_is_audited(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory
) -> None:
    await send(dispatcher, actor(level=Level.MEMBER), "/whoami")
    await send(dispatcher, actor(level=Level.CREATOR), "/whoami")
    await send(dispatcher, actor(level=Level.CREATOR), "/whoami")
    async with uow() as unit:
        entries = await unit.audit.recent()
    changes = [e for e in entries if e.action == "role.changed"]
    assert len(changes) == 1
    assert changes[0].detail == {"platform": "console", "from": "member", "to": "creator"}


async def test_locale_member_choice_beats_platform_beats_default(dispatcher: Dispatcher) -> None:
    english = await say(dispatcher, actor("a"), "/")
    chinese = await say(dispatcher, actor("b", locale="zh-hans"), "/")
    assert english == "Type a command, for example /help."
    assert chinese == "请输入一个命令，比如 /help。"
    await say(dispatcher, actor("b", locale="zh-hans"), "/language en")
    assert await say(dispatcher, actor("b", locale="zh-hans"), "/") == english


async def test_community_default_locale_applies(uow: UnitOfWorkFactory, clock: FakeClock) -> None:
    settings = make_settings(community={"name": "Club", "default_locale": "zh_CN"})
    dispatcher = dispatcher_for(uow, clock, settings)
    assert await say(dispatcher, actor(), "/") == "请输入一个命令，比如 /help。"


async def test_argument_errors_show_usage(dispatcher: Dispatcher) -> None:
    reply = await say(dispatcher, actor(), "/language klingon")
    assert reply == (
        "language: “klingon” is not one of: en, zh_CN.\n"
        "For example: en\n"
        "Usage: /language [en|zh_CN]"
    )


async def test_unknown_member_reference_is_explained(dispatcher: Dispatcher) -> None:
    reply = await say(dispatcher, actor("boss", level=Level.MOD), "/audit @nobody")
    assert reply.splitlines() == [
        "member: I can't find @nobody here. They need to have used the bot at least once.",
        "For example: @name",
        "Usage: /audit [@member]",
    ]


async def _writes_then_fails(ctx: Context, _args: Args) -> list[Effect]:
    await ctx.uow.audit.record("test.half_done", at=ctx.clock.now(), actor_id=None, subject_id=None)
    raise RuntimeError("boom")


async def test_a_failing_handler_changes_nothing_and_says_so(
    uow: UnitOfWorkFactory, clock: FakeClock
) -> None:
    registry = Registry()
    registry.register(CommandSpec(name="explode", description="x", handler=_writes_then_fails))
    dispatcher = Dispatcher(registry=registry, uow=uow, clock=clock, settings=make_settings())
    reply = await say(dispatcher, actor(), "/explode")
    assert reply == (
        "Something went wrong on our side and nothing was changed. Please try again in a moment."
    )
    async with uow() as unit:
        assert await unit.session.scalar(select(func.count()).select_from(AuditEntry)) == 0
        assert await unit.session.scalar(select(func.count()).select_from(Member)) == 0


async def test_platform_events_reach_listeners_in_one_unit_of_work(
    uow: UnitOfWorkFactory, clock: FakeClock
) -> None:
    seen: list[tuple[int, str]] = []

    async def on_reaction(ctx: EventContext, event: ReactionChanged) -> None:
        seen.append((ctx.member.id, event.emoji))

    registry = build_registry(wire(uow, clock, make_settings()))
    registry.listen(ReactionChanged, on_reaction)
    dispatcher = Dispatcher(registry=registry, uow=uow, clock=clock, settings=make_settings())
    fan = actor("fan", Platform.DISCORD, user_id="77")
    place = Place(Platform.DISCORD, "555", is_private=False)
    await dispatcher.notify(ReactionChanged(fan, place, message_id="9", emoji="🔥", added=True))
    await dispatcher.notify(MessagePosted(fan, place, message_id="10", text="hi"))  # no listener
    bot = Actor(Platform.DISCORD, "1", "a bot", is_bot=True)
    await dispatcher.notify(ReactionChanged(bot, place, message_id="9", emoji="🤖", added=True))
    assert seen == [(1, "🔥")]


async def test_a_role_change_on_the_platform_updates_the_level(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory
) -> None:
    place = Place(Platform.DISCORD, "1", is_private=False)
    mod = actor("boss", Platform.DISCORD, user_id="5", level=Level.MOD)
    await dispatcher.notify(MembershipChanged(mod, place, MemberChange.UPDATED))
    nameless = Actor(Platform.DISCORD, "5", "", level=None)
    await dispatcher.notify(
        ReactionChanged(nameless, place, message_id="1", emoji="👍", added=False)
    )
    async with uow() as unit:
        identity = await unit.members.identity("discord", "5")
        assert identity is not None
        assert identity.level == Level.MOD
        assert identity.display_name == "boss"  # a reaction removal names nobody: kept


async def test_a_failing_listener_is_logged_and_rolled_back(
    uow: UnitOfWorkFactory, clock: FakeClock
) -> None:
    async def broken(ctx: EventContext, _event: MessagePosted) -> None:
        await ctx.uow.audit.record("half", at=ctx.clock.now(), actor_id=None, subject_id=None)
        raise RuntimeError("listener bug")

    registry = build_registry(wire(uow, clock, make_settings()))
    registry.listen(MessagePosted, broken)
    dispatcher = Dispatcher(registry=registry, uow=uow, clock=clock, settings=make_settings())
    where = Place(Platform.CONSOLE, "x")
    await dispatcher.notify(MessagePosted(actor(), where, message_id="1", text="hello"))
    async with uow() as unit:
        assert await unit.session.scalar(select(func.count()).select_from(AuditEntry)) == 0

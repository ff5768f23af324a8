"""The same arguments, given on Discord (typed slash options, through the real discord.py), on
Telegram (a typed line, through the real python-telegram-bot) and in the console, reach the
handler equal: one reading of what people type."""

from __future__ import annotations

import asyncio
import io

from bot.adapters.console import ConsoleAdapter
from bot.adapters.discord.adapter import DiscordAdapter
from bot.adapters.telegram.adapter import TelegramAdapter
from bot.core.clock import FakeClock
from bot.core.commands import Args, CommandSpec, Param, ParamKind
from bot.core.context import Context
from bot.core.dispatcher import Dispatcher
from bot.core.effects import Effect
from bot.core.permissions import Level
from bot.core.values import DROP, QUESTION
from cogs import build_registry
from storage.models import Member
from storage.uow import UnitOfWorkFactory
from tests.adapters.conftest import ADA, running
from tests.conftest import make_settings, wire
from tests.fakes.discord import FakeDiscord
from tests.fakes.telegram import FakeTelegram

LI = 5550001


def probe_spec(seen: list[dict[str, object]]) -> CommandSpec:
    async def record(ctx: Context, args: Args) -> list[Effect]:
        # Members are rows of one unit of work each: compare who they are, not the objects.
        seen.append(
            {
                name: f"member #{value.id}" if isinstance(value, Member) else value
                for name, value in args.values.items()
            }
        )
        return [ctx.reply("recorded")]

    return CommandSpec(
        name="probe",
        description="Every kind of value",
        handler=record,
        params=(
            Param("who", "Who", kind=ParamKind.MEMBER),
            Param("tier", "Tier", kind=ParamKind.TIER),
            Param("length", "How long", kind=ParamKind.DURATION),
            Param("count", "How many", kind=ParamKind.INTEGER, minimum=1, maximum=9),
            Param("which", "Which", kind=ParamKind.CHOICE, choices=("open", "mine")),
            Param("what", "What", kind=ParamKind.LABEL, labels=(DROP, QUESTION)),
            Param("amount", "How much", kind=ParamKind.MONEY, keyword=True, any_currency=True),
            Param("at", "When", kind=ParamKind.WHEN, keyword=True),
            Param("note", "A note", rest=True),
        ),
        level=Level.MEMBER,
    )


async def test_discord_telegram_and_the_console_give_the_handler_the_same_arguments(
    fake_discord: FakeDiscord, uow: UnitOfWorkFactory, clock: FakeClock
) -> None:
    telegram = FakeTelegram(clock=clock)
    telegram.add_user(LI, "Li", username="liwei")
    await telegram.start()
    settings = make_settings(
        discord=fake_discord.config(),
        telegram={"api_base_url": telegram.base_url},
        tiers={"member": {"name": "Member", "price": "9.00", "interval": "month",
                          "discord_role_ids": [fake_discord.roles["member"]]}},
    )  # fmt: skip
    seen: list[dict[str, object]] = []
    registry = build_registry(wire(uow, clock, settings))
    registry.register(probe_spec(seen))
    dispatcher = Dispatcher(registry=registry, uow=uow, clock=clock, settings=settings)
    discord_adapter = DiscordAdapter(dispatcher, settings, FakeDiscord.TOKEN)
    telegram_adapter = TelegramAdapter(dispatcher, settings, FakeTelegram.TOKEN)
    try:
        async with running(discord_adapter, telegram_adapter):
            await fake_discord.wait_until_ready()
            await telegram.wait_until_polling()
            await fake_discord.invoke_slash(ADA, "whoami")  # Ada is member #1, on Discord
            options = {
                "who": ADA,
                "tier": "member",
                "length": "2w",
                "count": 5,
                "which": "mine",
                "what": "D7",
                "amount": "300 cny",
                "at": "fri 20:00",
                "note": "the same  note, spaces kept",
            }
            answered = await fake_discord.invoke_slash(ADA, "probe", options, timeout=10)
            assert answered.content == "recorded"
            line = (
                '/probe #1 member 2w 5 mine D7 amount:"300 cny" at:"fri 20:00" '
                "the same  note, spaces kept"
            )
            await telegram.send_command(LI, line)
            assert (await telegram.wait_for_bot_message(LI))["text"] == "recorded"
            terminal = io.StringIO()
            console = ConsoleAdapter(
                dispatcher,
                user="ada",
                level=Level.MEMBER,
                stdin=io.StringIO(line + "\n"),
                stdout=terminal,
                default_locale="en",
            )
            await asyncio.wait_for(console.run(), timeout=10)
            assert terminal.getvalue() == "recorded\n"
    finally:
        await telegram.stop()
    discord, telegram_seen, console_seen = seen
    assert discord == telegram_seen == console_seen
    assert discord["who"] == "member #1"
    assert sorted(discord) == sorted(options)

"""Interactions from the real discord.py and python-telegram-bot, against their fakes, land on
the one content both platforms show."""

from __future__ import annotations

from sqlalchemy import select

from bot.adapters.discord.adapter import DiscordAdapter
from bot.adapters.telegram.adapter import TelegramAdapter
from bot.core.clock import FakeClock
from bot.core.dispatcher import Dispatcher
from bot.core.events import Place, Platform
from bot.core.registry import Registry
from cogs.engagement.service import register_content, show
from storage.interaction_recorder import InteractionRecorder
from storage.models import Interaction
from storage.uow import UnitOfWorkFactory
from tests.adapters.conftest import ADA, Seen, running
from tests.conftest import make_settings
from tests.fakes.discord import FakeDiscord
from tests.fakes.telegram import FakeTelegram

LI, GROUP = 5550001, -1003000000001


async def test_reactions_and_replies_on_either_copy_count_for_one_content(
    *,
    fake_discord: FakeDiscord,
    uow: UnitOfWorkFactory,
    clock: FakeClock,
    registry: Registry,
    recorder: InteractionRecorder,
    seen: Seen,
) -> None:
    telegram = FakeTelegram(clock=clock)
    telegram.add_user(LI, "Li", username="liwei")
    telegram.add_chat(GROUP, "Community")
    telegram.set_member(GROUP, LI)
    telegram.set_member(GROUP, FakeTelegram.BOT_ID, "administrator")
    await telegram.start()
    settings = make_settings(
        discord=fake_discord.config(),
        telegram={"api_base_url": telegram.base_url, "community_chat_id": GROUP},
    )
    dispatcher = Dispatcher(registry=registry, uow=uow, clock=clock, settings=settings)
    discord_adapter = DiscordAdapter(dispatcher, settings, FakeDiscord.TOKEN)
    telegram_adapter = TelegramAdapter(dispatcher, settings, FakeTelegram.TOKEN)
    try:
        async with running(discord_adapter, telegram_adapter):
            await fake_discord.wait_until_ready()
            await telegram.wait_until_polling()
            channel = fake_discord.channels["drops"]
            [on_discord] = await discord_adapter.gateway.post(channel, "Async tips")
            [on_telegram] = await telegram_adapter.gateway.send(GROUP, "Async tips")
            async with uow() as unit:
                drop = await register_content(
                    unit,
                    kind="drop",
                    ref="drop:1",
                    title="Async tips",
                    author_id=None,
                    at=clock.now(),
                )
                await show(unit, drop, Place(Platform.DISCORD, str(channel)), str(on_discord))
                await show(unit, drop, Place(Platform.TELEGRAM, str(GROUP)), str(on_telegram))

            await fake_discord.react(ADA, channel, on_discord, "🔥")
            await fake_discord.react(fake_discord.bot_user_id, channel, on_discord, "👀")
            await fake_discord.reply(ADA, channel, "thanks!", reply_to=on_discord)
            await telegram.react(LI, GROUP, on_telegram, "👍")
            await telegram.reply(LI, "谢谢", chat_id=GROUP, reply_to=on_telegram)
            await telegram.react(LI, GROUP, on_telegram, "👍", remove=True)

            # Five events from people; the bot's own reaction never reaches a listener.
            await seen.wait_for_count(5)
            await recorder.flush()
            async with uow() as unit:
                rows = await unit.session.scalars(select(Interaction))
                counted = sorted((r.content_id, r.kind, r.platform, r.delta) for r in rows)
            assert counted == sorted(
                [
                    (drop.id, "reaction", "discord", 1),
                    (drop.id, "reply", "discord", 1),
                    (drop.id, "reaction", "telegram", 1),
                    (drop.id, "reply", "telegram", 1),
                    (drop.id, "reaction", "telegram", -1),
                ]
            )
    finally:
        await telegram.stop()

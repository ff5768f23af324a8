"""A running Discord adapter (real discord.py) connected to the fake Discord over loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.adapters.discord.adapter import DiscordAdapter
from bot.config import Settings
from bot.core.clock import FakeClock
from bot.core.dispatcher import Dispatcher
from bot.core.registry import Registry
from storage.uow import UnitOfWorkFactory
from tests.adapters.conftest import ADA, MODERATOR
from tests.conftest import make_settings
from tests.fakes.discord import FakeDiscord

__all__ = ["ADA", "MODERATOR"]


def discord_settings(fake: FakeDiscord) -> Settings:
    return make_settings(
        discord=fake.config(
            mod_role_ids=[fake.roles["mod"]],
            creator_role_ids=[fake.roles["creator"]],
            admin_role_ids=[fake.roles["admin"]],
        )
    )


@pytest.fixture
def discord_dispatcher(
    fake_discord: FakeDiscord, registry: Registry, uow: UnitOfWorkFactory, clock: FakeClock
) -> Dispatcher:
    return Dispatcher(
        registry=registry, uow=uow, clock=clock, settings=discord_settings(fake_discord)
    )


@pytest.fixture
async def adapter(
    fake_discord: FakeDiscord, discord_dispatcher: Dispatcher
) -> AsyncIterator[DiscordAdapter]:
    adapter = DiscordAdapter(discord_dispatcher, discord_settings(fake_discord), FakeDiscord.TOKEN)
    running = asyncio.create_task(adapter.run())
    # GUILD_CREATE is sent; every later dispatch arrives after it on the same socket.
    await fake_discord.wait_until_ready()
    yield adapter
    await adapter.stop()
    await asyncio.wait_for(running, timeout=10)

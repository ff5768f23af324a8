"""A drop's file on Discord: picked in /drop's ATTACHMENT option, downloaded from the fake's
CDN by discord.py, kept in the database, and uploaded with the drop's full copy and its DMs;
a file over Discord's 10 MiB is refused at /drop new, naming the limit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from functools import partial

import pytest

from bot.adapters.discord.adapter import DiscordAdapter
from bot.adapters.discord.delivery import DiscordDeliverer
from bot.core.clock import FakeClock
from bot.core.delivery import OutboxWorker
from cogs.drops.service import load_file
from storage.models import Membership
from storage.uow import UnitOfWorkFactory
from tests.adapters.discord.journey import drops_settings
from tests.conftest import dispatcher_for
from tests.fakes.discord import FakeDiscord
from tests.fakes.discord.wire import ATTACHMENT_SIZE_LIMIT

CREATOR = 500000000000000005
READER = 500000000000000006
DROP = {"tiers": "member", "text": "Async patterns in Rust\nUse task groups."}
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40  # binary, so any re-encoding would show


@pytest.fixture
async def worker(
    fake_discord: FakeDiscord, uow: UnitOfWorkFactory, clock: FakeClock
) -> AsyncIterator[OutboxWorker]:
    fake_discord.add_user(CREATOR, "lin", roles=[fake_discord.roles["creator"]])
    fake_discord.add_user(READER, "ada")
    fake_discord.add_channel("members")
    settings = drops_settings(fake_discord)
    dispatcher = dispatcher_for(uow, clock, settings)
    adapter = DiscordAdapter(dispatcher, settings, FakeDiscord.TOKEN)
    running = asyncio.create_task(adapter.run())
    await fake_discord.wait_until_ready()
    deliverer = DiscordDeliverer(adapter.gateway, fake_discord.guild_id, partial(load_file, uow))
    yield OutboxWorker(uow, {"discord": deliverer}, clock)
    await adapter.stop()
    await asyncio.wait_for(running, timeout=10)


async def holds_the_tier(uow: UnitOfWorkFactory, clock: FakeClock, user_id: int) -> None:
    now = clock.now()
    async with uow() as unit:
        identity = await unit.members.identity("discord", str(user_id))
        assert identity is not None
        await unit.memberships.add(
            Membership(
                member_id=identity.member_id,
                tier="member",
                status="active",
                source="manual",
                started_at=now,
                ends_at=now + timedelta(days=30),
                version=1,
                updated_at=now,
            )
        )


async def test_the_file_goes_out_with_the_drop_byte_for_byte(
    fake_discord: FakeDiscord, worker: OutboxWorker, uow: UnitOfWorkFactory, clock: FakeClock
) -> None:
    await fake_discord.invoke_slash(READER, "notify", {"choice": "on"})
    await holds_the_tier(uow, clock, READER)
    picked = fake_discord.upload("notes.pdf", PDF, content_type="application/pdf")

    preview = await fake_discord.invoke_slash(
        CREATOR, "drop new", {**DROP, "file": picked}, timeout=10
    )
    assert preview.content is not None
    assert "With the file notes.pdf (11 kB), in full copies and private messages." in (
        preview.content
    )
    published = await fake_discord.invoke_slash(CREATOR, "drop publish", {"drop": "D1"}, timeout=10)
    assert published.content == "Drop D1 is published; 1 members get it by private message."
    while await worker.run_once():
        pass

    [full] = fake_discord.messages[fake_discord.channels["members"]]
    [attached] = full["attachments"]
    assert attached["filename"] == "notes.pdf"
    assert fake_discord.file_bytes(attached) == PDF
    [dm] = fake_discord.dms_to(READER)
    assert "Use task groups." in dm["content"]
    assert fake_discord.file_bytes(dm["attachments"][0]) == PDF


async def test_a_file_over_discords_limit_is_refused_naming_it(
    fake_discord: FakeDiscord, worker: OutboxWorker, uow: UnitOfWorkFactory
) -> None:
    big = fake_discord.upload("video.mp4", bytes(ATTACHMENT_SIZE_LIMIT + 1))

    refused = await fake_discord.invoke_slash(
        CREATOR, "drop new", {**DROP, "file": big}, timeout=10
    )
    assert refused.content == (
        "“video.mp4” is 10.5 MB: a drop for these tiers can carry a file of at most 10 MiB, "
        "the most a bot may post on Discord."
    )
    async with uow() as unit:
        assert await unit.drops.get(1) is None  # nothing half-made


async def test_a_file_goes_only_with_drop_new(
    fake_discord: FakeDiscord, worker: OutboxWorker
) -> None:
    """Only /drop new has a file option: Discord offers no file box on the others."""
    [drop] = [c for c in fake_discord.synced_commands if c["name"] == "drop"]
    files = {
        sub["name"]: [o["name"] for o in sub.get("options", []) if o["type"] == 11]
        for sub in drop["options"]
    }
    assert files == {
        "new": ["file"],
        "publish": [],
        "list": [],
        "edit": [],
        "cancel": [],
        "delete": [],
        "stats": [],
    }

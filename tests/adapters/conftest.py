"""What the platform adapters' tests share: recording the events cogs receive and the
interactions they count, delivering posts through the outbox, and starting `knowpay run` as a
real process."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import discord
import pytest
from sqlalchemy import select

from bot.adapters.base import Adapter
from bot.core.clock import FakeClock
from bot.core.delivery import OutboxSettings, OutboxWorker
from bot.core.effects import EditMessage, PostToChat
from bot.core.events import MessagePosted, PlatformEvent, ReactionChanged
from bot.core.listening import EventContext
from bot.core.outbox import Deliverer, queue
from bot.core.registry import Registry
from cogs import build_registry
from cogs.engagement.service import register_content
from cogs.services import Services
from storage.engine import make_engine, make_sessionmaker, normalize_url
from storage.interaction_recorder import InteractionRecorder
from storage.migrate import upgrade
from storage.models import ContentMessage, Interaction, Membership, OutboxItem
from storage.uow import UnitOfWorkFactory
from tests.conftest import make_settings, wire
from tests.fakes.discord import FakeDiscord

TOKENS = ("DISCORD_TOKEN", "TELEGRAM_TOKEN", "STRIPE_API_KEY", "KNOWPAY_CONFIG")
ADA = 500000000000000001  # a plain member of the fake Discord server
MODERATOR = 500000000000000002


@dataclass
class Seen:
    """Platform events the dispatcher handed to cogs, with a way to wait for them."""

    events: list[PlatformEvent] = field(default_factory=list)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def record(self, _ctx: EventContext, event: PlatformEvent) -> None:
        async with self.changed:
            self.events.append(event)
            self.changed.notify_all()

    async def wait_for_count(self, count: int, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Until `count` events have been handled (listeners run in order: this one last)."""
        async with asyncio.timeout(timeout), self.changed:
            await self.changed.wait_for(lambda: len(self.events) >= count)

    async def wait_for(self, kind: type[PlatformEvent], timeout: float = 5.0) -> PlatformEvent:  # noqa: ASYNC109
        async with asyncio.timeout(timeout), self.changed:
            await self.changed.wait_for(lambda: any(isinstance(e, kind) for e in self.events))
        return next(e for e in self.events if isinstance(e, kind))


@pytest.fixture
def seen() -> Seen:
    return Seen()


@pytest.fixture
def services(uow: UnitOfWorkFactory, clock: FakeClock) -> Services:
    return wire(uow, clock, make_settings())


@pytest.fixture
def registry(seen: Seen, services: Services) -> Registry:
    """The real commands, plus listeners that record reactions and messages."""
    registry = build_registry(services)
    registry.listen(ReactionChanged, seen.record)
    registry.listen(MessagePosted, seen.record)
    return registry


@pytest.fixture
def recorder(services: Services) -> InteractionRecorder:
    return services.interactions


async def deliver_post(
    uow: UnitOfWorkFactory, clock: FakeClock, deliverer: Deliverer, post: PostToChat
) -> OutboxItem:
    """Register the content `post` shows (if it names one), queue the post and run the real
    outbox worker on it; a second round finds nothing left to do. Returns the item."""
    async with uow() as unit:
        if post.content_ref is not None:
            await register_content(
                unit,
                kind="question",
                ref=post.content_ref,
                title=post.thread_title or "",
                author_id=None,
                at=clock.now(),
            )
        await queue(unit, post, key="post", now=clock.now())
    worker = OutboxWorker(uow, {deliverer.platform: deliverer}, clock)
    assert await worker.run_once() == 1
    assert await worker.run_once() == 0
    async with uow() as unit:
        [item] = await unit.session.scalars(select(OutboxItem))
        return item


async def deliver_edits(
    uow: UnitOfWorkFactory, clock: FakeClock, deliverer: Deliverer, *edits: EditMessage
) -> list[OutboxItem]:
    """Queue the edits and run the real outbox worker on them, one attempt each (what fails
    now is dead, with its reason). Returns the items, in order."""
    async with uow() as unit:
        for n, edit in enumerate(edits):
            await queue(unit, edit, key=f"edit {n}", now=clock.now())
    worker = OutboxWorker(
        uow, {deliverer.platform: deliverer}, clock, OutboxSettings(max_attempts=1)
    )
    assert await worker.run_once() == len(edits)
    async with uow() as unit:
        return list(await unit.session.scalars(select(OutboxItem).order_by(OutboxItem.id)))


async def content_messages(uow: UnitOfWorkFactory) -> list[tuple[str, str, str]]:
    """(chat id, message id, role) of every platform message mapped to a content."""
    async with uow() as unit:
        rows = await unit.session.scalars(select(ContentMessage).order_by(ContentMessage.id))
        return [(row.chat_id, row.message_id, row.role) for row in rows]


async def interactions(uow: UnitOfWorkFactory, recorder: InteractionRecorder) -> list[str]:
    """The kinds of the interactions counted so far, in order."""
    await recorder.flush()
    async with uow() as unit:
        rows = await unit.session.scalars(select(Interaction).order_by(Interaction.id))
        return [row.kind for row in rows]


@pytest.fixture
async def fake_discord(clock: FakeClock) -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord(clock=clock)  # stamps with the clock the bot reads
    fake.add_user(ADA, "ada")
    fake.add_user(MODERATOR, "grace", roles=[fake.roles["mod"]])
    await fake.start()
    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    yield fake
    discord.http.Route.BASE = base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway
    await fake.stop()


@contextlib.asynccontextmanager
async def running(*adapters: Adapter) -> AsyncIterator[None]:
    """Adapters connected to their fakes for the duration, stopped cleanly afterwards."""
    tasks = [asyncio.create_task(adapter.run()) for adapter in adapters]
    try:
        yield
    finally:
        for adapter in adapters:
            await adapter.stop()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=10)


async def knowpay_run(
    tmp_path: Path, config: str, *command: str, **environment: str
) -> asyncio.subprocess.Process:
    """`knowpay run` (or another `command`) in a process of its own, with `config` as its
    bot.toml and only the tokens given here set."""
    config_file = tmp_path / "bot.toml"
    config_file.write_text(config)
    env = {k: v for k, v in os.environ.items() if k not in TOKENS}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'run.db'}", LANG="C", **environment)
    return await asyncio.create_subprocess_exec(
        # faulthandler: a run that hangs shows where, when finished() aborts it.
        sys.executable, "-X", "faulthandler", "-m", "bot", *(command or ("run",)),
        "--config", str(config_file),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )  # fmt: skip


async def finished(process: asyncio.subprocess.Process, timeout: float = 30) -> bytes:  # noqa: ASYNC109
    """Wait for a process to end and return its stderr. One that does not end is aborted, so a
    failing test never leaves a bot running, and its threads' stacks show where it hung."""
    communicating = asyncio.ensure_future(process.communicate())
    try:
        _, stderr = await asyncio.wait_for(asyncio.shield(communicating), timeout=timeout)
    except TimeoutError:
        process.send_signal(signal.SIGABRT)  # faulthandler prints every thread's stack
        _, stderr = await communicating
        raise AssertionError(f"knowpay run did not end:\n{stderr.decode()[-6000:]}") from None
    return stderr


async def seed_membership(
    database: Path, platform: str, user_id: int, tier: str, status: str
) -> None:
    """A member with one account and a membership, in the SQLite file a `knowpay` process
    will use (migrated here first)."""
    engine = make_engine(normalize_url(f"sqlite:///{database}"))
    try:
        await upgrade(engine)
        uow = UnitOfWorkFactory(make_sessionmaker(engine))
        now = datetime.now(UTC)
        async with uow() as unit:
            identity = await unit.members.create_with_identity(
                platform=platform,
                platform_user_id=str(user_id),
                display_name=f"user {user_id}",
                username=None,
                level=0,
                now=now,
            )
            assert identity is not None
            await unit.memberships.add(
                Membership(
                    member_id=identity.member_id,
                    tier=tier,
                    status=status,
                    source="manual",
                    started_at=now - timedelta(days=30),
                    ends_at=now + timedelta(days=30),
                    version=1,
                    updated_at=now,
                )
            )
    finally:
        await engine.dispose()

"""Shared fixtures: settings, databases (SQLite always, PostgreSQL when CI provides one),
a dispatcher on an in-memory database with a fake clock, and a way to talk to it."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings
from selenium import webdriver
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings, settings_from_dict
from bot.core.clock import Clock, FakeClock
from bot.core.dispatcher import Dispatcher
from bot.core.effects import Effect
from bot.core.events import Actor, CommandEvent, Place, Platform
from bot.core.parsing import split_command
from bot.core.permissions import Level
from cogs import build_registry, build_services
from cogs.services import Services
from payments.providers.base import PaymentProvider
from payments.providers.sandbox import SandboxProvider
from storage.engine import make_engine, make_sessionmaker
from storage.interaction_recorder import InteractionRecorder
from storage.migrate import upgrade
from storage.uow import UnitOfWorkFactory
from tests.browser import chromium_browser

# Tests assert no wall-clock times (the project's rule), Hypothesis's deadline included: a busy
# CI machine must not fail a property that holds.
hypothesis_settings.register_profile("knowpay", deadline=None)
hypothesis_settings.load_profile("knowpay")

REPO = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SANDBOX_URL = "http://127.0.0.1:8080"
POSTGRES_URL = os.environ.get("KNOWPAY_TEST_POSTGRES_URL")
NO_POSTGRES = "PostgreSQL tests skipped: set KNOWPAY_TEST_POSTGRES_URL (.ci/run does)"


def make_settings(**sections: Any) -> Settings:
    return settings_from_dict({"community": {"name": "Test club"}, **sections}, source="test.toml")


@pytest.fixture(scope="session")
def browser() -> Iterator[webdriver.Chrome]:
    """One headless Chromium for every page test (starting one takes a while)."""
    with chromium_browser() as chrome:
        yield chrome


@pytest.fixture
def settings() -> Settings:
    return make_settings()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@dataclass
class Database:
    url: str
    search_path: str | None = None

    def engine(self) -> AsyncEngine:
        return make_engine(self.url, search_path=self.search_path)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty database: a SQLite file, or a fresh schema on the CI PostgreSQL."""
    if request.param == "sqlite":
        yield Database(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
        return
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    _run_postgres(f'CREATE SCHEMA "{schema}"')
    try:
        yield Database(POSTGRES_URL, search_path=schema)
    finally:
        _run_postgres(f'DROP SCHEMA "{schema}" CASCADE')


def _run_postgres(statement: str) -> None:
    async def run() -> None:
        engine = make_engine(POSTGRES_URL or "")
        async with engine.begin() as connection:
            await connection.execute(text(statement))
        await engine.dispose()

    asyncio.run(run())


@pytest.fixture
async def engine(database: Database) -> AsyncIterator[AsyncEngine]:
    """A migrated database, on every backend."""
    engine = database.engine()
    await upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
async def memory_engine() -> AsyncIterator[AsyncEngine]:
    engine = make_engine("sqlite+aiosqlite://")
    await upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def db(engine: AsyncEngine) -> UnitOfWorkFactory:
    """Units of work on SQLite and on PostgreSQL (when CI provides it)."""
    return UnitOfWorkFactory(make_sessionmaker(engine))


async def a_member(db: UnitOfWorkFactory, name: str = "alice") -> int:
    """The member behind console account `name`, created on first use."""
    async with db() as uow:
        if existing := await uow.members.identity("console", name):
            return existing.member_id
        identity = await uow.members.create_with_identity(
            platform="console",
            platform_user_id=name,
            display_name=name,
            username=name,
            level=0,
            now=NOW,
        )
        assert identity is not None
        return identity.member_id


@pytest.fixture
def uow(memory_engine: AsyncEngine) -> UnitOfWorkFactory:
    return UnitOfWorkFactory(make_sessionmaker(memory_engine))


def wire(
    uow: UnitOfWorkFactory,
    clock: Clock,
    settings: Settings,
    *,
    providers: Mapping[str, PaymentProvider] | None = None,
) -> Services:
    """The cogs' services as `knowpay run` wires them: the real purposes and an interaction
    recorder on the same database, paid on the sandbox provider unless `providers` are named.
    Tests that read interactions flush `services.interactions` first."""
    return build_services(
        settings=settings,
        clock=clock,
        providers=providers or {"sandbox": SandboxProvider(SANDBOX_URL)},
        interactions=InteractionRecorder(uow.engine, settings.community.tzinfo),
    )


def dispatcher_for(
    uow: UnitOfWorkFactory, clock: Clock, settings: Settings, services: Services | None = None
) -> Dispatcher:
    """A dispatcher over every cog, wired as the app wires it."""
    registry = build_registry(services or wire(uow, clock, settings))
    return Dispatcher(registry=registry, uow=uow, clock=clock, settings=settings)


@pytest.fixture
def dispatcher(uow: UnitOfWorkFactory, clock: FakeClock, settings: Settings) -> Dispatcher:
    return dispatcher_for(uow, clock, settings)


def actor(
    name: str = "alice",
    platform: Platform = Platform.CONSOLE,
    *,
    user_id: str | None = None,
    level: Level | None = None,
    locale: str | None = None,
) -> Actor:
    return Actor(
        platform=platform,
        user_id=user_id or name.lower(),
        display_name=name,
        username=name,
        locale_hint=locale,
        level=level,
    )


async def send(dispatcher: Dispatcher, who: Actor, line: str) -> list[Effect]:
    """Run one typed line through the dispatcher, as a text platform would."""
    name, arguments = split_command(line) or ("", "")
    place = Place(platform=who.platform, chat_id=who.user_id)
    return await dispatcher.handle(CommandEvent(who, place, name, arguments))


async def say(dispatcher: Dispatcher, who: Actor, line: str) -> str:
    """The text of the single reply to `line`."""
    effects = await send(dispatcher, who, line)
    assert len(effects) == 1, effects
    return effects[0].text

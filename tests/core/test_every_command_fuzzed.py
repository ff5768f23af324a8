"""Every registered command, fed random argument lines: each line either runs or is answered
(refused naming an option, with the usage, or asked about), never with a traceback; and a line
the parser refuses changes nothing in the database."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.core.clock import FakeClock
from bot.core.dispatcher import Dispatcher
from bot.core.effects import Ask, Effect, Reply
from bot.core.events import CommandEvent, Place, Platform
from bot.core.permissions import Level
from storage.engine import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.models import (
    Drop,
    LedgerEntry,
    Membership,
    OutboxItem,
    Payment,
    Question,
)
from storage.uow import UnitOfWorkFactory
from tests.conftest import actor, dispatcher_for, make_settings

FAILED = "Something went wrong on our side"
SETTINGS = make_settings(
    tiers={
        "member": {"name": "Member", "price": "9.00", "interval": "month", "discord_role_ids": [1]}
    },
    qa={"min_price": "5.00"},
)
# What a refusal changes nothing in (a member's own identity bookkeeping aside).
KEPT = (Membership, Payment, LedgerEntry, OutboxItem, Drop, Question)
OWNER = actor("owner", level=Level.OWNER)


@dataclass
class World:
    runner: asyncio.Runner
    dispatcher: Dispatcher
    uow: UnitOfWorkFactory
    paths: list[str]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One database and dispatcher for every example (a fresh one each would take minutes)."""
    runner = asyncio.Runner()
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('fuzz') / 'f.db'}")
    runner.run(upgrade(engine))
    uow = UnitOfWorkFactory(make_sessionmaker(engine))
    dispatcher = dispatcher_for(uow, FakeClock(), SETTINGS)
    paths = [
        f"{spec.name} {sub.name}" if sub else spec.name
        for spec in dispatcher.registry
        for sub in (spec.subcommands or (None,))
    ]
    try:
        yield World(runner, dispatcher, uow, paths)
    finally:
        runner.run(engine.dispose())
        runner.close()


async def _counts(uow: UnitOfWorkFactory) -> dict[str, int]:
    async with uow() as unit:
        return {
            model.__name__: await unit.session.scalar(select(func.count()).select_from(model)) or 0
            for model in KEPT
        }


WORDS = st.sampled_from(
    ["@owner", "#1", "#999", "D1", "12", "-5", "0", "30d", "lifetime", "member", "gold",
     "paid:", "paid:300", "paid:abc", "ref:TX", "price:5", "price:-1", "at:now", 'at:"fri 20:00"',
     "reason:because", "id:3", '"', "“quoted text”", "\n", "new", "all", "mine", "on", "D0",
     "25usd", "¥25", "🙂", "x" * 50]
)  # fmt: skip
LINES = st.lists(st.one_of(WORDS, st.text(max_size=12)), max_size=6).map(" ".join)


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_every_command_either_runs_or_answers_never_a_traceback(
    world: World, data: st.DataObject
) -> None:
    path = data.draw(st.sampled_from(world.paths), label="command")
    line = data.draw(LINES, label="arguments")
    name, _, sub = path.partition(" ")
    event = CommandEvent(
        OWNER, Place(Platform.CONSOLE, "owner"), name, arguments=f"{sub} {line}".strip()
    )
    before = world.runner.run(_counts(world.uow))
    effects: list[Effect] = world.runner.run(world.dispatcher.handle(event))
    assert effects, path
    replies = [e for e in effects if isinstance(e, Reply)]
    assert not any(FAILED in r.text for r in replies), (path, line, replies)
    refused = any("Usage: /" in r.text for r in replies) or any(isinstance(e, Ask) for e in effects)
    if refused:
        assert world.runner.run(_counts(world.uow)) == before, (path, line)
        target = world.dispatcher.target(event)
        assert target is not None
        usage = f"Usage: {target.spec.usage(path)}"
        for reply in replies:  # what is wrong, then how the command is written
            assert reply.text.endswith(usage), (path, line, reply.text)
            wrong = reply.text.splitlines()[0]
            options = [p.name for p in target.spec.params]
            assert (
                any(wrong.startswith(f"{name}: ") for name in options)
                or wrong.startswith(
                    ("Too many arguments", "A quote is not closed", "Write ", "Missing <")
                )
                or " is given twice." in wrong
            ), (path, line, wrong)


def test_the_fuzzed_commands_cover_every_command(world: World) -> None:
    assert "grant" in world.paths
    assert "drop new" in world.paths
    assert len(world.paths) >= 30

"""The interaction recorder and the daily rollup, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.engine import make_sessionmaker
from storage.interaction_recorder import InteractionRecorder, NewInteraction
from storage.models import Interaction, InteractionDay
from storage.uow import UnitOfWorkFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 23:30 UTC on Monday is already Tuesday in Shanghai.
LATE_MONDAY = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)


def _reaction(member: int, *, delta: int = 1, at: datetime = LATE_MONDAY) -> NewInteraction:
    return NewInteraction(7, member, "reaction", "discord", at, delta)


async def _days(uow: UnitOfWorkFactory) -> dict[tuple[date, int, str], int]:
    async with uow() as unit:
        rows = await unit.session.scalars(select(InteractionDay))
        return {(r.day, r.member_id, r.kind): r.count for r in rows}


async def test_batches_are_written_and_rolled_up_by_local_day(engine: AsyncEngine) -> None:
    uow = UnitOfWorkFactory(make_sessionmaker(engine))
    recorder = InteractionRecorder(engine, SHANGHAI, batch=2)
    for item in (_reaction(1), _reaction(2), _reaction(2, delta=-1), _reaction(3)):
        await recorder.record(item)
    assert await recorder.flush() == 4
    async with uow() as unit:
        assert await unit.contents.roll_up() == 4
        assert await unit.contents.roll_up() == 0  # nothing new
    tuesday = date(2026, 11, 24)
    assert await _days(uow) == {
        (tuesday, 1, "reaction"): 1,
        (tuesday, 2, "reaction"): 0,  # added, then taken back
        (tuesday, 3, "reaction"): 1,
    }
    await recorder.record(_reaction(1))
    await recorder.flush()
    async with uow() as unit:
        assert await unit.contents.roll_up() == 1
    assert (await _days(uow))[(tuesday, 1, "reaction")] == 2
    async with uow() as unit:
        [at] = (await unit.session.scalars(select(Interaction.at).limit(1))).all()
        assert at == LATE_MONDAY


async def test_pruning_keeps_what_is_not_rolled_up_yet(engine: AsyncEngine) -> None:
    uow = UnitOfWorkFactory(make_sessionmaker(engine))
    recorder = InteractionRecorder(engine, UTC)
    old = LATE_MONDAY - timedelta(days=500)
    await recorder.record(_reaction(1, at=old))
    await recorder.flush()
    async with uow() as unit:
        await unit.contents.roll_up()
    await recorder.record(_reaction(2, at=old))
    await recorder.flush()
    async with uow() as unit:
        assert await unit.contents.prune(LATE_MONDAY - timedelta(days=400)) == 1
        remaining = await unit.session.scalar(select(func.count()).select_from(Interaction))
        assert remaining == 1
    assert len(await _days(uow)) == 1  # the rollup keeps the pruned day


async def test_a_full_queue_makes_callers_wait_and_the_runner_drains_it(
    engine: AsyncEngine,
) -> None:
    recorder = InteractionRecorder(engine, UTC, batch=10, flush_seconds=0.01, capacity=3)
    for member in range(3):
        await recorder.record(_reaction(member))
    blocked = asyncio.create_task(recorder.record(_reaction(99)))
    for _ in range(3):
        await asyncio.sleep(0)  # let it run as far as it can
    assert not blocked.done()  # backpressure: not dropped, waiting
    stop = asyncio.Event()
    running = asyncio.create_task(recorder.run(stop))
    await asyncio.wait_for(blocked, timeout=5)
    stop.set()
    await asyncio.wait_for(running, timeout=5)
    assert recorder.written == 4
    assert recorder.queued == 0


async def test_every_instant_gets_its_own_local_day_across_clock_changes(
    memory_engine: AsyncEngine,
) -> None:
    """Rows of one UTC hour share their formatting; hours in which local midnight or a clock
    change falls must still give each instant its own day."""
    zones = ("Europe/Berlin", "America/Havana", "Asia/Kathmandu", "Australia/Lord_Howe")
    start = datetime(2026, 3, 7, tzinfo=UTC)
    instants = [start + timedelta(minutes=17 * n, seconds=n % 60) for n in range(5_000)]
    instants += [datetime(2026, 11, 1, 4, 0, 0, 999_999, tzinfo=UTC), LATE_MONDAY]
    for name in zones:
        zone = ZoneInfo(name)
        recorder = InteractionRecorder(memory_engine, zone)
        for at in instants:
            await recorder.record(_reaction(1, at=at))
        await recorder.flush()
        async with memory_engine.begin() as connection:
            stored = (
                await connection.exec_driver_sql("SELECT at, day FROM interactions ORDER BY id")
            ).all()
            await connection.exec_driver_sql("DELETE FROM interactions")
        expected = [
            (f"{at:%Y-%m-%d %H:%M:%S.%f}", at.astimezone(zone).date().isoformat())
            for at in instants
        ]
        assert [tuple(row) for row in stored] == expected, name

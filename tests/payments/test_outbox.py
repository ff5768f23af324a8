"""The outbox worker: delivery after commit, retries with backoff, dead letters, restarts."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

from bot.core.clock import FakeClock
from bot.core.effects import DurableEffect, GrantDiscordRole, NotifyMember, PostToChat
from payments.outbox import OutboxSettings, OutboxWorker, PermanentFailure, queue, retry_dead
from storage.models import PlatformIdentity
from storage.uow import UnitOfWorkFactory
from tests.payments.conftest import a_member

FAST = OutboxSettings(max_attempts=3, first_retry=timedelta(seconds=10))


@dataclass
class FlakyPlatform:
    """An adapter's deliverer that fails as told, and records what it delivered."""

    platform: str
    failures: list[Exception] = field(default_factory=list)
    delivered: list[tuple[DurableEffect, str | None]] = field(default_factory=list)
    hang: asyncio.Event | None = None
    entered: asyncio.Event = field(default_factory=asyncio.Event)

    async def deliver(self, effect: DurableEffect, account: PlatformIdentity | None) -> None:
        self.entered.set()
        if self.hang is not None:
            await self.hang.wait()
        if self.failures:
            raise self.failures.pop(0)
        self.delivered.append((effect, account.platform_user_id if account else None))


async def _queue(db: UnitOfWorkFactory, clock: FakeClock, *effects: DurableEffect) -> None:
    async with db() as uow:
        for n, effect in enumerate(effects):
            await queue(uow, effect, key=f"k{n}", now=clock.now())


async def _link(db: UnitOfWorkFactory, member_id: int, platform: str, user_id: str) -> None:
    async with db() as uow:
        member = await uow.members.get(member_id)
        assert member is not None
        uow.session.add(
            PlatformIdentity(
                member_id=member_id,
                platform=platform,
                platform_user_id=user_id,
                display_name="x",
                level=0,
                created_at=member.created_at,
                last_seen_at=member.created_at,
            )
        )


async def test_items_are_delivered_once_and_marked_done(
    db: UnitOfWorkFactory, payments_clock: FakeClock
) -> None:
    member = await a_member(db)
    console = FlakyPlatform("console")
    board = FlakyPlatform("discord")
    await _queue(
        db, payments_clock, NotifyMember(member, "hi"), PostToChat("discord", "55", "news")
    )
    async with db() as uow:  # the same key again is a no-op
        assert not await queue(uow, NotifyMember(member, "hi"), key="k0", now=payments_clock.now())
    worker = OutboxWorker(db, {"console": console, "discord": board}, payments_clock, FAST)
    assert await worker.run_once() == 2
    assert await worker.run_once() == 0
    assert console.delivered == [(NotifyMember(member, "hi"), "alice")]
    assert board.delivered == [(PostToChat("discord", "55", "news"), None)]
    async with db() as uow:
        assert await uow.outbox.counts() == {"done": 2}


async def test_failures_are_retried_after_a_growing_backoff(
    db: UnitOfWorkFactory, payments_clock: FakeClock
) -> None:
    member = await a_member(db)
    console = FlakyPlatform("console", failures=[ConnectionError("down"), TimeoutError("slow")])
    await _queue(db, payments_clock, NotifyMember(member, "hi"))
    worker = OutboxWorker(db, {"console": console}, payments_clock, FAST)
    assert await worker.run_once() == 1  # fails
    assert await worker.run_once() == 0  # not due yet
    payments_clock.advance(timedelta(seconds=10))
    assert await worker.run_once() == 1  # fails again, now waits up to 20 s
    payments_clock.advance(timedelta(seconds=10))
    assert await worker.run_once() == 0
    payments_clock.advance(timedelta(seconds=10))
    assert await worker.run_once() == 1
    assert len(console.delivered) == 1
    async with db() as uow:
        [item] = await uow.outbox.due(payments_clock.now() + timedelta(days=1), 10) or [None]
        assert item is None
        assert await uow.outbox.counts() == {"done": 1}


async def test_after_max_attempts_an_item_is_dead_until_a_moderator_retries_it(
    db: UnitOfWorkFactory, payments_clock: FakeClock
) -> None:
    member = await a_member(db)
    console = FlakyPlatform("console", failures=[OSError("x")] * 3)
    await _queue(db, payments_clock, NotifyMember(member, "hi"))
    worker = OutboxWorker(db, {"console": console}, payments_clock, FAST)
    for _ in range(3):
        await worker.run_once()
        payments_clock.advance(timedelta(minutes=5))
    async with db() as uow:
        assert await uow.outbox.counts() == {"dead": 1}
        [dead] = await uow.outbox.dead()
        assert dead.attempts == 3
        assert dead.last_error == "OSError: x"
        assert await retry_dead(uow, dead.id, payments_clock.now()) is not None
    assert await worker.run_once() == 1
    assert len(console.delivered) == 1


async def test_a_permanent_failure_is_dead_at_once(
    db: UnitOfWorkFactory, payments_clock: FakeClock
) -> None:
    member = await a_member(db)
    console = FlakyPlatform("console", failures=[PermanentFailure("blocked the bot")])
    await _queue(db, payments_clock, NotifyMember(member, "hi"))
    await OutboxWorker(db, {"console": console}, payments_clock, FAST).run_once()
    async with db() as uow:
        [dead] = await uow.outbox.dead()
        assert dead.last_error is not None
        assert "blocked the bot" in dead.last_error


async def test_a_dm_falls_back_to_the_next_platform(
    db: UnitOfWorkFactory, payments_clock: FakeClock
) -> None:
    member = await a_member(db)
    await _link(db, member, "discord", "80")
    await _link(db, member, "telegram", "90")
    discord = FlakyPlatform("discord", failures=[PermanentFailure("DMs closed")])
    telegram = FlakyPlatform("telegram")
    await _queue(db, payments_clock, NotifyMember(member, "receipt"))
    await OutboxWorker(
        db, {"discord": discord, "telegram": telegram}, payments_clock, FAST
    ).run_once()
    assert telegram.delivered == [(NotifyMember(member, "receipt"), "90")]


async def test_effects_for_platforms_the_member_is_not_on_are_done_with_a_note(
    db: UnitOfWorkFactory, payments_clock: FakeClock
) -> None:
    member = await a_member(db)
    await _queue(db, payments_clock, GrantDiscordRole(member, 444, "paid"))
    await OutboxWorker(db, {"discord": FlakyPlatform("discord")}, payments_clock, FAST).run_once()
    async with db() as uow:
        item = await uow.outbox.get(1)
        assert item is not None
        assert (item.status, item.last_error) == ("done", "skipped: no discord account or adapter")


async def test_a_worker_that_dies_mid_delivery_leaves_the_item_to_the_next_one(
    db: UnitOfWorkFactory, payments_clock: FakeClock
) -> None:
    member = await a_member(db)
    await _queue(db, payments_clock, NotifyMember(member, "hi"))
    stuck = FlakyPlatform("console", hang=asyncio.Event())
    first = asyncio.create_task(
        OutboxWorker(db, {"console": stuck}, payments_clock, FAST).run_once()
    )
    await asyncio.wait_for(stuck.entered.wait(), timeout=5)  # claimed, the platform call is out
    first.cancel()  # the process dies while the platform call is in flight
    fresh = FlakyPlatform("console")
    second = OutboxWorker(db, {"console": fresh}, payments_clock, FAST)
    assert await second.run_once() == 0  # leased: not before its backoff
    payments_clock.advance(timedelta(seconds=10))
    assert await second.run_once() == 1
    assert fresh.delivered == [(NotifyMember(member, "hi"), "alice")]
    assert stuck.delivered == []
    async with db() as uow:
        assert await uow.outbox.counts() == {"done": 1}

"""The outbox worker: delivery after commit, retries with backoff, dead letters, restarts."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.core.clock import FakeClock
from bot.core.delivery import OutboxSettings, OutboxWorker
from bot.core.effects import (
    Button,
    DurableEffect,
    EditMessage,
    GrantDiscordRole,
    NotifyMember,
    Posted,
    PostToChat,
)
from bot.core.events import Place, Platform
from bot.core.outbox import PermanentFailure, Recipient, decode, encode, queue, retry_dead
from storage.models import Content, ContentMessage, PlatformIdentity
from storage.uow import UnitOfWorkFactory
from tests.conftest import NOW, a_member

FAST = OutboxSettings(
    max_attempts=3, first_retry=timedelta(seconds=10), lease=timedelta(seconds=10)
)


@dataclass
class FlakyPlatform:
    """An adapter's deliverer that fails as told, and records what it delivered."""

    platform: str
    failures: list[Exception] = field(default_factory=list)
    delivered: list[tuple[DurableEffect, str | None]] = field(default_factory=list)
    hang: asyncio.Event | None = None
    entered: asyncio.Event = field(default_factory=asyncio.Event)
    posted: Posted | None = None  # what it says it posted, every time

    async def deliver(self, effect: DurableEffect, recipient: Recipient | None) -> Posted | None:
        self.entered.set()
        if self.hang is not None:
            await self.hang.wait()
        if self.failures:
            raise self.failures.pop(0)
        self.delivered.append((effect, recipient.user_id if recipient else None))
        return self.posted


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
    db: UnitOfWorkFactory, clock: FakeClock
) -> None:
    member = await a_member(db)
    console = FlakyPlatform("console")
    board = FlakyPlatform("discord")
    await _queue(db, clock, NotifyMember(member, "hi"), PostToChat("discord", "55", "news"))
    async with db() as uow:  # the same key again is a no-op
        assert not await queue(uow, NotifyMember(member, "hi"), key="k0", now=clock.now())
    worker = OutboxWorker(db, {"console": console, "discord": board}, clock, FAST)
    assert await worker.run_once() == 2
    assert await worker.run_once() == 0
    assert console.delivered == [(NotifyMember(member, "hi"), "alice")]
    assert board.delivered == [(PostToChat("discord", "55", "news"), None)]
    async with db() as uow:
        assert await uow.outbox.counts() == {"done": 2}


async def test_failures_are_retried_after_a_growing_backoff(
    db: UnitOfWorkFactory, clock: FakeClock
) -> None:
    member = await a_member(db)
    console = FlakyPlatform("console", failures=[ConnectionError("down"), TimeoutError("slow")])
    await _queue(db, clock, NotifyMember(member, "hi"))
    worker = OutboxWorker(db, {"console": console}, clock, FAST)
    assert await worker.run_once() == 1  # fails
    assert await worker.run_once() == 0  # not due yet
    clock.advance(timedelta(seconds=10))
    assert await worker.run_once() == 1  # fails again, now waits up to 20 s
    clock.advance(timedelta(seconds=10))
    assert await worker.run_once() == 0
    clock.advance(timedelta(seconds=10))
    assert await worker.run_once() == 1
    assert len(console.delivered) == 1
    async with db() as uow:
        [item] = await uow.outbox.due(clock.now() + timedelta(days=1), 10) or [None]
        assert item is None
        assert await uow.outbox.counts() == {"done": 1}


async def test_after_max_attempts_an_item_is_dead_until_a_moderator_retries_it(
    db: UnitOfWorkFactory, clock: FakeClock
) -> None:
    member = await a_member(db)
    console = FlakyPlatform("console", failures=[OSError("x")] * 3)
    await _queue(db, clock, NotifyMember(member, "hi"))
    worker = OutboxWorker(db, {"console": console}, clock, FAST)
    for _ in range(3):
        await worker.run_once()
        clock.advance(timedelta(minutes=5))
    async with db() as uow:
        assert await uow.outbox.counts() == {"dead": 1}
        [dead] = await uow.outbox.dead()
        assert dead.attempts == 3
        assert dead.last_error == "OSError: x"
        assert await retry_dead(uow, dead.id, clock.now()) is not None
    assert await worker.run_once() == 1
    assert len(console.delivered) == 1


async def test_a_permanent_failure_is_dead_at_once(db: UnitOfWorkFactory, clock: FakeClock) -> None:
    member = await a_member(db)
    console = FlakyPlatform("console", failures=[PermanentFailure("blocked the bot")])
    await _queue(db, clock, NotifyMember(member, "hi"))
    await OutboxWorker(db, {"console": console}, clock, FAST).run_once()
    async with db() as uow:
        [dead] = await uow.outbox.dead()
        assert dead.last_error is not None
        assert "blocked the bot" in dead.last_error


async def test_a_dm_falls_back_to_the_next_platform(
    db: UnitOfWorkFactory, clock: FakeClock
) -> None:
    member = await a_member(db)
    await _link(db, member, "discord", "80")
    await _link(db, member, "telegram", "90")
    discord = FlakyPlatform("discord", failures=[PermanentFailure("DMs closed")])
    telegram = FlakyPlatform("telegram")
    await _queue(db, clock, NotifyMember(member, "receipt"))
    await OutboxWorker(db, {"discord": discord, "telegram": telegram}, clock, FAST).run_once()
    assert telegram.delivered == [(NotifyMember(member, "receipt"), "90")]


async def test_effects_for_platforms_the_member_is_not_on_are_done_with_a_note(
    db: UnitOfWorkFactory, clock: FakeClock
) -> None:
    member = await a_member(db)
    await _queue(db, clock, GrantDiscordRole(member, 444, "paid"))
    await OutboxWorker(db, {"discord": FlakyPlatform("discord")}, clock, FAST).run_once()
    async with db() as uow:
        item = await uow.outbox.get(1)
        assert item is not None
        assert (item.status, item.last_error) == ("done", "skipped: no discord account or adapter")


async def test_a_worker_that_dies_mid_delivery_leaves_the_item_to_the_next_one(
    db: UnitOfWorkFactory, clock: FakeClock
) -> None:
    member = await a_member(db)
    await _queue(db, clock, NotifyMember(member, "hi"))
    stuck = FlakyPlatform("console", hang=asyncio.Event())
    first = asyncio.create_task(OutboxWorker(db, {"console": stuck}, clock, FAST).run_once())
    await asyncio.wait_for(stuck.entered.wait(), timeout=5)  # claimed, the platform call is out
    first.cancel()  # the process dies while the platform call is in flight
    fresh = FlakyPlatform("console")
    second = OutboxWorker(db, {"console": fresh}, clock, FAST)
    assert await second.run_once() == 0  # leased: not before its lease ends
    clock.advance(timedelta(seconds=10))
    assert await second.run_once() == 1
    assert fresh.delivered == [(NotifyMember(member, "hi"), "alice")]
    assert stuck.delivered == []
    async with db() as uow:
        assert await uow.outbox.counts() == {"done": 1}


async def test_a_second_instance_leaves_a_slow_batch_to_the_worker_delivering_it(
    db: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """A batch that takes longer than the first retry (a rate-limited fan-out) stays with the
    worker that claimed it: another instance finds nothing to do until the lease ends."""
    member = await a_member(db)
    await _queue(db, clock, NotifyMember(member, "hi"))
    settings = OutboxSettings(first_retry=timedelta(seconds=5), lease=timedelta(minutes=2))
    slow = FlakyPlatform("console", hang=asyncio.Event())
    first = asyncio.create_task(OutboxWorker(db, {"console": slow}, clock, settings).run_once())
    await asyncio.wait_for(slow.entered.wait(), timeout=5)
    clock.advance(timedelta(seconds=30))  # well past the first retry
    other = FlakyPlatform("console")
    assert await OutboxWorker(db, {"console": other}, clock, settings).run_once() == 0
    assert slow.hang is not None
    slow.hang.set()
    assert await first == 1
    assert other.delivered == []
    assert [effect for effect, _ in slow.delivered] == [NotifyMember(member, "hi")]


def test_posts_queued_before_threads_existed_still_decode() -> None:
    old = {"platform": "discord", "chat_id": "55", "text": "news", "buttons": []}
    assert decode("PostToChat", old) == PostToChat("discord", "55", "news")
    post = PostToChat(
        "telegram", "-100", "Why?", (Button("Pay", url="https://x"),), "Why?", "question:1"
    )
    assert decode(*encode(post)) == post


async def test_an_edit_goes_to_the_platform_of_its_message(
    db: UnitOfWorkFactory, clock: FakeClock
) -> None:
    edit = EditMessage("telegram", "-100", "7", "Fixed", (Button("Unlock", command="/unlock 3"),))
    assert decode(*encode(edit)) == edit
    await _queue(db, clock, edit, EditMessage("console", "ada", "m1", "Fixed"))
    discord, telegram = FlakyPlatform("discord"), FlakyPlatform("telegram")
    worker = OutboxWorker(db, {"discord": discord, "telegram": telegram}, clock, FAST)
    assert await worker.run_once() == 2
    assert telegram.delivered == [(edit, None)]
    assert discord.delivered == []
    async with db() as uow:
        assert await uow.outbox.counts() == {"done": 2}
        console = await uow.outbox.get(2)
        assert console is not None
        assert console.last_error == "skipped: console is not connected"


def test_an_edit_needs_text() -> None:
    with pytest.raises(ValueError, match="DeleteMessage"):
        EditMessage("discord", "55", "900", " \n")


QUESTION = PostToChat("discord", "55", "Why?", thread_title="Why?", content_ref="question:7")
IN_THREAD = Posted(
    messages=(("55", "900"), ("900", "901")),
    thread=Place(Platform.DISCORD, "900", is_private=False),
)


async def _question(db: UnitOfWorkFactory) -> int:
    async with db() as uow:
        content = await uow.contents.add(
            Content(kind="question", ref="question:7", title="Why?", created_at=NOW)
        )
        return content.id


async def _shown(db: UnitOfWorkFactory) -> list[tuple[int, str, str, str, str]]:
    async with db() as uow:
        rows = await uow.session.scalars(select(ContentMessage).order_by(ContentMessage.id))
        return [(r.content_id, r.platform, r.chat_id, r.message_id, r.role) for r in rows]


async def test_a_post_maps_its_messages_and_its_thread_to_its_content_once(
    db: UnitOfWorkFactory, clock: FakeClock
) -> None:
    question = await _question(db)
    await _queue(db, clock, QUESTION)
    # Two workers deliver it (the first stalls past its lease) and the platform recognises
    # the repeat: the second finishes the item, the first still maps what it was told.
    stalled = asyncio.Event()
    stuck = FlakyPlatform("discord", hang=stalled, posted=IN_THREAD)
    first = asyncio.create_task(OutboxWorker(db, {"discord": stuck}, clock, FAST).run_once())
    await asyncio.wait_for(stuck.entered.wait(), timeout=5)
    clock.advance(timedelta(seconds=10))
    fresh = FlakyPlatform("discord", posted=IN_THREAD)
    assert await OutboxWorker(db, {"discord": fresh}, clock, FAST).run_once() == 1
    stalled.set()
    assert await asyncio.wait_for(first, timeout=5) == 1
    assert await _shown(db) == [
        (question, "discord", "55", "900", "copy"),
        (question, "discord", "900", "901", "copy"),
        (question, "discord", "900", "900", "thread"),
    ]
    async with db() as uow:
        assert await uow.outbox.counts() == {"done": 1}


async def test_a_post_of_an_unknown_content_is_delivered_and_maps_nothing(
    db: UnitOfWorkFactory, clock: FakeClock
) -> None:
    await _queue(db, clock, QUESTION)
    board = FlakyPlatform("discord", posted=IN_THREAD)
    assert await OutboxWorker(db, {"discord": board}, clock, FAST).run_once() == 1
    assert board.delivered == [(QUESTION, None)]
    assert await _shown(db) == []
    async with db() as uow:
        assert await uow.outbox.counts() == {"done": 1}


async def test_a_batch_reaches_each_member_and_one_folded_by_link_through_its_survivor(
    db: UnitOfWorkFactory, clock: FakeClock
) -> None:
    alice, bob, carol = [await a_member(db, name) for name in ("alice", "bob", "carol")]
    async with db() as uow:  # carol linked her account into bob: bob's accounts hold it now
        source, target = await uow.members.get(carol), await uow.members.get(bob)
        assert source is not None
        assert target is not None
        await uow.members.move_identities(source, target)
    await _link(db, alice, "discord", "81")
    await _queue(
        db,
        clock,
        NotifyMember(alice, "a"),
        NotifyMember(carol, "c"),
        GrantDiscordRole(bob, 444, "paid"),
        NotifyMember(bob, "b"),
    )
    console, discord = FlakyPlatform("console"), FlakyPlatform("discord")
    worker = OutboxWorker(db, {"console": console, "discord": discord}, clock, FAST)
    assert await worker.run_once() == 4
    assert discord.delivered == [(NotifyMember(alice, "a"), "81")]
    assert console.delivered == [
        (NotifyMember(carol, "c"), "bob"),  # carol's account now goes by bob's most recent
        (NotifyMember(bob, "b"), "bob"),
    ]
    async with db() as uow:
        assert await uow.outbox.counts() == {"done": 4}
        item = await uow.outbox.get(3)
        assert item is not None
        assert item.last_error == "skipped: no discord account or adapter"

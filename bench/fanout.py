"""Fan out one drop to N opted-in members through the outbox, over the fake Discord.

The database (a fresh SQLite file, migrated) holds N members, each with a Discord account, an
active "member" membership and DMs for new drops switched on (`/notify on`), written in bulk.
One drop for that tier is published with the real `cogs.drops.service.publish`, which queues a
NotifyMember per reader (plus the full copy and the public teaser) through the outbox. Then the
real `OutboxWorker`, with the real `DiscordDeliverer` on a running `DiscordAdapter` (discord.py
2.7, REST and gateway) connected to the fake Discord over loopback, delivers everything. A DM is
two REST calls: open the DM channel, then send the message.

Baseline, in the same run and process: the same number of DMs sent straight through
`DiscordGateway.send_dm` to as many other users, one after another, with no database and no
outbox, on a second (REST-only) discord.py client. Its rate is the most the outbox could reach
here: outbox / baseline is the ratio. A client of its own, because discord.py keeps a rate-limit
bucket per DM channel and, for each new one, scans every bucket used in the last 5 minutes:
sharing a client would make whichever runs second pay for the first one's 10,000 channels.

Where the outbox's time goes: the worker runs one item at a time, so its wall time splits into
parts that do not overlap, measured with timing wrappers (no profiler, so nothing is slowed):
- database: time inside the worker's units of work (claim, the member's accounts, finish), a
  wrapper around the `UnitOfWorkFactory` it is given; it also counts the transactions;
- Discord: time inside `DiscordDeliverer.deliver` (discord.py, aiohttp both ways, the fake's
  handlers, rate-limit waits), a wrapper around the deliverer; split further into
  - rate-limit waits: the sum of the `retry_after` the fake answered with 429; discord.py
    sleeps exactly that before retrying,
  - the fake's own handlers, timed around its request handling (in production: Discord);
- the rest: the worker's Python between those (decoding payloads, backoff, bookkeeping).
"Our code" is database + the rest; gateway frames (each DM comes back as MESSAGE_CREATE) are
handled on the same event loop and land wherever they interleave.

With `--rate-limit 50` (the default) a second, smaller run gives the fake Discord's global
limit of 50 requests a second: a 51st request within a one-second window gets a global 429
(with `Via`, `Retry-After`, `X-RateLimit-Global`), and discord.py waits it out and retries.
The baseline runs under the same limit.

Checks (exit 1 otherwise): every outbox item is done, every member got exactly one DM and
no-one else got one, and the drop was posted once in full and once as a teaser.

    .venv/bin/python bench/fanout.py                      # 1,000 members, then 250 limited
    .venv/bin/python bench/fanout.py --members 10000 --limited-members 1000
    .venv/bin/python bench/fanout.py --limited-members 0  # no rate-limited run
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.adapters.discord.access import discord_access
from bot.adapters.discord.adapter import DiscordAdapter
from bot.adapters.discord.delivery import DiscordDeliverer
from bot.adapters.discord.gateway import DiscordGateway
from bot.config import Settings
from bot.core.clock import SystemClock
from bot.core.delivery import OutboxWorker
from bot.core.dispatcher import Dispatcher
from bot.core.effects import DurableEffect, Posted
from bot.core.outbox import Recipient
from cogs import build_registry
from cogs.drops.service import Draft, create, publish
from storage.engine import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.models import DropNotice, Member, Membership, PlatformIdentity
from storage.uow import UnitOfWork, UnitOfWorkFactory
from tests.conftest import make_settings, wire
from tests.fakes.discord import FakeDiscord, RecordedCall
from tests.fakes.discord.wire import rate_limited

FIRST_USER_ID = 300_000_000_000_000_000  # the members' Discord ids
FIRST_OTHER_ID = 400_000_000_000_000_000  # the baseline's recipients, not members
BATCH = 5_000  # rows per INSERT ... executemany while filling the database
BODY = (
    "Structured concurrency with TaskGroup, cancellation scopes and timeouts, and why a "
    "fire-and-forget task is a bug waiting to happen.\n\n```python\nasync with "
    "asyncio.TaskGroup() as tg:\n    tg.create_task(fetch(a))\n    tg.create_task(fetch(b))\n"
    "```\n\nThen: back-pressure with bounded queues, and testing all of it without sleeps."
)


class Fake(FakeDiscord):
    """The fake Discord, optionally with Discord's global limit, timing its own handlers."""

    def __init__(self, per_second: int | None) -> None:
        super().__init__()
        self.per_second = per_second
        self.handler_seconds = 0.0
        self.limited = 0  # 429s answered
        self.waited = 0.0  # the sum of their retry_after
        self._window_ends = 0.0
        self._used = 0

    async def _answer(self, call: RecordedCall) -> tuple[int, Any, dict[str, str]]:
        started = time.perf_counter()
        try:
            if self.per_second is not None:
                if started >= self._window_ends:
                    self._window_ends, self._used = started + 1.0, 0
                if self._used >= self.per_second:
                    retry_after = max(self._window_ends - started, 0.001)
                    self.limited += 1
                    self.waited += retry_after
                    return 429, *_global_limit(retry_after)
                self._used += 1
            return await super()._answer(call)
        finally:
            self.handler_seconds += time.perf_counter() - started


def _global_limit(retry_after: float) -> tuple[Any, dict[str, str]]:
    body, headers = rate_limited("global", retry_after)
    body["global"] = True
    headers.update({"X-RateLimit-Global": "true", "X-RateLimit-Scope": "global"})
    return body, headers


class TimedUnits(UnitOfWorkFactory):
    """The worker's units of work, timed and counted."""

    seconds = 0.0
    count = 0

    @contextlib.asynccontextmanager
    async def __call__(self) -> AsyncIterator[UnitOfWork]:
        started = time.perf_counter()
        try:
            async with super().__call__() as unit:
                yield unit
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1


class TimedDeliverer:
    def __init__(self, inner: DiscordDeliverer) -> None:
        self.platform = inner.platform
        self._inner = inner
        self.seconds = 0.0
        self.count = 0

    async def deliver(self, effect: DurableEffect, recipient: Recipient | None) -> Posted | None:
        started = time.perf_counter()
        try:
            return await self._inner.deliver(effect, recipient)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1


@dataclass
class Result:
    members: int
    per_second: int | None
    baseline: float  # seconds to send `members` DMs straight
    baseline_calls: int
    queue: float  # seconds to publish (queue every item)
    items: int
    outbox: float  # seconds for the worker to deliver them all
    outbox_calls: int
    database: float
    transactions: int
    discord: float
    fake: float  # the fake's handlers, inside `discord`
    waited: float  # rate-limit waits, inside `discord`
    limited: int
    problems: list[str]


def bench_settings(fake: FakeDiscord) -> Settings:
    return make_settings(
        discord=fake.config(drops_channel_id=fake.channels["drops"]),
        tiers={
            "member": {
                "price": "9.00",
                "interval": "month",
                "name": "Member",
                "discord_role_ids": [fake.roles["member"]],
                "discord_drops_channel_id": fake.channels["general"],
            }
        },
    )


async def fill(engine: Any, users: list[int]) -> None:
    """Members 1..N (Discord accounts, "member" tier, DMs on) and an author, N+1, in bulk."""
    await upgrade(engine)
    now = SystemClock().now()
    rows: dict[type[Any], list[dict[str, Any]]] = {
        Member: [],
        PlatformIdentity: [],
        Membership: [],
        DropNotice: [],
    }
    for member_id, user in enumerate(users, start=1):
        name = f"user{user - FIRST_USER_ID}"
        rows[Member].append({"id": member_id, "display_name": name, "created_at": now})
        rows[PlatformIdentity].append(
            {
                "id": member_id, "member_id": member_id, "platform": "discord",
                "platform_user_id": str(user), "username": name, "display_name": name,
                "level": 0, "created_at": now, "last_seen_at": now,
            }
        )  # fmt: skip
        rows[Membership].append(
            {
                "member_id": member_id, "tier": "member", "status": "active",
                "source": "manual", "payment_id": None, "started_at": now,
                "ends_at": now + timedelta(days=30), "grace_until": None, "version": 1,
                "updated_at": now,
            }
        )  # fmt: skip
        rows[DropNotice].append({"member_id": member_id, "enabled": True, "updated_at": now})
    rows[Member].append({"id": len(users) + 1, "display_name": "author", "created_at": now})
    uow = UnitOfWorkFactory(make_sessionmaker(engine))
    for model, values in rows.items():
        for start in range(0, len(values), BATCH):
            async with uow() as unit:
                await unit.session.execute(insert(model), values[start : start + BATCH])


async def run(members: int, per_second: int | None, folder: Path) -> Result:
    fake = Fake(per_second)
    await fake.start()
    users = [FIRST_USER_ID + n for n in range(members)]
    others = [FIRST_OTHER_ID + n for n in range(members)]
    for user in users + others:
        fake.add_user(user, f"u{user}")
    settings = bench_settings(fake)
    engine = make_engine(f"sqlite+aiosqlite:///{folder / f'fanout-{per_second}.db'}")
    try:
        await fill(engine, users)
        clock = SystemClock()
        plain = UnitOfWorkFactory(make_sessionmaker(engine))
        services = wire(plain, clock, settings)
        dispatcher = Dispatcher(
            registry=build_registry(services), uow=plain, clock=clock, settings=settings
        )
        adapter = DiscordAdapter(dispatcher, settings, FakeDiscord.TOKEN)
        running = asyncio.create_task(adapter.run())
        try:
            await fake.wait_until_ready(timeout=30)
            return await measure(
                fake, settings=settings, adapter=adapter, engine=engine, users=users, others=others
            )
        finally:
            await adapter.stop()
            await asyncio.wait_for(running, timeout=10)
    finally:
        await engine.dispose()
        await fake.stop()


@contextlib.asynccontextmanager
async def rest_only(settings: Settings) -> AsyncIterator[DiscordGateway]:
    """A second discord.py client, REST only, as `knowpay reconcile` uses."""
    async with discord_access(settings.discord, FakeDiscord.TOKEN) as access:
        yield access._gateway


async def measure(
    fake: Fake,
    *,
    settings: Settings,
    adapter: DiscordAdapter,
    engine: Any,
    users: list[int],
    others: list[int],
) -> Result:
    text = f"Drop D1 · **Async patterns in Python**\n\n{BODY}"
    first = len(fake.calls)
    started = time.perf_counter()  # the login is part of it: it happens once
    async with rest_only(settings) as straight:
        for user in others:
            await straight.send_dm(user, text)
    baseline = time.perf_counter() - started
    baseline_calls = len(fake.calls) - first
    waited_before, limited_before = fake.waited, fake.limited

    plain = UnitOfWorkFactory(make_sessionmaker(engine))
    clock = SystemClock()
    draft = Draft("Async patterns in Python", BODY, ("member",))
    started = time.perf_counter()
    async with plain() as unit:
        drop = await create(unit, len(users) + 1, draft, clock.now())
        await unit.session.flush()
        queued = await publish(unit, settings, drop, clock.now())
    queue_seconds = time.perf_counter() - started

    units = TimedUnits(make_sessionmaker(engine))
    deliverer = TimedDeliverer(DiscordDeliverer(adapter.gateway, fake.guild_id))
    worker = OutboxWorker(units, {"discord": deliverer}, clock)
    first, fake_before = len(fake.calls), fake.handler_seconds
    started = time.perf_counter()
    attempted = 0
    while attempts := await worker.run_once():
        attempted += attempts
    outbox = time.perf_counter() - started

    problems: list[str] = []
    async with plain() as unit:
        counts = await unit.outbox.counts()
    if counts != {"done": queued + 2} or attempted != queued + 2:
        problems.append(f"outbox: {counts}, {attempted} attempts for {queued + 2} items")
    if queued != len(users):
        problems.append(f"{queued} DMs queued for {len(users)} members")
    wrong = [u for u in users + others if len(fake.dms_to(u)) != 1]
    if wrong:
        problems.append(f"{len(wrong)} users got no DM or more than one, e.g. {wrong[:3]}")
    for channel in ("general", "drops"):
        posted = len(fake.messages.get(fake.channels[channel], []))
        if posted != 1:
            problems.append(f"#{channel}: {posted} posts")
    return Result(
        members=len(users),
        per_second=fake.per_second,
        baseline=baseline,
        baseline_calls=baseline_calls,
        queue=queue_seconds,
        items=queued + 2,
        outbox=outbox,
        outbox_calls=len(fake.calls) - first,
        database=units.seconds,
        transactions=units.count,
        discord=deliverer.seconds,
        fake=fake.handler_seconds - fake_before,
        waited=fake.waited - waited_before,
        limited=fake.limited - limited_before,
        problems=problems,
    )


def show(results: list[Result]) -> None:
    print(
        "| Limit | Members | Baseline (DMs straight) | Queue (publish) | Outbox | Outbox / "
        "baseline | Database | Discord side (fake's handlers; rate-limit waits) | Rest | "
        "Transactions per item | REST calls (429s) |"
    )
    print("|" + "---|" * 11)
    for r in results:
        n = r.members
        rest = r.outbox - r.database - r.discord

        def share(seconds: float, total: float = r.outbox) -> str:
            return f"{seconds:.2f} s ({seconds / total:.0%})"

        print(
            f"| {f'{r.per_second}/s' if r.per_second else 'none'} | {n:,} "
            f"| {r.baseline:.2f} s, {n / r.baseline:,.0f} DMs/s "
            f"| {r.queue:.2f} s "
            f"| {r.outbox:.2f} s, {n / r.outbox:,.0f} DMs/s "
            f"| {r.baseline / r.outbox:.2f} "
            f"| {share(r.database)} "
            f"| {share(r.discord)} ({r.fake:.2f} s; {r.waited:.2f} s) "
            f"| {share(rest)} "
            f"| {r.transactions / r.items:.2f} "
            f"| {r.outbox_calls:,} ({r.limited}) |"
        )
    for r in results:
        ours = r.outbox - r.discord
        print(
            f"{r.members:,} members, limit {r.per_second or 'none'}: our code (database + rest) "
            f"{ours:.2f} s = {ours / r.outbox:.0%} of the outbox's time, "
            f"{ours / r.members * 1000:.2f} ms per DM; waiting on Discord "
            f"{r.discord:.2f} s = {r.discord / r.outbox:.0%} "
            f"(rate limits {r.waited:.2f} s = {r.waited / r.outbox:.0%})"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000)
    parser.add_argument(
        "--limited-members", type=int, default=250, help="members in the rate-limited run (0: none)"
    )
    parser.add_argument("--rate-limit", type=int, default=50, help="requests/s, Discord's global")
    args = parser.parse_args()
    logging.getLogger("discord").setLevel(logging.ERROR)  # one warning per 429 otherwise

    results: list[Result] = []
    with tempfile.TemporaryDirectory() as folder:
        results.append(await run(args.members, None, Path(folder)))
        if args.limited_members:
            results.append(await run(args.limited_members, args.rate_limit, Path(folder)))
    show(results)
    problems = [f"{r.members}, limit {r.per_second}: {x}" for r in results for x in r.problems]
    if problems:
        print("FAILED:\n  " + "\n  ".join(problems))
        raise SystemExit(1)
    print("check: every outbox item done, every member got exactly one DM, one post per channel")


if __name__ == "__main__":
    asyncio.run(main())

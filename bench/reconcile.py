"""Reconcile 20,000 Discord members' roles with their memberships, 2% of them drifted.

The real Reconciler and DiscordAccess, with a real discord.py client, run against the fake
Discord over loopback: list the server page by page, compare with the database, put back the
roles a member lost and take off the managed roles nobody gave them. Half the drift is a lost
role, half a stray managed role; outsiders holding roles no tier opens must stay untouched.
The baseline, measured in the same run, is listing the members alone (`holders()`, no database,
no repairs). The repairs must equal the drift exactly, and a second run must repair nothing.

    .venv/bin/python bench/reconcile.py [--members 20000] [--drift 0.02]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.adapters.discord.access import DiscordAccess, discord_access
from bot.config import Settings
from bot.core.clock import SystemClock
from bot.core.events import Platform
from cogs.membership.access import managed_access
from cogs.membership.reconcile import Reconciler, ReconcileReport
from storage.engine import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.models import Member, Membership, PlatformIdentity
from storage.uow import UnitOfWorkFactory
from tests.conftest import make_settings
from tests.fakes.discord import FakeDiscord, RecordedCall

FIRST_USER_ID = 300_000_000_000_000_000  # Discord-sized snowflakes, one per member
BATCH = 5_000  # rows per INSERT ... executemany while filling the database


@dataclass
class Scenario:
    """Who should hold what, and the drift put into the fake server on top of it."""

    users: list[int]  # Discord user ids of the members, in member order
    pro: set[int]  # ... of those who also hold "pro"
    lost: dict[int, str] = field(default_factory=dict)  # user -> the role name taken away
    stray: set[int] = field(default_factory=set)  # member-only users given "pro" by hand
    outsiders: dict[int, list[int]] = field(default_factory=dict)  # not members: unmanaged roles


def plan(members: int, drift: float, fake: FakeDiscord, rng: random.Random) -> Scenario:
    users = [FIRST_USER_ID + n for n in range(members)]
    scenario = Scenario(users, {u for n, u in enumerate(users) if n % 10 == 0})
    drifted = round(members * drift)
    lost = rng.sample(users, drifted // 2)
    for user in lost:
        scenario.lost[user] = rng.choice(["member", "pro"]) if user in scenario.pro else "member"
    member_only = [u for u in users if u not in scenario.pro and u not in scenario.lost]
    scenario.stray = set(rng.sample(member_only, drifted - len(lost)))
    unmanaged = [[fake.roles["mod"]], [fake.roles["creator"]], []]
    first_outsider = FIRST_USER_ID + members + 1
    for n in range(max(10, members // 100)):  # interleaved with the members on the last page
        scenario.outsiders[first_outsider + 2 * n] = unmanaged[n % len(unmanaged)]
    return scenario


def desired_roles(scenario: Scenario, fake: FakeDiscord, user: int) -> list[int]:
    names = ["member", "pro"] if user in scenario.pro else ["member"]
    return [fake.roles[name] for name in names]


def fill_server(fake: FakeDiscord, scenario: Scenario) -> None:
    for user in scenario.users:
        roles = desired_roles(scenario, fake, user)
        if user in scenario.lost:
            roles.remove(fake.roles[scenario.lost[user]])
        if user in scenario.stray:
            roles.append(fake.roles["pro"])
        fake.add_user(user, f"user{user - FIRST_USER_ID}", roles=roles)
    for user, roles in scenario.outsiders.items():
        fake.add_user(user, f"outsider{user - FIRST_USER_ID}", roles=roles)


async def fill_database(engine: AsyncEngine, scenario: Scenario) -> UnitOfWorkFactory:
    await upgrade(engine)
    now = SystemClock().now()
    ends = now + timedelta(days=30)
    members: list[dict[str, Any]] = []
    identities: list[dict[str, Any]] = []
    memberships: list[dict[str, Any]] = []
    for member_id, user in enumerate(scenario.users, start=1):
        name = f"user{user - FIRST_USER_ID}"
        members.append({"id": member_id, "display_name": name, "created_at": now})
        identities.append(
            {
                "id": member_id, "member_id": member_id, "platform": "discord",
                "platform_user_id": str(user), "username": name, "display_name": name,
                "level": 0, "created_at": now, "last_seen_at": now,
            }
        )  # fmt: skip
        for tier in ["member", "pro"] if user in scenario.pro else ["member"]:
            memberships.append(
                {
                    "member_id": member_id, "tier": tier, "status": "active",
                    "source": "manual", "payment_id": None, "started_at": now,
                    "ends_at": ends, "grace_until": None, "version": 1, "updated_at": now,
                }
            )  # fmt: skip
    uow = UnitOfWorkFactory(make_sessionmaker(engine))
    for model, rows in [
        (Member, members),
        (PlatformIdentity, identities),
        (Membership, memberships),
    ]:
        for start in range(0, len(rows), BATCH):
            async with uow() as unit:
                await unit.session.execute(insert(model), rows[start : start + BATCH])
    return uow


async def list_only(access: DiscordAccess, settings: Settings) -> tuple[float, int]:
    managed = access.managed(managed_access(settings))
    started = time.perf_counter()
    listed = 0
    async for _holder in access.holders(managed, []):
        listed += 1
    return time.perf_counter() - started, listed


@dataclass
class Result:
    listing: float  # seconds to list the members alone
    listed: int
    seconds: float  # the reconcile
    report: ReconcileReport
    calls: list[RecordedCall]  # the REST calls the reconcile made
    again_seconds: float  # a second reconcile, right after
    again: ReconcileReport
    again_calls: list[RecordedCall]


async def measure(fake: FakeDiscord, settings: Settings, uow: UnitOfWorkFactory) -> Result:
    async with discord_access(settings.discord, FakeDiscord.TOKEN) as access:
        listing, listed = await list_only(access, settings)
        reconciler = Reconciler(uow, settings, SystemClock(), [access])
        runs: list[tuple[float, ReconcileReport, list[RecordedCall]]] = []
        for _ in range(2):
            first_call = len(fake.calls)
            started = time.perf_counter()
            report = await reconciler.run()
            runs.append((time.perf_counter() - started, report, fake.calls[first_call:]))
    return Result(listing, listed, *runs[0], *runs[1])


def check_server(fake: FakeDiscord, scenario: Scenario) -> list[str]:
    """Every member holds exactly what their tiers open; outsiders keep what they had."""
    wrong = [
        f"member {user}: {fake.member_roles(user)}"
        for user in scenario.users
        if sorted(fake.member_roles(user)) != sorted(desired_roles(scenario, fake, user))
    ]
    wrong += [
        f"outsider {user}: {fake.member_roles(user)}"
        for user, roles in scenario.outsiders.items()
        if fake.member_roles(user) != roles
    ]
    return wrong


def bench_settings(fake: FakeDiscord) -> Settings:
    """Two tiers sharing the "member" role; "pro" adds its own. The other roles are unmanaged."""
    tier = {"price": "9.00", "interval": "month"}
    member, pro = fake.roles["member"], fake.roles["pro"]
    return make_settings(
        discord=fake.config(),
        tiers={
            "member": {**tier, "name": "Member", "discord_role_ids": [member]},
            "pro": {**tier, "name": "Pro", "discord_role_ids": [member, pro]},
        },
    )


def show(result: Result, scenario: Scenario) -> None:
    report, again, calls = result.report, result.again, result.calls
    seconds, listing = result.seconds, result.listing
    checked = report.checked.get(Platform.DISCORD, 0)
    repaired = len({r.user_id for r in report.repairs})
    kinds = Counter(f"{c.method} {'roles' if '/roles/' in c.path else 'members'}" for c in calls)
    print(
        f"server: {len(scenario.users)} members ({len(scenario.pro)} also pro), "
        f"{len(scenario.outsiders)} outsiders with unmanaged roles, the owner and the bot"
    )
    print(
        f"drift: {len(scenario.lost) + len(scenario.stray)} members "
        f"({len(scenario.lost)} lost a role, {len(scenario.stray)} hold a stray pro)"
    )
    print(f"baseline (list the members only): {listing:.2f} s for {result.listed} accounts")
    print(
        f"reconcile: {seconds:.2f} s, {checked / seconds:,.0f} accounts checked/s, "
        f"{len(report.repairs)} repairs on {repaired} members"
    )
    print(f"ratio reconcile / listing: {seconds / listing:.2f}")
    print(
        f"REST calls: {len(calls)} in total ({', '.join(f'{n} {k}' for k, n in kinds.items())}), "
        + (f"{len(calls) / repaired:.2f} per repaired member" if repaired else "no repairs")
    )
    print(
        f"second run: {result.again_seconds:.2f} s, {len(again.repairs)} repairs, "
        f"{len(result.again_calls)} REST calls"
    )


def problems(result: Result, scenario: Scenario, fake: FakeDiscord) -> list[str]:
    report, again = result.report, result.again
    found = [f"failure: {failure}" for failure in report.failures + again.failures]
    checked = report.checked.get(Platform.DISCORD, 0)
    if checked != result.listed:
        found.append(f"checked {checked} accounts, the listing saw {result.listed}")
    drifted = len(scenario.lost) + len(scenario.stray)
    gave = {int(r.user_id) for r in report.repairs if r.action == "give"}
    took = {int(r.user_id) for r in report.repairs if r.action == "take"}
    if len(report.repairs) != drifted or gave != set(scenario.lost) or took != scenario.stray:
        found.append(
            f"{len(report.repairs)} repairs ({len(gave)} give, {len(took)} take) "
            f"for {drifted} drifted members"
        )
    if again.repairs:
        found.append(f"the second run repaired {len(again.repairs)} more")
    return found + check_server(fake, scenario)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--drift", type=float, default=0.02)
    parser.add_argument(
        "--database-url",
        help="an EMPTY database to fill (default: a fresh SQLite file in a temporary folder)",
    )
    args = parser.parse_args()

    fake = FakeDiscord()
    await fake.start()
    try:
        scenario = plan(args.members, args.drift, fake, random.Random(7))
        fill_server(fake, scenario)
        settings = bench_settings(fake)
        with tempfile.TemporaryDirectory() as folder:
            url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
            engine = make_engine(url)
            try:
                started = time.perf_counter()
                uow = await fill_database(engine, scenario)
                print(f"database: {url.split('://')[0]}", end=" ")
                print(f"(filled in {time.perf_counter() - started:.1f} s)")
                result = await measure(fake, settings, uow)
            finally:
                await engine.dispose()
    finally:
        await fake.stop()

    show(result, scenario)
    found = problems(result, scenario, fake)
    if found:
        print("FAILED:\n  " + "\n  ".join(found[:20]))
        raise SystemExit(1)
    print("check: repairs = injected drift, server now matches the memberships, outsiders intact")


if __name__ == "__main__":
    asyncio.run(main())

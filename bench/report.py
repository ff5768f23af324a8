"""The weekly report over 1,000,000 interactions, 20,000 members, 2,000 contents, 50,000 ledger
transactions: seconds to build it, and peak memory.

The database is filled first, in bulk: members with their platform accounts, memberships,
payments, contents, balanced ledger transactions (payments, Telegram Stars, paid questions and
their answers, drops, refunds, disputes, hand-booked payments, expert payouts) over 26 weeks, and
the interactions through the real `InteractionRecorder`, spread over the 12 weeks up to the
report week, then rolled up (`roll_up()`) as the bot's upkeep does every few minutes.

Then a fresh process (so that its memory is the report's, not the fill's) builds the report
with the real `build_report` twice: cold (its first query, new connection) and warm. The
baseline, in the same process, is one plain `SELECT count(*)` of the week's rollup rows, the
least any report over those rows must read. Its peak memory is `ru_maxrss` of that process, and
the `tracemalloc` peak of one more build (traced apart: tracing slows it down).

The report must agree with what was generated: interactions by platform and kind, active and
new members, gross income, refunds and disputes, income in Stars, MRR, for the week and the
one before; the cold, warm and traced builds must be equal. Otherwise the script exits 1.

    .venv/bin/python bench/report.py [--interactions 1000000] [--week 2026-W48]
    .venv/bin/python bench/report.py --database-url postgresql+asyncpg://user@host/empty_db
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings, settings_from_dict
from cogs.engagement.report_build import build_report
from cogs.engagement.report_data import WeeklyReport
from cogs.engagement.weeks import Week
from storage.engine import make_engine, make_sessionmaker
from storage.interaction_recorder import InteractionRecorder, NewInteraction
from storage.migrate import upgrade
from storage.models import (
    Content,
    Interaction,
    InteractionDay,
    LedgerEntry,
    LedgerTransaction,
    Member,
    Membership,
    MrrChange,
    Payment,
    PlatformIdentity,
)
from storage.uow import UnitOfWorkFactory

SCRIPT = str(Path(__file__).resolve())
BATCH = 5_000  # rows per INSERT ... executemany while filling the database
MAX_SECONDS = 2.0
MAX_MB = 300
INTERACTION_WEEKS = 12
LEDGER_WEEKS = 26  # more than the 90 days of payments P_u looks back on, for both weeks
KINDS = {"view": 0.50, "reaction": 0.33, "reply": 0.12, "unlock": 0.05}
PLATFORMS = {"discord": 0.6, "telegram": 0.4}
HOURS = [2, 1, 1, 1, 1, 2, 3, 5, 6, 7, 7, 8, 8, 8, 8, 9, 10, 12, 14, 15, 14, 11, 7, 4]
REMOVALS = 0.03  # reactions taken back: delta -1
CONTENT_KINDS = {"post": 0.5, "drop": 0.25, "question": 0.15, "answer": 0.1}
# The ledger's transactions by what happened, as shares of --transactions.
SHARES = {
    "membership": 0.56,
    "stars": 0.04,
    "question": 0.10,
    "answer": 0.08,
    "drop": 0.14,
    "refund": 0.03,
    "dispute": 0.004,
    "manual": 0.036,
    "payout": 0.01,
}
PRICES = {"member": 900, "pro": 9_000}
STARS_PRICE = 450
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def bench_settings() -> Settings:
    tiers = {
        "member": {
            "name": "Member",
            "price": "9.00",
            "interval": "month",
            "discord_role_ids": [1],
            "stars_price": STARS_PRICE,
        },
        "pro": {"name": "Pro", "price": "90.00", "interval": "year", "discord_role_ids": [1, 2]},
    }
    community = {"name": "Bench club", "currency": "usd", "timezone": "Europe/Berlin"}
    return settings_from_dict({"community": community, "tiers": tiers}, source="bench")


def between(rng: random.Random, low: datetime, high: datetime) -> datetime:
    return low + span(rng, timedelta(0), high - low)


def span(rng: random.Random, low: timedelta, high: timedelta) -> timedelta:
    return low + timedelta(microseconds=rng.randrange(max(1, (high - low) // timedelta.resolution)))


@dataclass
class Expected:
    """What the report must say, worked out from the generated rows: [this week, the one before]."""

    by_platform: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    by_kind: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    net_by_member: list[dict[int, int]] = field(default_factory=lambda: [{}, {}])
    new_members: list[int] = field(default_factory=lambda: [0, 0])
    gross: list[int] = field(default_factory=lambda: [0, 0])
    refunds: list[int] = field(default_factory=lambda: [0, 0])
    disputes: list[int] = field(default_factory=lambda: [0, 0])
    other: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    mrr: list[int] = field(default_factory=lambda: [0, 0])

    def active(self) -> list[int]:
        return [sum(n > 0 for n in nets.values()) for nets in self.net_by_member]


@dataclass
class World:
    """The rows to insert, table by table (dictionaries for Core `insert()`), and the
    interactions for the recorder."""

    tables: dict[type[Any], list[dict[str, Any]]]
    interactions: list[NewInteraction]
    expected: Expected


class Generator:
    def __init__(self, rng: random.Random, settings: Settings, week: Week) -> None:
        self.rng = rng
        self.tz = settings.community.tzinfo
        self.week = week
        self.previous = week.previous()
        self.end = week.end(self.tz)
        self.expected = Expected()
        self.tables: dict[type[Any], list[dict[str, Any]]] = defaultdict(list)

    def which_week(self, at: datetime) -> int | None:
        """0 for the report week, 1 for the week before, None otherwise."""
        if self.week.start(self.tz) <= at < self.end:
            return 0
        if self.previous.start(self.tz) <= at < self.previous.end(self.tz):
            return 1
        return None

    def members(self, count: int) -> list[int]:
        """Members joined over the year up to the week's end; 1% were folded into another by
        /link. Returns the ids of those not folded."""
        rng, end = self.rng, self.end
        members, identities = self.tables[Member], self.tables[PlatformIdentity]
        kept: list[int] = []
        for member_id in range(1, count + 1):
            created = between(rng, end - 365 * DAY, end)
            merged = rng.randrange(1, member_id) if member_id > 1 and rng.random() < 0.01 else None
            name = f"member{member_id}"
            members.append(
                {"id": member_id, "display_name": name, "created_at": created,
                 "merged_into_id": merged}
            )  # fmt: skip
            if merged is None:
                kept.append(member_id)
                if (index := self.which_week(created)) is not None:
                    self.expected.new_members[index] += 1
            both = rng.random() < 0.25
            platforms = ["discord", "telegram"] if both else [rng.choice(["discord", "telegram"])]
            for platform in platforms:
                user = 300_000_000_000_000_000 + member_id if platform == "discord" else member_id
                identities.append(
                    {"id": len(identities) + 1, "member_id": member_id, "platform": platform,
                     "platform_user_id": str(user), "username": name, "display_name": name,
                     "level": 0, "created_at": created, "last_seen_at": end}
                )  # fmt: skip
        return kept

    def memberships(self, members: list[int]) -> tuple[list[tuple[int, str]], list[int]]:
        """30% pay (a tenth of them on a trial), 3% were given one by hand. Returns the payers
        with their tier and the ids of the hand-given memberships."""
        rng, end = self.rng, self.end
        rows = self.tables[Membership]
        payers: list[tuple[int, str]] = []
        manual: list[int] = []
        for member_id in members:
            draw = rng.random()
            if draw >= 0.33:
                continue
            paid = draw < 0.30
            tier = "pro" if paid and rng.random() < 0.2 else "member"
            started = between(rng, end - 180 * DAY, end)
            status = (
                rng.choices(["active", "cancelled", "expired", "grace", "trialing"],
                            weights=[65, 10, 15, 5, 5])[0]
                if paid else "active"
            )  # fmt: skip
            length = 365 * DAY if tier == "pro" else 30 * DAY
            rows.append(
                {"id": len(rows) + 1, "member_id": member_id, "tier": tier, "status": status,
                 "source": "payment" if paid else "manual", "payment_id": None,
                 "started_at": started, "ends_at": started + length, "grace_until": None,
                 "version": 1, "updated_at": between(rng, started, end)}
            )  # fmt: skip
            if paid:
                payers.append((member_id, tier))
            else:
                manual.append(len(rows))
        return payers, manual

    def mrr(self) -> None:
        """What each paid membership (not a trial) brought in a month, as it changed: a third
        of the monthly ones began on a promotion (6.30 for 9.00) and later paid in full, a
        fifth of the others were noted again at the same price; the expired ones ended (a
        third of them by a declined card). A yearly 90.00 is 7.50 a month."""
        rng, rows = self.rng, self.tables[MrrChange]
        instants = (self.end, self.week.start(self.tz))
        for membership in self.tables[Membership]:
            if membership["source"] != "payment" or membership["status"] == "trialing":
                continue
            full = 900 if membership["tier"] == "member" else 750
            started, ended = membership["started_at"], membership["updated_at"]
            changes = [(started, 630 if full == 900 and rng.random() < 0.33 else full, "paid")]
            if changes[0][1] != full or rng.random() < 0.2:
                changes.append((between(rng, started, ended), full, "renewed"))
            if membership["status"] == "expired":
                reason = "involuntary" if rng.random() < 0.33 else "voluntary"
                changes.append((ended, 0, reason))
            for at, monthly, reason in changes:
                rows.append(
                    {"member_id": membership["member_id"], "membership_id": membership["id"],
                     "at": at, "monthly_minor": monthly, "currency": "usd", "reason": reason}
                )  # fmt: skip
            for index, instant in enumerate(instants):
                before = [monthly for at, monthly, _ in changes if at < instant]
                self.expected.mrr[index] += before[-1] if before else 0

    def contents(self, count: int, members: list[int]) -> None:
        rng, end = self.rng, self.end
        kinds = rng.choices(list(CONTENT_KINDS), weights=list(CONTENT_KINDS.values()), k=count)
        for content_id, kind in enumerate(kinds, start=1):
            price, currency = None, None
            if kind == "drop" and rng.random() < 0.7:
                price, currency = rng.randrange(300, 2_000, 100), "usd"
            elif kind == "question":
                price, currency = (
                    (rng.randrange(500, 5_000, 100), "usd")
                    if rng.random() < 0.8
                    else (rng.randrange(50, 500, 10), "xtr")
                )
            self.tables[Content].append(
                {"id": content_id, "kind": kind, "ref": f"{kind}:{content_id}",
                 "author_member_id": rng.choice(members), "title": f"{kind.title()} {content_id}",
                 "price_minor": price, "currency": currency,
                 "created_at": between(rng, end - 16 * 7 * DAY, end)}
            )  # fmt: skip

    def ledger(
        self,
        count: int,
        payers: list[tuple[int, str]],
        manual: list[int],
        members: list[int],
    ) -> None:
        """`count` balanced transactions over LEDGER_WEEKS, with the payments behind them."""
        rng, end = self.rng, self.end
        start, last = end - LEDGER_WEEKS * 7 * DAY, end - timedelta.resolution
        numbers = {kind: int(count * share) for kind, share in SHARES.items()}
        numbers["membership"] += count - sum(numbers.values())
        payments = self.tables[Payment]

        def pay(member: int, purpose: str, amount: int, currency: str, at: datetime) -> int:
            payment_id = len(payments) + 1
            provider = "telegram" if currency == "xtr" else "stripe"
            payments.append(
                {"id": payment_id, "purpose": purpose, "member_id": member, "provider": provider,
                 "status": "paid", "amount_minor": amount, "currency": currency,
                 "refunded_minor": 0, "checkout_ref": f"cs_{payment_id}",
                 "charge_ref": f"pi_{payment_id}", "created_at": at - 2 * timedelta(minutes=1),
                 "paid_at": at}
            )  # fmt: skip
            kind = purpose.partition(":")[0]
            income = {"question": "escrow:qa", "drop": "revenue:drops"}.get(kind, f"revenue:{kind}")
            self.post(
                "payment",
                f"payment:{payment_id}:paid",
                at,
                [(f"clearing:{provider}", currency, amount), (income, currency, -amount)],
            )
            return payment_id

        memberships = [
            pay(member, f"membership:{tier}", PRICES[tier], "usd", between(rng, start, end))
            for member, tier in rng.choices(payers, k=numbers["membership"])
        ]
        for member, _ in rng.choices(payers, k=numbers["stars"]):
            pay(member, "membership:member", STARS_PRICE, "xtr", between(rng, start, end))
        questions = [
            pay(member, f"question:{n}", rng.randrange(500, 5_000, 100), "usd",
                between(rng, start, end))
            for n, member in enumerate(rng.choices(members, k=numbers["question"]), start=1)
        ]  # fmt: skip
        for n, member in enumerate(rng.choices(members, k=numbers["drop"]), start=1):
            pay(
                member, f"drop:{n}", rng.randrange(300, 2_000, 100), "usd", between(rng, start, end)
            )
        answers: list[tuple[int, datetime, int]] = []  # expert, when, their share
        for payment_id in rng.sample(questions, numbers["answer"]):
            payment = payments[payment_id - 1]
            amount, expert = payment["amount_minor"], rng.choice(members)
            share = amount * 9 // 10
            at = max(min(payment["paid_at"] + span(rng, HOUR, 48 * HOUR), last), payment["paid_at"])
            self.post(
                "qa",
                f"question:{payment_id}:answered",
                at,
                [("escrow:qa", "usd", amount), (f"payable:member:{expert}", "usd", -share),
                 ("revenue:qa", "usd", share - amount)],
            )  # fmt: skip
            answers.append((expert, at, share))
        taken = rng.sample(memberships, numbers["refund"] + numbers["dispute"])
        for n, payment_id in enumerate(taken):
            payment = payments[payment_id - 1]
            amount = payment["amount_minor"]
            at = max(min(payment["paid_at"] + span(rng, HOUR, 14 * DAY), last), payment["paid_at"])
            if n < numbers["refund"]:
                refunded = amount if rng.random() < 0.6 else amount // 2
                payment["refunded_minor"] = refunded
                payment["status"] = "refunded" if refunded == amount else "partially_refunded"
                step, entries = "refund", [("refunds:membership", "usd", refunded)]
                entries.append(("clearing:stripe", "usd", -refunded))
            else:
                payment["status"] = "disputed"
                step, entries = "dispute", [("disputes:membership", "usd", amount)]
                entries.append(("clearing:stripe", "usd", -amount))
            self.post(step, f"payment:{payment_id}:{step}", at, entries)
        versions: dict[int, int] = defaultdict(int)
        for membership_id in rng.choices(manual, k=numbers["manual"]):
            versions[membership_id] += 1
            self.post(
                "manual",
                f"manual:{membership_id}:v{versions[membership_id]}",
                between(rng, start, end),
                [("clearing:manual", "usd", PRICES["member"]),
                 ("revenue:membership", "usd", -PRICES["member"])],
            )  # fmt: skip
        for n, (expert, answered, share) in enumerate(rng.sample(answers, numbers["payout"])):
            at = max(min(answered + span(rng, DAY, 14 * DAY), last), answered)
            self.post(
                "payout",
                f"payout:{n + 1}",
                at,
                [(f"payable:member:{expert}", "usd", share), ("clearing:stripe", "usd", -share)],
            )

    def post(
        self, kind: str, reference: str, at: datetime, entries: Sequence[tuple[str, str, int]]
    ) -> None:
        transactions, rows = self.tables[LedgerTransaction], self.tables[LedgerEntry]
        transaction_id = len(transactions) + 1
        transactions.append(
            {"id": transaction_id, "at": at, "kind": kind, "reference": reference, "memo": kind}
        )
        index = self.which_week(at)
        for account, currency, amount in entries:
            rows.append(
                {"id": len(rows) + 1, "transaction_id": transaction_id, "account": account,
                 "currency": currency, "amount_minor": amount}
            )  # fmt: skip
            if index is None:
                continue
            if account.startswith("revenue:"):
                if currency == "usd":
                    self.expected.gross[index] -= amount
                else:
                    self.expected.other[currency][index] -= amount
            elif account.startswith("refunds:") and currency == "usd":
                self.expected.refunds[index] += amount
            elif account.startswith("disputes:") and currency == "usd":
                self.expected.disputes[index] += amount

    def interactions(self, count: int, members: int, contents: int) -> list[NewInteraction]:
        """Skewed activity (lognormal: a few busy members, popular contents), evenings busier
        than nights, 3% of the rows reactions taken back within the hour."""
        rng = self.rng
        removed = round(count * REMOVALS)
        n = count - removed
        member_ids = rng.choices(
            range(1, members + 1), [rng.lognormvariate(0, 1.2) for _ in range(members)], k=n
        )
        content_ids = rng.choices(
            range(1, contents + 1), [rng.lognormvariate(0, 1.5) for _ in range(contents)], k=n
        )
        kinds = rng.choices(list(KINDS), weights=list(KINDS.values()), k=n)
        platforms = rng.choices(list(PLATFORMS), weights=list(PLATFORMS.values()), k=n)
        days = rng.choices(range(INTERACTION_WEEKS * 7), k=n)
        hours = rng.choices(range(24), weights=HOURS, k=n)
        start = self.end - INTERACTION_WEEKS * 7 * DAY
        hour_us = HOUR // timedelta.resolution
        items = [
            NewInteraction(
                content,
                member,
                kind,
                platform,
                min(
                    start + timedelta(microseconds=(d * 24 + h) * hour_us + rng.randrange(hour_us)),
                    self.end - timedelta.resolution,
                ),
            )
            for content, member, kind, platform, d, h in zip(
                content_ids, member_ids, kinds, platforms, days, hours, strict=True
            )
        ]
        reactions = [item for item in items if item.kind == "reaction"]
        last = self.end - timedelta.resolution
        for item in rng.sample(reactions, removed):
            later = min(item.at + span(rng, timedelta.resolution, HOUR), last)
            items.append(
                NewInteraction(item.content_id, item.member_id, "reaction", item.platform,
                               max(later, item.at), -1)
            )  # fmt: skip
        items.sort(key=lambda item: item.at)
        this_week, last_week = set(self.week.days), set(self.previous.days)
        for item in items:
            day = item.at.astimezone(self.tz).date()
            index = 0 if day in this_week else 1 if day in last_week else None
            if index is None:
                continue
            self.expected.by_platform[item.platform][index] += item.delta
            self.expected.by_kind[item.kind][index] += item.delta
            nets = self.expected.net_by_member[index]
            nets[item.member_id] = nets.get(item.member_id, 0) + item.delta
        return items


def generate(args: argparse.Namespace, settings: Settings, week: Week) -> World:
    gen = Generator(random.Random(7), settings, week)
    kept = gen.members(args.members)
    payers, manual = gen.memberships(kept)
    gen.mrr()
    gen.contents(args.contents, kept)
    gen.ledger(args.transactions, payers, manual, kept)
    items = gen.interactions(args.interactions, args.members, args.contents)
    return World(dict(gen.tables), items, gen.expected)


async def fill(engine: AsyncEngine, world: World, settings: Settings) -> dict[str, float]:
    """Bulk inserts, the interactions through the recorder, then the rollup; seconds each."""
    await upgrade(engine)
    uow = UnitOfWorkFactory(make_sessionmaker(engine))
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    for model, rows in world.tables.items():
        for first in range(0, len(rows), BATCH):
            async with uow() as unit:
                await unit.session.execute(insert(model), rows[first : first + BATCH])
    seconds["tables"] = time.perf_counter() - started

    started = time.perf_counter()
    recorder = InteractionRecorder(engine, settings.community.tzinfo)
    stop = asyncio.Event()
    writer = asyncio.create_task(recorder.run(stop))
    for item in world.interactions:
        await recorder.record(item)
    stop.set()
    await writer
    seconds["interactions"] = time.perf_counter() - started

    started = time.perf_counter()
    async with uow() as unit:
        await unit.contents.roll_up()
    seconds["rollup"] = time.perf_counter() - started
    if engine.dialect.name == "postgresql":
        started = time.perf_counter()
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.exec_driver_sql("ANALYZE")
        seconds["analyze"] = time.perf_counter() - started
    return seconds


async def database_facts(engine: AsyncEngine, week: Week) -> dict[str, int]:
    """Sizes, and two setup checks: the ledger balances, the rollup sums the raw rows."""
    before = week.previous().previous()
    async with engine.connect() as connection:

        async def one(statement: Any) -> int:
            return int((await connection.execute(statement)).scalar_one() or 0)

        unbalanced = (
            await connection.execute(
                select(LedgerEntry.currency)
                .group_by(LedgerEntry.currency)
                .having(func.sum(LedgerEntry.amount_minor) != 0)
            )
        ).all()
        return {
            "rollup_rows": await one(select(func.count()).select_from(InteractionDay)),
            "week_rows": await one(
                select(func.count()).where(
                    InteractionDay.day.between(week.first_day, week.days[-1])
                )
            ),
            "three_weeks_rows": await one(
                select(func.count()).where(
                    InteractionDay.day.between(before.first_day, week.days[-1])
                )
            ),
            "rolled_up": await one(select(func.sum(InteractionDay.count))),
            "raw_net": await one(select(func.sum(Interaction.delta))),
            "unbalanced_currencies": len(unbalanced),
        }


# --- the measuring process ---------------------------------------------------------------


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def measure(url: str, week: Week) -> dict[str, Any]:
    """Run in a fresh process: builds (cold, warm), the baseline scan, then a traced build."""
    rss_at_start = max_rss_mb()
    settings = bench_settings()
    engine = make_engine(url)
    uow = UnitOfWorkFactory(make_sessionmaker(engine))

    async def build() -> tuple[float, WeeklyReport]:
        started = time.perf_counter()
        async with uow() as unit:
            report = await build_report(unit, settings, week)
        return time.perf_counter() - started, report

    cold, report = await build()
    warm, again = await build()
    started = time.perf_counter()
    async with uow() as unit:
        scanned = await unit.session.scalar(
            select(func.count()).where(InteractionDay.day.between(week.first_day, week.days[-1]))
        )
    scan = time.perf_counter() - started
    rss = max_rss_mb()
    tracemalloc.start()
    traced_seconds, traced = await build()
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    await engine.dispose()
    return {
        "cold": cold,
        "warm": warm,
        "scan": scan,
        "scanned": scanned,
        "rss_at_start_mb": rss_at_start,
        "rss_mb": rss,
        "traced_seconds": traced_seconds,
        "traced_peak_mb": traced_peak / 2**20,
        "same": report == again == traced,
        "report": report.model_dump(mode="json"),
    }


async def measuring_process(week: Week) -> asyncio.subprocess.Process:
    """Started before the data is generated: Linux carries ru_maxrss over fork and exec, so a
    process forked from the filled parent would report the parent's peak as its own."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        SCRIPT,
        "--measure",
        "--week",
        str(week),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )


async def measured(process: asyncio.subprocess.Process, url: str) -> dict[str, Any]:
    out, _ = await process.communicate(f"{url}\n".encode())
    if process.returncode != 0:
        raise SystemExit(f"the measuring process failed ({process.returncode})")
    result: dict[str, Any] = json.loads(out.decode().splitlines()[-1])
    return result


# --- checks and output -------------------------------------------------------------------


def problems(report: WeeklyReport, expected: Expected, same: bool) -> list[str]:
    found: list[str] = []

    def compare(name: str, figure: Any, want: Sequence[int]) -> None:
        got = [figure.value, figure.previous]
        if got != list(want):
            found.append(f"{name}: report {got}, generated {list(want)}")

    engagement, revenue = report.engagement, report.revenue
    for platform, figure in engagement.interactions_by_platform.items():
        compare(f"interactions on {platform}", figure, expected.by_platform.get(platform, [0, 0]))
    for kind, figure in engagement.interactions_by_kind.items():
        compare(f"interactions of kind {kind}", figure, expected.by_kind.get(kind, [0, 0]))
    missing = set(expected.by_kind) - set(engagement.interactions_by_kind)
    missing |= set(expected.by_platform) - set(engagement.interactions_by_platform)
    if missing:
        found.append(f"not in the report: {sorted(missing)}")
    compare("active members", engagement.active_members, expected.active())
    compare("new members", engagement.new_members, expected.new_members)
    compare("gross", revenue.gross, expected.gross)
    compare("refunds", revenue.refunds, expected.refunds)
    compare("disputes", revenue.disputes, expected.disputes)
    compare("MRR", revenue.mrr, expected.mrr)
    for code, want in expected.other.items():
        if code not in revenue.other_currencies:
            found.append(f"income in {code} missing")
        else:
            compare(f"income in {code}", revenue.other_currencies[code], want)
    daily = sum(sum(point.interactions.values()) for point in report.daily)
    if daily != sum(v[0] for v in expected.by_platform.values()):
        found.append(f"daily interactions add up to {daily}")
    if not same:
        found.append("the cold, warm and traced builds differ")
    return found


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def show(
    database: str,
    *,
    world: World,
    fill_seconds: dict[str, float],
    facts: dict[str, int],
    result: dict[str, Any],
    report: WeeklyReport,
) -> None:
    tables = world.tables
    print(
        f"database: {database}, filled in {sum(fill_seconds.values()):.1f} s ("
        + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in fill_seconds.items())
        + ")"
    )
    print(
        f"data: {len(world.interactions):,} interactions over {INTERACTION_WEEKS} weeks "
        f"-> {facts['rollup_rows']:,} daily rollup rows; {len(tables[Member]):,} members "
        f"({len(tables[PlatformIdentity]):,} platform accounts, {len(tables[Membership]):,} "
        f"memberships), {len(tables[Content]):,} contents, {len(tables[Payment]):,} payments, "
        f"{len(tables[LedgerTransaction]):,} ledger transactions "
        f"({len(tables[LedgerEntry]):,} entries) over {LEDGER_WEEKS} weeks"
    )
    print(
        f"report week {report.week} ({report.timezone}): {facts['week_rows']:,} rollup rows, "
        f"{facts['three_weeks_rows']:,} in the three weeks it compares"
    )
    cold, warm, scan = result["cold"], result["warm"], result["scan"]
    print(f"build, cold (first in a fresh process): {cold:.2f} s")
    print(f"build, warm: {warm:.2f} s")
    print(
        f"baseline: SELECT count(*) of the week's rollup rows: {scan * 1000:.1f} ms "
        f"({result['scanned']:,} rows)"
    )
    print(f"ratio build / baseline: cold {cold / scan:,.0f}, warm {warm / scan:,.0f}")
    print(
        f"memory: ru_maxrss of the measuring process {result['rss_mb']:.0f} MB "
        f"(after imports {result['rss_at_start_mb']:.0f} MB); tracemalloc peak of one build "
        f"{result['traced_peak_mb']:.1f} MB (that build took {result['traced_seconds']:.2f} s "
        "traced)"
    )
    slowest = max(cold, warm)
    print(
        f"targets: build under {MAX_SECONDS:.0f} s {verdict(slowest < MAX_SECONDS)} "
        f"(slowest {slowest:.2f} s); memory under {MAX_MB} MB "
        f"{verdict(result['rss_mb'] < MAX_MB)} ({result['rss_mb']:.0f} MB)"
    )
    engagement, money = report.engagement, report.revenue
    top = engagement.top_contents[0] if engagement.top_contents else None
    print(
        f"report: {engagement.active_members.value:,} active members "
        f"({engagement.active_members.previous:,} the week before), "
        f"{engagement.new_members.value} new, T = {report.model.total.value:,.2f}, "
        f"gross {money.gross.value / 100:,.2f} {money.currency}, "
        f"{len(report.model.member_propensities):,} member propensities"
        + (f", top content {top.title} ({top.score:,.1f})" if top else "")
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--contents", type=int, default=2_000)
    parser.add_argument("--transactions", type=int, default=50_000, help="ledger transactions")
    parser.add_argument("--week", default="2026-W48", help="the report week")
    parser.add_argument(
        "--database-url",
        help="an EMPTY database to fill (default: a fresh SQLite file in a temporary folder)",
    )
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    week = Week.parse(args.week)
    if args.measure:  # the fresh process: waits for the filled database's URL
        url = (await asyncio.to_thread(sys.stdin.readline)).strip()
        print(json.dumps(await measure(url, week)))
        return
    process = await measuring_process(week)

    try:
        settings = bench_settings()
        started = time.perf_counter()
        world = generate(args, settings, week)
        print(f"generated in {time.perf_counter() - started:.1f} s")
        with tempfile.TemporaryDirectory() as folder:
            url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
            engine = make_engine(url)
            try:
                fill_seconds = await fill(engine, world, settings)
                facts = await database_facts(engine, week)
            finally:
                await engine.dispose()
            result = await measured(process, url)
    finally:
        if process.returncode is None:  # failed before measuring: end the waiting process
            process.kill()
            await process.wait()
    report = WeeklyReport.model_validate(result["report"])
    show(
        make_url(url).drivername,
        world=world,
        fill_seconds=fill_seconds,
        facts=facts,
        result=result,
        report=report,
    )
    found = problems(report, world.expected, result["same"])
    if facts["unbalanced_currencies"]:
        found.append(f"the ledger does not balance in {facts['unbalanced_currencies']} currencies")
    if facts["rolled_up"] != facts["raw_net"]:
        found.append(f"rollup sums to {facts['rolled_up']}, raw rows to {facts['raw_net']}")
    if found:
        print("FAILED:\n  " + "\n  ".join(found[:20]))
        raise SystemExit(1)
    print(
        "check: the report's interactions (by platform, kind, day), active and new members, "
        "gross, refunds, disputes, Stars income and MRR equal the generated data for both weeks; "
        "cold, warm and traced builds equal; the ledger balances; the rollup sums the raw rows"
    )


if __name__ == "__main__":
    asyncio.run(main())

"""1,000,000 interactions through the recording path, against raw sqlite3 and a naive ORM insert.

Producers hand every interaction to the real `InteractionRecorder` (`await recorder.record(...)`)
while its `run(stop)` writes them in batches; the time runs from the first `record` until `run`
has returned, everything committed. Two baselines in the same run, on the same rows, each into
a fresh database made by the migrations (the same `interactions` table and index):

- raw: the stdlib `sqlite3` executemany of the rows, already converted to what is stored, in ONE
  transaction (same PRAGMAs as the engine: WAL, synchronous=NORMAL). The floor for storing them.
- naive: the ORM with one commit per event (`async with session.begin(): session.add(...)`).
  A million commits would take the better part of an hour, so only the first `--naive-rows`
  rows are timed and its rate is reported.

Each database must then hold exactly the rows produced: same count, same checksum of
(at, day, content, member, kind, platform, delta), or the script exits 1.

    .venv/bin/python bench/ingest.py [--rows 1000000] [--naive-rows 5000] [--producers 8]
    .venv/bin/python bench/ingest.py --database-url postgresql+asyncpg://user@host/empty_db
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from storage.engine import make_engine, make_sessionmaker
from storage.interaction_recorder import BATCH, InteractionRecorder, NewInteraction
from storage.migrate import upgrade
from storage.models import Interaction

TIMEZONE = ZoneInfo("Europe/Berlin")  # the example bot.toml's: local days differ from UTC days
END = datetime(2026, 11, 25, tzinfo=UTC)
# Before reaction removals, which come on top as delta -1 rows of earlier reactions.
KINDS = {"view": 0.50, "reaction": 0.33, "reply": 0.12, "unlock": 0.05}
PLATFORMS = {"discord": 0.6, "telegram": 0.4}
# Activity by hour of day (UTC): quiet nights, busy evenings in Europe.
HOURS = [2, 1, 1, 1, 1, 2, 3, 5, 6, 7, 7, 8, 8, 8, 8, 9, 10, 12, 14, 15, 14, 11, 7, 4]
COLUMNS = "at, day, content_id, member_id, kind, platform, delta"
MASK = (1 << 64) - 1


def generate(
    rng: random.Random, *, rows: int, members: int, contents: int, days: int, removals: float
) -> list[NewInteraction]:
    """`rows` interactions in time order. Members' and contents' activity is skewed (lognormal:
    a few busy members and popular contents); `removals` of them take back an earlier
    reaction (same member, content and platform, within the hour after it)."""
    removed = round(rows * removals)
    n = rows - removed
    member_ids = rng.choices(
        range(1, members + 1), weights=[rng.lognormvariate(0, 1.2) for _ in range(members)], k=n
    )
    content_ids = rng.choices(
        range(1, contents + 1), weights=[rng.lognormvariate(0, 1.5) for _ in range(contents)], k=n
    )
    kinds = rng.choices(list(KINDS), weights=list(KINDS.values()), k=n)
    platforms = rng.choices(list(PLATFORMS), weights=list(PLATFORMS.values()), k=n)
    on_days = rng.choices(range(days), k=n)
    hours = rng.choices(range(24), weights=HOURS, k=n)
    start = END - timedelta(days=days)
    hour_us = 3_600_000_000
    times = [
        start + timedelta(microseconds=(day * 24 + hour) * hour_us + rng.randrange(hour_us))
        for day, hour in zip(on_days, hours, strict=True)
    ]
    events = [
        (at, content, member, kind, platform, 1)
        for at, content, member, kind, platform in zip(
            times, content_ids, member_ids, kinds, platforms, strict=True
        )
    ]
    reactions = [event for event in events if event[3] == "reaction"]
    for at, content, member, _, platform, _ in rng.sample(reactions, removed):
        later = at + timedelta(microseconds=rng.randrange(1, hour_us))
        events.append((later, content, member, "reaction", platform, -1))
    events.sort(key=lambda event: event[0])
    # Made in the order they happen, as handlers would: objects lie in memory in that order.
    return [
        NewInteraction(content, member, kind, platform, at, delta)
        for at, content, member, kind, platform, delta in events
    ]


def stored(item: NewInteraction, tz: tzinfo) -> tuple[Any, ...]:
    """The row as SQLite stores it (SQLAlchemy's text forms): what the raw baseline inserts and
    what every database must give back."""
    at = item.at.astimezone(UTC)
    return (
        f"{at:%Y-%m-%d %H:%M:%S.%f}",
        at.astimezone(tz).date().isoformat(),
        item.content_id,
        item.member_id,
        item.kind,
        item.platform,
        item.delta,
    )


@dataclass(frozen=True)
class Checksum:
    rows: int
    net: int  # Σ delta
    digest: int  # Σ hash(row) mod 2**64: order-free, changes with any value of any row

    @classmethod
    def of(cls, rows: Iterable[Sequence[Any]]) -> Checksum:
        count = net = digest = 0
        for row in rows:
            count += 1
            net += row[6]
            digest = (digest + hash(tuple(row))) & MASK
        return cls(count, net, digest)


def normalized(row: Sequence[Any]) -> tuple[Any, ...]:
    """A row read back, in the stored text forms whatever the database returned."""
    at, day, *rest = row
    if isinstance(at, datetime):
        at = f"{at.astimezone(UTC):%Y-%m-%d %H:%M:%S.%f}"
    if isinstance(day, date):
        day = day.isoformat()
    return (at, day, *rest)


async def read_back(engine: AsyncEngine) -> Checksum:
    async with engine.connect() as connection:
        result = await connection.exec_driver_sql(f"SELECT {COLUMNS} FROM interactions")
        return Checksum.of(normalized(row) for row in result.all())


async def fresh(url: str) -> AsyncEngine:
    engine = make_engine(url)
    await upgrade(engine)
    return engine


async def empty_interactions(url: str) -> None:
    """For a database given by URL: the schema (once), and no interactions left from a run."""
    engine = await fresh(url)
    empty = (
        "TRUNCATE interactions"
        if engine.dialect.name == "postgresql"
        else "DELETE FROM interactions"
    )
    async with engine.begin() as connection:
        await connection.exec_driver_sql(empty)
    await engine.dispose()


def remove_databases(folder: Path) -> None:
    for path in folder.glob("*.db*"):
        path.unlink()


async def recording(
    url: str, items: list[NewInteraction], producers: int, batch: int
) -> tuple[float, Checksum]:
    engine = await fresh(url)
    recorder = InteractionRecorder(engine, TIMEZONE, batch=batch)
    parts = [items[n::producers] for n in range(producers)]

    async def produce(part: list[NewInteraction]) -> None:
        for item in part:
            await recorder.record(item)

    stop = asyncio.Event()
    started = time.perf_counter()
    writer = asyncio.create_task(recorder.run(stop))
    await asyncio.gather(*(produce(part) for part in parts))
    stop.set()
    await writer
    seconds = time.perf_counter() - started
    checksum = await read_back(engine)
    await engine.dispose()
    return seconds, checksum


async def naive(url: str, items: list[NewInteraction]) -> tuple[float, Checksum]:
    engine = await fresh(url)
    sessionmaker = make_sessionmaker(engine)
    started = time.perf_counter()
    async with sessionmaker() as session:
        for item in items:
            async with session.begin():
                session.add(
                    Interaction(
                        at=item.at,
                        day=item.at.astimezone(TIMEZONE).date(),
                        content_id=item.content_id,
                        member_id=item.member_id,
                        kind=item.kind,
                        platform=item.platform,
                        delta=item.delta,
                    )
                )
    seconds = time.perf_counter() - started
    checksum = await read_back(engine)
    await engine.dispose()
    return seconds, checksum


async def raw(path: Path, rows: list[tuple[Any, ...]]) -> tuple[float, Checksum]:
    engine = await fresh(f"sqlite+aiosqlite:///{path}")  # the schema, then plain sqlite3
    await engine.dispose()
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        sql = f"INSERT INTO interactions ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
        started = time.perf_counter()
        connection.execute("BEGIN")
        connection.executemany(sql, rows)
        connection.execute("COMMIT")
        seconds = time.perf_counter() - started
        checksum = Checksum.of(connection.execute(f"SELECT {COLUMNS} FROM interactions"))
    finally:
        connection.close()
    return seconds, checksum


@dataclass(frozen=True)
class Line:
    name: str
    rows: int
    runs: list[tuple[float, Checksum]]  # seconds and what was stored, per repetition
    expected: Checksum

    @property
    def seconds(self) -> float:
        return min(seconds for seconds, _ in self.runs)  # the best: the least disturbed

    @property
    def rate(self) -> float:
        return self.rows / self.seconds

    @property
    def spread(self) -> str:
        rates = sorted(self.rows / seconds for seconds, _ in self.runs)
        return f"{rates[0]:,.0f} to {rates[-1]:,.0f}" if len(rates) > 1 else ""

    @property
    def exact(self) -> bool:
        return all(checksum == self.expected for _, checksum in self.runs)


def show(lines: dict[str, Line], database: str) -> None:
    base = lines["raw"].rate
    print(
        f"{'path':<58} {'rows':>9} {'seconds':>7} {'rows/s':>9} {'vs raw':>6}  stored  "
        "(all runs, rows/s)"
    )
    for line in lines.values():
        print(
            f"{line.name:<58} {line.rows:>9,} {line.seconds:>7.2f} {line.rate:>9,.0f} "
            f"{line.rate / base:>6.3f}  {'exact' if line.exact else 'MISMATCH':<7} {line.spread}"
        )
    recorded, naive_line = lines["recording"], lines["naive"]
    to_raw = recorded.rate / base
    to_naive = recorded.rate / naive_line.rate
    if not database.startswith("sqlite"):
        print(f"(recording and naive on {database}; raw is SQLite, the floor it is compared to)")
    print(
        f"ratio recording / raw: {to_raw:.2f} "
        f"(target >= 0.5: {'met' if to_raw >= 0.5 else 'NOT met'})"
    )
    print(
        f"ratio recording / naive: {to_naive:,.0f} "
        f"(target >= 20: {'met' if to_naive >= 20 else 'NOT met'})"
    )
    whole = recorded.rows / naive_line.rate
    print(
        f"naive: the first {naive_line.rows:,} rows only; all {recorded.rows:,} at its rate "
        "would take about "
        + (f"{whole / 60:,.0f} minutes" if whole >= 120 else f"{whole:,.0f} seconds")
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--naive-rows", type=int, default=5_000, help="the naive sample")
    parser.add_argument("--producers", type=int, default=8, help="tasks calling record()")
    parser.add_argument(
        "--repeat", type=int, default=3, help="raw and recording runs; the best of each counts"
    )
    parser.add_argument("--batch", type=int, default=BATCH, help="the recorder's batch size")
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--contents", type=int, default=2_000)
    parser.add_argument("--days", type=int, default=21)
    parser.add_argument("--removals", type=float, default=0.03, help="share of delta -1 rows")
    parser.add_argument(
        "--database-url",
        help="an EMPTY database for the recording path and the naive sample "
        "(default: fresh SQLite files in a temporary folder); raw is always sqlite3",
    )
    args = parser.parse_args()

    started = time.perf_counter()
    items = generate(
        random.Random(7),
        rows=args.rows,
        members=args.members,
        contents=args.contents,
        days=args.days,
        removals=args.removals,
    )
    rows = [stored(item, TIMEZONE) for item in items]
    expected = Checksum.of(rows)
    sample = items[: args.naive_rows]
    expected_sample = Checksum.of(rows[: args.naive_rows])
    kinds = {kind: sum(row[4] == kind for row in rows) for kind in KINDS}
    removed = sum(row[6] < 0 for row in rows)
    print(
        f"rows: {len(rows):,} interactions of {args.members:,} members with "
        f"{args.contents:,} contents over {args.days} days, both platforms "
        f"(generated in {time.perf_counter() - started:.1f} s)"
    )
    print(
        "kinds: "
        + ", ".join(f"{kind} {n / len(rows):.1%}" for kind, n in kinds.items())
        + f"; reaction removals (delta -1) {removed / len(rows):.1%}"
    )

    with tempfile.TemporaryDirectory() as folder:
        folder_path = Path(folder)
        url = args.database_url or f"sqlite+aiosqlite:///{folder_path / 'recording.db'}"
        database = url.split("://")[0]
        raws: list[tuple[float, Checksum]] = []
        recordings: list[tuple[float, Checksum]] = []
        for n in range(args.repeat):  # alternated, so that a busy moment hits both
            raws.append(await raw(folder_path / f"raw{n}.db", rows))
            if args.database_url:
                await empty_interactions(url)
            else:
                url = f"sqlite+aiosqlite:///{folder_path / f'recording{n}.db'}"
            recordings.append(await recording(url, items, args.producers, args.batch))
            remove_databases(folder_path)  # a million rows each: keep one run's at most
        if args.database_url:
            await empty_interactions(url)
        else:
            url = f"sqlite+aiosqlite:///{folder_path / 'naive.db'}"
        naive_seconds, naive_checksum = await naive(url, sample)
    lines = {
        "raw": Line("raw sqlite3 executemany, one transaction", len(rows), raws, expected),
        "recording": Line(
            f"recording: InteractionRecorder, {args.producers} producers, batch {args.batch:,}",
            len(rows),
            recordings,
            expected,
        ),
        "naive": Line(
            f"naive ORM, one commit per event (first {len(sample):,} rows)",
            len(sample),
            [(naive_seconds, naive_checksum)],
            expected_sample,
        ),
    }
    print(f"database: {database} (raw: sqlite3 {sqlite3.sqlite_version}, WAL, synchronous=NORMAL)")
    show(lines, database)
    wrong = [
        f"{key}: stored {checksum}, produced {line.expected}"
        for key, line in lines.items()
        for _, checksum in line.runs
        if checksum != line.expected
    ]
    if wrong:
        print("FAILED:\n  " + "\n  ".join(wrong))
        raise SystemExit(1)
    print(
        f"check: every database holds exactly the rows produced ({expected.rows:,} rows, "
        f"net {expected.net:,}, and the same order-free checksum of every value)"
    )


if __name__ == "__main__":
    asyncio.run(main())

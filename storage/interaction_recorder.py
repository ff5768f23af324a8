"""The fast path for interactions: handlers hand them over, a batched writer stores them.

Every reaction in a busy community would otherwise be a transaction of its own. Here they wait
in a bounded queue and are written in batches (by size, or every few hundred milliseconds), one
transaction per batch, with the driver's executemany. A full queue makes `record` wait
(backpressure): nothing is dropped. `close` writes what is left.

One writer per process writes in id order, so the rollup's "last id" mark is safe (see
`EngagementRepository.roll_up`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from storage.engine import write_turn

log = logging.getLogger(__name__)

# A burst holds SQLite's write lock for about 25 ms per batch of this size.
BATCH = 10_000
FLUSH_SECONDS = 0.25
CAPACITY = 50_000
_COLUMNS = ("at", "day", "content_id", "member_id", "kind", "platform", "delta")


@dataclass(frozen=True)
class NewInteraction:
    content_id: int
    member_id: int
    kind: str
    platform: str
    at: datetime
    delta: int = 1  # -1 takes a reaction back


class InteractionRecorder:
    def __init__(
        self,
        engine: AsyncEngine,
        timezone: tzinfo,
        *,
        batch: int = BATCH,
        flush_seconds: float = FLUSH_SECONDS,
        capacity: int = CAPACITY,
    ) -> None:
        self._engine = engine
        self._timezone = timezone
        self._batch = batch
        self._flush_seconds = flush_seconds
        self._queue: asyncio.Queue[NewInteraction] = asyncio.Queue(capacity)
        self._writing = asyncio.Lock()  # one writer: ids commit in order
        self._sql = _insert_sql(engine.dialect.paramstyle)
        self._sqlite = engine.dialect.name == "sqlite"
        self._hour: _Hour | None = None
        self.written = 0

    async def record(self, interaction: NewInteraction) -> None:
        """Queue one interaction; waits while the queue is full."""
        await self._queue.put(interaction)

    @property
    def queued(self) -> int:
        return self._queue.qsize()

    async def run(self, stop: asyncio.Event) -> None:
        """Write batches until `stop` is set, then what is left."""
        while not stop.is_set():
            try:
                first = await asyncio.wait_for(self._queue.get(), timeout=self._flush_seconds)
            except TimeoutError:
                continue
            # Let a burst gather for a moment: one transaction for many rows.
            await asyncio.sleep(0 if self._queue.qsize() >= self._batch else self._flush_seconds)
            await self._write([first, *self._take(self._batch - 1)])
        await self.flush()

    async def flush(self) -> int:
        """Write everything queued now; returns how many rows."""
        total = 0
        while batch := self._take(self._batch):
            await self._write(batch)
            total += len(batch)
        return total

    def _take(self, most: int) -> list[NewInteraction]:
        taken: list[NewInteraction] = []
        while len(taken) < most and not self._queue.empty():
            taken.append(self._queue.get_nowait())
        return taken

    async def _write(self, batch: list[NewInteraction]) -> None:
        rows = [self._row(item) for item in batch]
        turn = write_turn(self._engine)
        async with self._writing:
            try:
                if turn is not None:
                    async with turn:
                        await self._insert(rows)
                else:
                    await self._insert(rows)
            except Exception:
                log.exception("interactions: a batch of %d could not be written", len(rows))
                raise
        self.written += len(rows)

    async def _insert(self, rows: list[tuple[Any, ...]]) -> None:
        async with self._engine.begin() as connection:
            await connection.exec_driver_sql(self._sql, rows)

    def _row(self, item: NewInteraction) -> tuple[Any, ...]:
        at = item.at if item.at.tzinfo is UTC else item.at.astimezone(UTC)
        hour = self._hour
        if hour is None or not hour.start <= at < hour.end:
            hour = self._hour = _Hour.of(at, self._timezone)
        day = hour.day if hour.day is not None else at.astimezone(self._timezone).date()
        rest = (item.content_id, item.member_id, item.kind, item.platform, item.delta)
        if self._sqlite:  # stored as SQLAlchemy stores them there: text
            # %-formatting: twice as fast as an f-string with format specs, on the hot path.
            text = "%s%02d:%02d.%06d" % (hour.prefix, at.minute, at.second, at.microsecond)  # noqa: UP031
            return (text, day.isoformat(), *rest)
        return (at, day, *rest)


@dataclass(frozen=True)
class _Hour:
    """What the rows of one UTC hour share: the start of their SQLite text, and (unless local
    midnight or a clock change falls inside the hour) their local day. Interactions come in
    bursts, and formatting each datetime in full was most of the cost of writing one."""

    start: datetime
    end: datetime
    prefix: str
    day: date | None

    @classmethod
    def of(cls, at: datetime, tz: tzinfo) -> _Hour:
        start = at.replace(minute=0, second=0, microsecond=0)
        end = start + timedelta(hours=1)
        first, last = start.astimezone(tz), (end - timedelta(microseconds=1)).astimezone(tz)
        steady = first.date() == last.date() and first.utcoffset() == last.utcoffset()
        return cls(start, end, f"{start:%Y-%m-%d %H:}", first.date() if steady else None)


def _insert_sql(paramstyle: str) -> str:
    marks = {
        "qmark": ["?"] * len(_COLUMNS),
        "numeric_dollar": [f"${n}" for n in range(1, len(_COLUMNS) + 1)],
        "format": ["%s"] * len(_COLUMNS),
    }[paramstyle]
    return f"INSERT INTO interactions ({', '.join(_COLUMNS)}) VALUES ({', '.join(marks)})"

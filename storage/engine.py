"""The async engine: SQLite (WAL) by default, PostgreSQL through asyncpg when the URL says so."""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from collections.abc import Callable
from functools import partial
from typing import Any

import aiosqlite
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool

BUSY_TIMEOUT_MS = 5000
SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")


def normalize_url(url: str) -> str:
    """Pick the async drivers: postgres(ql):// -> postgresql+asyncpg://, sqlite -> aiosqlite."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url.removeprefix(prefix)
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url.removeprefix("sqlite://")
    return url


def check_url(url: str) -> None:
    """Raise ValueError, with a message for the operator, unless knowpay can use `url`."""
    try:
        driver = make_url(url).drivername
    except ArgumentError:
        driver = None
    if driver not in SUPPORTED_DRIVERS:
        raise ValueError(
            "not a database URL knowpay can use: give sqlite:///FILE or "
            "postgresql://USER@HOST/DATABASE"
        )


def make_engine(url: str, *, search_path: str | None = None, in_loop: bool = False) -> AsyncEngine:
    """Build the engine for `url`; `search_path` puts a PostgreSQL connection in one schema.

    `in_loop` runs a SQLite file's calls in the event loop's own thread, for batch work that
    nothing else waits on (the demo); see `_InLoopConnection`. A bot serving people never does.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        in_memory = parsed.database in (None, "", ":memory:")
        if in_loop and not in_memory:
            assert parsed.database is not None
            return _sqlite_engine(url, in_memory=False, creator=_in_loop(parsed.database))
        return _sqlite_engine(url, in_memory=in_memory)
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if search_path:
        kwargs["connect_args"] = {"server_settings": {"search_path": search_path}}
    return create_async_engine(url, **kwargs)


class _InLoopConnection(aiosqlite.Connection):
    """aiosqlite without the trip to its thread: each call runs at once, blocking the loop.

    A trip there and back costs a thread wake-up each way, several per statement; on a small
    VM that was two thirds of the demo's time. Only the connecting and the closing still go
    through the thread, which aiosqlite starts and stops as usual.
    """

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)


def _in_loop(database: str) -> Callable[[], aiosqlite.Connection]:
    # Made in aiosqlite's thread, used in the loop's: hence check_same_thread off.
    connect = partial(
        sqlite3.connect, database, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
    )

    def connection() -> aiosqlite.Connection:
        made = _InLoopConnection(connect, iter_chunk_size=64)
        # As SQLAlchemy does for the connections it makes: one left open keeps no process up.
        made._thread.daemon = True
        return made

    return connection


def _sqlite_engine(
    url: str, *, in_memory: bool, creator: Callable[[], aiosqlite.Connection] | None = None
) -> AsyncEngine:
    kwargs: dict[str, Any] = {
        "connect_args": {"timeout": BUSY_TIMEOUT_MS / 1000},
        # Every unit of work ends in COMMIT or ROLLBACK, and SQLAlchemy rolls back a
        # connection closed mid-transaction itself: the pool's extra ROLLBACK on every return
        # is one more trip to aiosqlite's thread for nothing (about 40% of a short unit).
        "pool_reset_on_return": None,
    }
    if in_memory:
        # One connection kept open (or the database would vanish), handed to one unit of work
        # at a time: concurrent units of work queue for it instead of sharing a transaction.
        kwargs.update(poolclass=AsyncAdaptedQueuePool, pool_size=1, max_overflow=0)
    if creator is not None:
        kwargs = {"async_creator": creator, "pool_reset_on_return": None}
    engine = create_async_engine(url, **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below), so the driver must not start transactions.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front: two units of work then queue on the busy
        # timeout instead of failing with "database is locked" when a reader turns writer.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


_TURNS: weakref.WeakKeyDictionary[Engine, asyncio.Lock] = weakref.WeakKeyDictionary()


def write_turn(engine: AsyncEngine) -> asyncio.Lock | None:
    """For SQLite, the lock that queues this process's writers (None for PostgreSQL).

    SQLite has one writer at a time, and its busy handler is neither fair nor bounded: under
    a burst, a writer can starve past the busy timeout ("database is locked"). Queueing units
    of work in the process first hands the write lock over in order, at once.
    """
    if engine.dialect.name != "sqlite":
        return None
    return _TURNS.setdefault(engine.sync_engine, asyncio.Lock())


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False)

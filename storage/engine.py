"""The async engine: SQLite (WAL) by default, PostgreSQL through asyncpg when the URL says so."""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

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


def make_engine(url: str, *, search_path: str | None = None) -> AsyncEngine:
    """Build the engine for `url`; `search_path` puts a PostgreSQL connection in one schema."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, in_memory=parsed.database in (None, "", ":memory:"))
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if search_path:
        kwargs["connect_args"] = {"server_settings": {"search_path": search_path}}
    return create_async_engine(url, **kwargs)


def _sqlite_engine(url: str, *, in_memory: bool) -> AsyncEngine:
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

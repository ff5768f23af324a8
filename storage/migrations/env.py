"""Alembic environment.

`knowpay db upgrade` hands us an open connection (config.attributes["connection"]); the plain
`alembic` command line (for writing new migrations) connects to DATABASE_URL itself.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, Literal

from alembic import context
from sqlalchemy.engine import Connection

from storage.engine import make_engine, normalize_url
from storage.models import Base
from storage.models.base import UtcDateTime

target_metadata = Base.metadata


def _render_item(kind: str, item: Any, autogen_context: Any) -> str | Literal[False]:
    """Migrations stay independent of our column types: UtcDateTime is stored as a plain
    timezone-aware DateTime."""
    if kind == "type" and isinstance(item, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine() -> None:
    url = os.environ.get("DATABASE_URL", "sqlite+aiosqlite:///knowpay.db")
    engine = make_engine(normalize_url(url))
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_with_own_engine())

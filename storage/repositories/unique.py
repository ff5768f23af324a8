"""Inserting rows whose unique key may be taken already (a replay, a race)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Base


async def add_unless_taken(session: AsyncSession, *rows: Base) -> bool:
    """Insert the rows in a savepoint; False, with nothing written and the transaction still
    usable, when a unique key is already taken."""
    try:
        async with session.begin_nested():
            session.add_all(rows)
    except IntegrityError:
        return False
    return True

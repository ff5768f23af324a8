"""The outbox table: promised side effects, claimed by the worker when they are due."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxItem
from storage.repositories.unique import add_unless_taken


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self, kind: str, payload: dict[str, Any], *, key: str | None, now: datetime
    ) -> OutboxItem | None:
        """Queue an effect; None if one with the same dedupe key was queued before."""
        item = OutboxItem(
            kind=kind, payload=payload, dedupe_key=key, created_at=now, next_attempt_at=now
        )
        return item if await add_unless_taken(self._session, item) else None

    async def due(self, now: datetime, limit: int) -> Sequence[OutboxItem]:
        """Pending items whose time has come, oldest first. Locked and skipped by other
        workers on PostgreSQL, so two processes never take the same item."""
        return (
            await self._session.scalars(
                select(OutboxItem)
                .where(OutboxItem.status == "pending", OutboxItem.next_attempt_at <= now)
                .order_by(OutboxItem.next_attempt_at, OutboxItem.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()

    async def get(self, item_id: int) -> OutboxItem | None:
        return await self._session.get(OutboxItem, item_id)

    async def finish(self, item_id: int, attempt: int, now: datetime) -> bool:
        """Mark done, only if nobody else finished or retried it meanwhile (exactly once)."""
        result = await self._session.execute(
            update(OutboxItem)
            .where(
                OutboxItem.id == item_id,
                OutboxItem.status == "pending",
                OutboxItem.attempts == attempt,
            )
            .values(status="done", done_at=now, last_error=None)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def counts(self) -> dict[str, int]:
        rows = await self._session.execute(
            select(OutboxItem.status, func.count()).group_by(OutboxItem.status)
        )
        return {status: int(count) for status, count in rows}

    async def dead(self, limit: int = 20) -> Sequence[OutboxItem]:
        return (
            await self._session.scalars(
                select(OutboxItem)
                .where(OutboxItem.status == "dead")
                .order_by(OutboxItem.id.desc())
                .limit(limit)
            )
        ).all()

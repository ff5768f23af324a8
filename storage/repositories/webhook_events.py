"""Keeping every provider event once, and remembering which were processed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import WebhookEvent
from storage.repositories.unique import add_unless_taken


class WebhookEventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(
        self, provider: str, event_id: str, type_: str, payload: dict[str, Any], now: datetime
    ) -> WebhookEvent | None:
        """Keep a newly arrived event; None when this event id was kept before (a duplicate)."""
        event = WebhookEvent(
            provider=provider, event_id=event_id, type=type_, payload=payload, received_at=now
        )
        return event if await add_unless_taken(self._session, event) else None

    async def get(self, provider: str, event_id: str) -> WebhookEvent | None:
        return await self._session.scalar(
            select(WebhookEvent)
            .where(WebhookEvent.provider == provider, WebhookEvent.event_id == event_id)
            .with_for_update()
        )

    async def unprocessed(self, provider: str, limit: int = 100) -> Sequence[WebhookEvent]:
        return (
            await self._session.scalars(
                select(WebhookEvent)
                .where(WebhookEvent.provider == provider, WebhookEvent.processed_at.is_(None))
                .order_by(WebhookEvent.id)
                .limit(limit)
            )
        ).all()

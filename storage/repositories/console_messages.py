"""Private messages for console users, kept until their terminal shows them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConsoleMessage


class ConsoleMessageRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def keep(self, user_id: str, text: str, file_id: int | None, now: datetime) -> None:
        self._session.add(
            ConsoleMessage(user_id=user_id, text=text, file_id=file_id, created_at=now)
        )
        await self._session.flush()

    async def take_unshown(self, user_id: str, now: datetime) -> list[ConsoleMessage]:
        """The messages not yet shown to `user_id`, oldest first, marked shown as of `now`."""
        rows = list(
            await self._session.scalars(
                select(ConsoleMessage)
                .where(ConsoleMessage.user_id == user_id, ConsoleMessage.shown_at.is_(None))
                .order_by(ConsoleMessage.id)
                .with_for_update()
            )
        )
        for row in rows:
            row.shown_at = now
        await self._session.flush()
        return rows

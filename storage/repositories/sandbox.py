"""The sandbox's subscriptions and its clock."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Payment, SandboxClock, SandboxSubscription

_CLOCK_ROW = 1


class SandboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def clock_offset(self) -> int:
        """Seconds the sandbox's time runs ahead of the real one."""
        row = await self._session.get(SandboxClock, _CLOCK_ROW)
        return row.offset_seconds if row else 0

    async def move_clock(self, seconds: int) -> int:
        """Move the clock ahead; returns the new offset."""
        row = await self._session.get(SandboxClock, _CLOCK_ROW, with_for_update=True)
        if row is None:
            row = SandboxClock(id=_CLOCK_ROW, offset_seconds=0)
            self._session.add(row)
        row.offset_seconds += seconds
        await self._session.flush()
        return row.offset_seconds

    async def add(self, subscription: SandboxSubscription) -> None:
        self._session.add(subscription)
        await self._session.flush()

    async def get(self, subscription_ref: str) -> SandboxSubscription | None:
        return await self._session.get(SandboxSubscription, subscription_ref, with_for_update=True)

    async def due(self, now: datetime) -> list[SandboxSubscription]:
        """Running subscriptions whose period has reached its end: each has a charge to make
        (or an end to report)."""
        rows = await self._session.scalars(
            select(SandboxSubscription)
            .join(Payment, Payment.id == SandboxSubscription.payment_id)
            .where(SandboxSubscription.ended_at.is_(None), Payment.period_end <= now)
            .order_by(Payment.period_end)
        )
        return list(rows)

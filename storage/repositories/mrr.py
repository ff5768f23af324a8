"""What memberships bring in each month, as it changed: written by the memberships, read by
the report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import MrrChange


@dataclass(frozen=True)
class MrrAt:
    """A membership's monthly amount from `at` on, and why it changed then."""

    member_id: int
    membership_id: int
    at: datetime
    monthly_minor: int
    currency: str
    reason: str


class MrrRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, change: MrrChange) -> None:
        self._session.add(change)
        await self._session.flush()

    async def last_of(self, membership_id: int) -> MrrChange | None:
        return await self._session.scalar(
            select(MrrChange)
            .where(MrrChange.membership_id == membership_id)
            .order_by(MrrChange.at.desc(), MrrChange.id.desc())
            .limit(1)
        )

    async def before(self, instant: datetime) -> Sequence[MrrAt]:
        """Every change before `instant`, in the order they happened."""
        rows = await self._session.execute(
            select(
                MrrChange.member_id,
                MrrChange.membership_id,
                MrrChange.at,
                MrrChange.monthly_minor,
                MrrChange.currency,
                MrrChange.reason,
            )
            .where(MrrChange.at < instant)
            .order_by(MrrChange.at, MrrChange.id)
        )
        return [MrrAt(*row) for row in rows]

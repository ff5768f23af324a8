"""What memberships bring in each month, as it changed: written by the memberships, read by
the report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import MrrChange


@dataclass(frozen=True)
class MrrAt:
    """One membership's monthly amount at an instant, and why it last changed."""

    member_id: int
    membership_id: int
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

    async def at(self, instant: datetime) -> Sequence[MrrAt]:
        """Each membership's latest change before `instant` (those with none are left out)."""
        ranked = (
            select(
                MrrChange,
                func.row_number()
                .over(
                    partition_by=MrrChange.membership_id,
                    order_by=(MrrChange.at.desc(), MrrChange.id.desc()),
                )
                .label("rank"),
            )
            .where(MrrChange.at < instant)
            .subquery()
        )
        rows = await self._session.execute(
            select(
                ranked.c.member_id,
                ranked.c.membership_id,
                ranked.c.monthly_minor,
                ranked.c.currency,
                ranked.c.reason,
            ).where(ranked.c.rank == 1)
        )
        return [MrrAt(*row) for row in rows]

    async def paid_before(self, instant: datetime) -> set[int]:
        """Members with a membership that brought money in at some time before `instant`."""
        rows = await self._session.scalars(
            select(MrrChange.member_id)
            .where(MrrChange.at < instant, MrrChange.monthly_minor > 0)
            .distinct()
        )
        return set(rows)

"""Looking up a member's memberships."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Member, Membership


class MembershipRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, membership: Membership) -> Membership:
        self._session.add(membership)
        await self._session.flush()
        return membership

    async def get(self, member_id: int, tier: str) -> Membership | None:
        return await self._session.scalar(
            select(Membership)
            .where(Membership.member_id == member_id, Membership.tier == tier)
            .with_for_update()
        )

    async def listing(
        self, *, tier: str | None, status: str | None, limit: int
    ) -> Sequence[tuple[Membership, Member]]:
        query = (
            select(Membership, Member)
            .join(Member, Member.id == Membership.member_id)
            .order_by(Membership.ends_at.is_(None), Membership.ends_at, Membership.id)
            .limit(limit)
        )
        if tier:
            query = query.where(Membership.tier == tier)
        if status:
            query = query.where(Membership.status == status)
        return [(membership, member) for membership, member in await self._session.execute(query)]

    async def in_status(self, statuses: Iterable[str]) -> Sequence[Membership]:
        return (
            await self._session.scalars(
                select(Membership).where(Membership.status.in_(list(statuses))).with_for_update()
            )
        ).all()

    async def of_member(self, member_id: int) -> Sequence[Membership]:
        return (
            await self._session.scalars(
                select(Membership).where(Membership.member_id == member_id).order_by(Membership.id)
            )
        ).all()

    async def move_to(self, source_id: int, target_id: int) -> list[Membership]:
        """Give a folded member's memberships to `target_id`; returns those left behind
        because the target has a membership of the same tier."""
        taken = {m.tier for m in await self.of_member(target_id)}
        left: list[Membership] = []
        for membership in await self.of_member(source_id):
            if membership.tier in taken:
                left.append(membership)
            else:
                membership.member_id = target_id
        await self._session.flush()
        return left

"""Looking up a member's memberships."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Member, Membership, PlatformIdentity


@dataclass
class AccessRow:
    """One platform account with what its member holds: the input of reconciling."""

    platform_user_id: str
    member_id: int
    level: int  # the highest level any of the member's accounts has
    tiers_held: set[str] = field(default_factory=set)
    tiers_ended: set[str] = field(default_factory=set)  # ended since the `ended_since` asked


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

    async def ending_by(self, statuses: Iterable[str], by: datetime) -> Sequence[Membership]:
        """Memberships in `statuses` whose end or grace ends at or before `by`, locked: the
        few that time passing can change, not every member's."""
        return (
            await self._session.scalars(
                select(Membership)
                .where(
                    Membership.status.in_(list(statuses)),
                    or_(Membership.ends_at <= by, Membership.grace_until <= by),
                )
                .order_by(Membership.id)
                .with_for_update()
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

    async def access_rows(
        self,
        platform: str,
        holding: Iterable[str],
        ended_since: datetime,
        user_id: str | None = None,
    ) -> list[AccessRow]:
        """Every account on `platform` (or just `user_id`) with its member's tiers, in three
        queries whatever the number of members."""
        accounts = select(PlatformIdentity.platform_user_id, PlatformIdentity.member_id).where(
            PlatformIdentity.platform == platform
        )
        if user_id is not None:
            accounts = accounts.where(PlatformIdentity.platform_user_id == user_id)
        rows = {
            member_id: AccessRow(account, member_id, 0)
            for account, member_id in await self._session.execute(accounts)
        }
        if not rows:
            return []
        members = PlatformIdentity.member_id.in_(list(rows)) if user_id is not None else None
        levels = select(PlatformIdentity.member_id, func.max(PlatformIdentity.level)).group_by(
            PlatformIdentity.member_id
        )
        tiers = select(
            Membership.member_id, Membership.tier, Membership.status, Membership.updated_at
        )
        if members is not None:
            levels = levels.where(members)
            tiers = tiers.where(Membership.member_id.in_(list(rows)))
        for member_id, level in await self._session.execute(levels):
            if member_id in rows:
                rows[member_id].level = level
        held = set(holding)
        for member_id, tier, status, updated_at in await self._session.execute(tiers):
            if (row := rows.get(member_id)) is None:
                continue
            if status in held:
                row.tiers_held.add(tier)
            elif updated_at >= ended_since:
                row.tiers_ended.add(tier)
        return list(rows.values())

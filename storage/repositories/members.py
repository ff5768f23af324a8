"""Finding, creating and merging members and their platform identities."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from storage.models import Member, PlatformIdentity
from storage.repositories.unique import add_unless_taken

# Eager loading stops at the identity -> member -> identities cycle unless asked for by name,
# and a lazy load cannot happen under asyncio. Every event looks its actor up, so the member and
# all their identities come joined into that one query.
_WITH_MEMBER = joinedload(PlatformIdentity.member, innerjoin=True).joinedload(Member.identities)


class MemberRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, member_id: int) -> Member | None:
        return await self._session.get(Member, member_id)

    async def vouched_at_least(self, level: int) -> list[Member]:
        """Members some linked account of whom holds `level` or above (experts, staff)."""
        return list(
            await self._session.scalars(
                select(Member)
                .where(
                    Member.merged_into_id.is_(None),
                    Member.identities.any(PlatformIdentity.level >= level),
                )
                .order_by(Member.display_name)
            )
        )

    async def identity(self, platform: str, platform_user_id: str) -> PlatformIdentity | None:
        found = await self._session.execute(
            select(PlatformIdentity)
            .options(_WITH_MEMBER)
            .where(
                PlatformIdentity.platform == platform,
                PlatformIdentity.platform_user_id == platform_user_id,
            )
        )
        return found.unique().scalar_one_or_none()

    async def create_with_identity(
        self,
        *,
        platform: str,
        platform_user_id: str,
        display_name: str,
        username: str | None,
        level: int,
        now: datetime,
    ) -> PlatformIdentity | None:
        """Create a member for a new platform account; None if another event created it first."""
        member = Member(display_name=display_name, created_at=now)
        identity = PlatformIdentity(
            member=member,
            platform=platform,
            platform_user_id=platform_user_id,
            username=username,
            display_name=display_name,
            level=level,
            created_at=now,
            last_seen_at=now,
        )
        return identity if await add_unless_taken(self._session, member, identity) else None

    async def last_seen_platform(self, member_id: int) -> str | None:
        """The platform of the member's account seen most recently."""
        return await self._session.scalar(
            select(PlatformIdentity.platform)
            .where(PlatformIdentity.member_id == member_id)
            .order_by(PlatformIdentity.last_seen_at.desc(), PlatformIdentity.id.desc())
            .limit(1)
        )

    async def find_by_username(self, platform: str, username: str) -> Member | None:
        identity = await self._session.scalar(
            select(PlatformIdentity)
            .options(selectinload(PlatformIdentity.member).selectinload(Member.identities))
            .where(
                PlatformIdentity.platform == platform,
                func.lower(PlatformIdentity.username) == username.lower(),
            )
            .order_by(PlatformIdentity.last_seen_at.desc())
            .limit(1)
        )
        return identity.member if identity else None

    async def move_identities(self, source: Member, target: Member) -> None:
        """Fold `source` into `target`: every account of `source` now belongs to `target`."""
        # Through the relationship, so identities already loaded in this unit of work follow.
        for identity in list(source.identities):
            identity.member = target
        source.merged_into_id = target.id
        await self._session.flush()

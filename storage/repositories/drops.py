"""Looking up drops, their one-off purchases, and who wants new drops by private message."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Drop, DropFile, DropNotice, DropPurchase, Member, Membership


class DropRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, drop: Drop) -> Drop:
        self._session.add(drop)
        await self._session.flush()
        return drop

    async def get(self, drop_id: int) -> Drop | None:
        return await self._session.get(Drop, drop_id, with_for_update=True)

    async def listing(
        self, *, statuses: Sequence[str], author_id: int | None = None, limit: int = 20
    ) -> Sequence[Drop]:
        """The latest drops in these states (by one author, when given)."""
        query = select(Drop).where(Drop.status.in_(statuses))
        if author_id is not None:
            query = query.where(Drop.author_id == author_id)
        return (await self._session.scalars(query.order_by(Drop.id.desc()).limit(limit))).all()

    async def due(self, now: datetime) -> Sequence[int]:
        """Scheduled drops whose time has come."""
        return (
            await self._session.scalars(
                select(Drop.id).where(Drop.status == "scheduled", Drop.publish_at <= now)
            )
        ).all()

    async def add_file(self, file: DropFile) -> DropFile:
        self._session.add(file)
        await self._session.flush()
        return file

    async def file(self, file_id: int) -> DropFile | None:
        """A stored file, bytes and all (a deliverer uploading it)."""
        return await self._session.get(DropFile, file_id)

    async def file_of(self, drop_id: int) -> Row[int, str, int] | None:
        """The id, name and size of a drop's file, without reading its bytes."""
        query = select(DropFile.id, DropFile.filename, DropFile.size)
        return (await self._session.execute(query.where(DropFile.drop_id == drop_id))).first()

    async def purchase_of(self, drop_id: int, member_id: int) -> DropPurchase | None:
        return await self._session.scalar(
            select(DropPurchase)
            .where(DropPurchase.drop_id == drop_id, DropPurchase.member_id == member_id)
            .with_for_update()
        )

    async def purchase(self, purchase_id: int) -> DropPurchase | None:
        return await self._session.get(DropPurchase, purchase_id, with_for_update=True)

    async def add_purchase(self, purchase: DropPurchase) -> DropPurchase:
        self._session.add(purchase)
        await self._session.flush()
        return purchase

    async def purchases(self, drop_id: int) -> Sequence[DropPurchase]:
        return (
            await self._session.scalars(
                select(DropPurchase).where(
                    DropPurchase.drop_id == drop_id, DropPurchase.status == "paid"
                )
            )
        ).all()

    async def notice(self, member_id: int) -> DropNotice | None:
        return await self._session.get(DropNotice, member_id)

    async def set_notice(self, notice: DropNotice) -> None:
        await self._session.merge(notice)

    async def readers_to_notify(
        self, tiers: Iterable[str], statuses: Iterable[str]
    ) -> Sequence[Member]:
        """Members with a membership of one of `tiers` in one of `statuses` who asked for new
        drops by private message."""
        readers = (
            select(Membership.member_id)
            .join(DropNotice, DropNotice.member_id == Membership.member_id)
            .where(
                Membership.tier.in_(list(tiers)),
                Membership.status.in_(list(statuses)),
                DropNotice.enabled.is_(True),
            )
        )
        return (
            await self._session.scalars(
                select(Member).where(Member.id.in_(readers)).order_by(Member.id)
            )
        ).all()

"""Storing and consuming /link codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import LinkCode


class LinkCodeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, code: LinkCode) -> None:
        self._session.add(code)
        await self._session.flush()

    async def get(self, code_hash: str) -> LinkCode | None:
        return await self._session.get(LinkCode, code_hash, with_for_update=True)

    async def forget_member_codes(self, member_id: int) -> None:
        """A member holds one live code at a time: a new /link replaces the old one."""
        await self._session.execute(
            delete(LinkCode).where(LinkCode.member_id == member_id, LinkCode.used_at.is_(None))
        )

    async def prune(self, now: datetime) -> None:
        await self._session.execute(delete(LinkCode).where(LinkCode.expires_at < now))

"""Writing and reading the audit log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(
        self,
        action: str,
        *,
        at: datetime,
        actor_id: int | None,
        subject_id: int | None,
        detail: Mapping[str, str | int] | None = None,
    ) -> AuditEntry:
        entry = AuditEntry(
            action=action,
            at=at,
            actor_member_id=actor_id,
            subject_member_id=subject_id,
            detail=dict(detail or {}),
        )
        self._session.add(entry)
        await self._session.flush()
        return entry

    async def recent(
        self, *, member_id: int | None = None, limit: int = 20
    ) -> Sequence[AuditEntry]:
        """Newest first; with a member, the entries where they acted or were acted on."""
        query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
        if member_id is not None:
            query = query.where(
                or_(
                    AuditEntry.subject_member_id == member_id,
                    AuditEntry.actor_member_id == member_id,
                )
            )
        return (await self._session.scalars(query)).all()

"""Contents, the platform messages that show them, and the interactions rolled up by day."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Content, ContentMessage, Interaction, RollupMark, WeeklyFigures
from storage.repositories.unique import add_unless_taken

ROLLUP = "daily"
_ROLL_UP = text(
    """
    INSERT INTO interaction_days (day, content_id, member_id, kind, platform, count)
    SELECT day, content_id, member_id, kind, platform, SUM(delta) FROM interactions
    WHERE id > :low AND id <= :high
    GROUP BY day, content_id, member_id, kind, platform
    ON CONFLICT (day, content_id, member_id, kind, platform)
    DO UPDATE SET count = interaction_days.count + excluded.count
    """
)


class ContentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def by_ref(self, ref: str) -> Content | None:
        return await self._session.scalar(select(Content).where(Content.ref == ref))

    async def get(self, content_id: int) -> Content | None:
        return await self._session.get(Content, content_id)

    async def add(self, content: Content) -> Content:
        """Register `content`; if its ref is taken (registered concurrently), the first one."""
        if await add_unless_taken(self._session, content):
            return content
        existing = await self.by_ref(content.ref)
        assert existing is not None
        return existing

    async def show(self, message: ContentMessage) -> bool:
        """Map a platform message to its content; False if it was mapped already."""
        return await add_unless_taken(self._session, message)

    async def at_message(
        self, platform: str, chat_id: str, message_id: str, roles: Iterable[str]
    ) -> Content | None:
        return await self._session.scalar(
            select(Content)
            .join(ContentMessage, ContentMessage.content_id == Content.id)
            .where(
                ContentMessage.platform == platform,
                ContentMessage.chat_id == chat_id,
                ContentMessage.message_id == message_id,
                ContentMessage.role.in_(list(roles)),
            )
        )

    async def messages_of(self, content_id: int) -> list[ContentMessage]:
        return list(
            await self._session.scalars(
                select(ContentMessage)
                .where(ContentMessage.content_id == content_id)
                .order_by(ContentMessage.id)
            )
        )

    async def interaction_counts(self, content_id: int) -> list[tuple[str, str, int]]:
        """(kind, platform, count) of a content's interactions, reactions taken back netted."""
        rows = await self._session.execute(
            select(Interaction.kind, Interaction.platform, func.sum(Interaction.delta))
            .where(Interaction.content_id == content_id)
            .group_by(Interaction.kind, Interaction.platform)
        )
        return [(kind, platform, int(total)) for kind, platform, total in rows if total]

    async def weekly_figures(self, weeks: Iterable[str]) -> dict[str, WeeklyFigures]:
        """The figures kept for each of `weeks` that has been counted."""
        rows = await self._session.scalars(
            select(WeeklyFigures).where(WeeklyFigures.week.in_(list(weeks)))
        )
        return {row.week: row for row in rows}

    async def keep_weekly_figures(self, figures: WeeklyFigures) -> None:
        await self._session.merge(figures)

    async def roll_up(self) -> int:
        """Fold the interactions written since the last run into the daily rollup; returns how
        many raw rows that was. Safe because interactions are written in id order (one writer
        per process, storage/interaction_recorder.py) and the mark moves in the same transaction."""
        mark = await self._session.get(RollupMark, ROLLUP, with_for_update=True)
        if mark is None:
            mark = RollupMark(name=ROLLUP, last_id=0)
            self._session.add(mark)
        high = await self._session.scalar(select(func.max(Interaction.id))) or 0
        if high <= mark.last_id:
            return 0
        low = mark.last_id
        await self._session.execute(_ROLL_UP, {"low": low, "high": high})
        mark.last_id = high
        await self._session.flush()
        return int(high - low)

    async def prune(self, before: datetime) -> int:
        """Delete raw interactions older than `before` that are already rolled up."""
        mark = await self._session.get(RollupMark, ROLLUP)
        if mark is None:
            return 0
        result = await self._session.execute(
            delete(Interaction).where(Interaction.at < before, Interaction.id <= mark.last_id)
        )
        return int(getattr(result, "rowcount", 0) or 0)

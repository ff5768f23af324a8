"""Looking up paid questions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Question


class QuestionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, question: Question) -> Question:
        self._session.add(question)
        await self._session.flush()
        return question

    async def get(self, question_id: int) -> Question | None:
        return await self._session.get(Question, question_id, with_for_update=True)

    async def by_payment(self, payment_id: int) -> Question | None:
        return await self._session.scalar(
            select(Question).where(Question.payment_id == payment_id).with_for_update()
        )

    async def unanswered_due(self, now: datetime) -> Sequence[Question]:
        """Open questions whose answer is overdue (their askers are owed a refund)."""
        return (
            await self._session.scalars(
                select(Question)
                .where(Question.status == "open", Question.answer_due_at <= now)
                .with_for_update()
            )
        ).all()

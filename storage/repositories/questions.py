"""Looking up paid questions, experts' prices and listen-ins."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ExpertPrice, Question, QuestionUnlock


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

    async def answered_due(self, before: datetime) -> Sequence[Question]:
        """Answered questions the asker left without a reply since `before` (auto-accepted)."""
        return (
            await self._session.scalars(
                select(Question)
                .where(Question.status == "answered", Question.answered_at <= before)
                .with_for_update()
            )
        ).all()

    async def listing(
        self,
        *,
        statuses: Sequence[str] | None = None,
        member_id: int | None = None,
        limit: int = 20,
    ) -> Sequence[Question]:
        """The latest questions (in these states, when given); with `member_id`, only those
        they asked or answered (or were asked)."""
        query = select(Question)
        if statuses is not None:
            query = query.where(Question.status.in_(statuses))
        if member_id is not None:
            query = query.where(
                (Question.asker_id == member_id)
                | (Question.expert_id == member_id)
                | (Question.answerer_id == member_id)
            )
        return (await self._session.scalars(query.order_by(Question.id.desc()).limit(limit))).all()

    async def answered_by_anyone(self) -> Sequence[Question]:
        """Every paid question that was asked of an expert or answered: for the experts' rates."""
        return (
            await self._session.scalars(
                select(Question).where(
                    Question.status != "awaiting_payment",
                    (Question.expert_id.is_not(None)) | (Question.answerer_id.is_not(None)),
                )
            )
        ).all()

    async def move_to(self, source_id: int, target_id: int) -> None:
        """A folded member's questions, listen-ins and price become `target_id`'s (a listen-in
        of a question the target unlocked too, or a price beside the target's, stays behind)."""
        for column in (Question.asker_id, Question.expert_id, Question.answerer_id):
            await self._session.execute(
                update(Question).where(column == source_id).values({column: target_id})
            )
        unlocked = select(QuestionUnlock.question_id).where(QuestionUnlock.member_id == target_id)
        await self._session.execute(
            update(QuestionUnlock)
            .where(
                QuestionUnlock.member_id == source_id, QuestionUnlock.question_id.not_in(unlocked)
            )
            .values(member_id=target_id)
        )
        if await self.expert_price(target_id) is None:
            await self._session.execute(
                update(ExpertPrice)
                .where(ExpertPrice.member_id == source_id)
                .values(member_id=target_id)
            )

    async def expert_price(self, member_id: int) -> ExpertPrice | None:
        return await self._session.get(ExpertPrice, member_id)

    async def set_expert_price(self, price: ExpertPrice) -> None:
        await self._session.merge(price)

    async def expert_prices(self) -> Sequence[ExpertPrice]:
        return (await self._session.scalars(select(ExpertPrice))).all()

    async def unlock_of(self, question_id: int, member_id: int) -> QuestionUnlock | None:
        return await self._session.scalar(
            select(QuestionUnlock)
            .where(QuestionUnlock.question_id == question_id, QuestionUnlock.member_id == member_id)
            .with_for_update()
        )

    async def unlock(self, unlock_id: int) -> QuestionUnlock | None:
        return await self._session.get(QuestionUnlock, unlock_id, with_for_update=True)

    async def add_unlock(self, unlock: QuestionUnlock) -> QuestionUnlock:
        self._session.add(unlock)
        await self._session.flush()
        return unlock

    async def questions_of_unlocks(self, unlock_ids: Collection[int]) -> dict[int, int]:
        """The question each listen-in unlocked, by unlock id."""
        if not unlock_ids:
            return {}
        rows = await self._session.execute(
            select(QuestionUnlock.id, QuestionUnlock.question_id).where(
                QuestionUnlock.id.in_(unlock_ids)
            )
        )
        return {row.id: row.question_id for row in rows}

"""Paid questions: asked, paid into escrow, answered, then accepted (the expert is paid),
rejected, cancelled or refunded; the experts' own minimum prices; and listen-ins, the members
who paid to read an accepted answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UtcDateTime


class Question(Base):
    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    asker_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    # None: open to any expert; else only this one may answer.
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), default=None)
    text: Mapped[str] = mapped_column(Text)
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(8))
    # awaiting_payment, open, answered, rejected, accepted, refunding, refunded, disputed
    status: Mapped[str] = mapped_column(String(24), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), default=None)
    answer: Mapped[str | None] = mapped_column(Text, default=None)
    answerer_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    # Set when paid: unanswered by then, the asker is refunded.
    answer_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    # The asker's reason when they reject the answer; a moderator then upholds or dismisses it.
    rejection: Mapped[str | None] = mapped_column(Text, default=None)


class ExpertPrice(Base):
    """The lowest price an expert takes a question for (above `[qa] min_price`)."""

    __tablename__ = "expert_prices"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    min_price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(8))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class QuestionUnlock(Base):
    """A member who is not the asker or the expert, buying the right to read an accepted
    answer (listen-in). One per member and question."""

    __tablename__ = "question_unlocks"
    __table_args__ = (UniqueConstraint("question_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    # awaiting_payment, paid, refunded
    status: Mapped[str] = mapped_column(String(24))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)

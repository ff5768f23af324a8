"""Paid questions: asked, paid into escrow, answered, then accepted (the expert is paid),
rejected, cancelled or refunded."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text
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
    # awaiting_payment, open, answered, accepted, refunded
    status: Mapped[str] = mapped_column(String(24), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), default=None)
    answer: Mapped[str | None] = mapped_column(Text, default=None)
    answerer_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Set when paid: unanswered by then, the asker is refunded.
    answer_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)

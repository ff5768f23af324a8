"""The local sandbox's own state: its subscriptions' terms, its movable clock, and the
console's private messages waiting for a reader who is not connected."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UtcDateTime


class SandboxSubscription(Base):
    """What a sandbox subscription charges each period, kept apart from the payment (whose
    amount is what was charged first: nothing, for a trial)."""

    __tablename__ = "sandbox_subscriptions"

    subscription_ref: Mapped[str] = mapped_column(String(255), primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(8))
    period_days: Mapped[int] = mapped_column(Integer)
    # Set from the checkout page: the next charge is declined, once.
    fail_next_renewal: Mapped[bool] = mapped_column(default=False)
    renewals: Mapped[int] = mapped_column(Integer, default=0)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)


class SandboxClock(Base):
    """How far the sandbox's time runs ahead of the real one (one row)."""

    __tablename__ = "sandbox_clock"

    id: Mapped[int] = mapped_column(primary_key=True)
    offset_seconds: Mapped[int] = mapped_column(BigInteger, default=0)


class ConsoleMessage(Base):
    """A private message for a console user, kept until their terminal shows it."""

    __tablename__ = "console_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    text: Mapped[str] = mapped_column(Text)
    file_id: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    shown_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None, index=True)

"""Memberships: which tier a member is entitled to, until when (the desired state of access)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UtcDateTime


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("member_id", "tier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    tier: Mapped[str] = mapped_column(String(64))
    # trialing, active, grace, cancelled (runs to its end), expired, revoked
    status: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))  # payment or manual
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), default=None)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # None: a lifetime tier, never ends.
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None, index=True)
    grace_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    # Bumped on every grant and revocation, so the outbox keys of a new grant never collide
    # with those of an earlier one.
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class MrrChange(Base):
    """A change in what a membership brings in each month (MRR): written whenever that amount
    changes, so the report can tell, for any two instants, who started, upgraded, downgraded,
    churned or came back, and by how much."""

    __tablename__ = "mrr_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    # The monthly amount from then on: the price actually charged (a yearly one as a twelfth,
    # rounded), 0 once the membership no longer pays (ended, or a trial, a lifetime tier).
    monthly_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(8))
    # Why it went to 0: "voluntary" (cancelled, refunded, revoked) or "involuntary" (a failed
    # payment never recovered); else how it changed: "paid", "renewed", "changed".
    reason: Mapped[str] = mapped_column(String(16))

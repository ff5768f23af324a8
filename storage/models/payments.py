"""Payments, the webhook events that moved them, the ledger and the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, UtcDateTime


class Payment(Base):
    """One attempt to be paid for one purpose, from checkout to settlement (and refunds)."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the money is for: "membership:pro", "question:12", "drop:7".
    purpose: Mapped[str] = mapped_column(String(64), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    provider: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24), default="pending")
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(8))
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    # The provider's names for it: checkout session / invoice payload, payment intent or
    # Telegram charge, subscription, customer.
    checkout_ref: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    charge_ref: Mapped[str | None] = mapped_column(String(255), index=True, default=None)
    subscription_ref: Mapped[str | None] = mapped_column(String(255), index=True, default=None)
    customer_ref: Mapped[str | None] = mapped_column(String(255), default=None)
    subscription_status: Mapped[str | None] = mapped_column(String(24), default=None)
    cancel_at_period_end: Mapped[bool] = mapped_column(default=False)
    period_end: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    # The terms the checkout offered: renews every month or year (None: paid once), after a
    # free trial of so many days.
    interval: Mapped[str | None] = mapped_column(String(8), default=None)
    trial_days: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None, index=True)


class WebhookEvent(Base):
    """A provider's event exactly as it arrived: kept, deduplicated, processed once."""

    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class LedgerTransaction(Base):
    __tablename__ = "ledger_transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    # Posting twice with one reference is a no-op: replays cannot double-count.
    reference: Mapped[str] = mapped_column(String(255), unique=True)
    memo: Mapped[str] = mapped_column(String(255), default="")
    entries: Mapped[list[LedgerEntry]] = relationship(
        back_populates="transaction", lazy="selectin", order_by="LedgerEntry.id"
    )


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"), index=True)
    account: Mapped[str] = mapped_column(String(128), index=True)
    currency: Mapped[str] = mapped_column(String(8))
    # Debits positive, credits negative; every transaction sums to zero per currency.
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    transaction: Mapped[LedgerTransaction] = relationship(back_populates="entries")


class OutboxItem(Base):
    """A side effect promised in a transaction, delivered after it commits (and retried)."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    dedupe_key: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)

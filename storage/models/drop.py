"""Premium content drops: a creator's write-up, code or link for the members of some tiers,
published now or at a set time, and maybe sold one-off; who bought one; who wants new drops by
private message."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UtcDateTime


class Drop(Base):
    __tablename__ = "drops"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500), default=None)
    # The keys of the tiers whose members read it in full.
    tiers: Mapped[list[str]] = mapped_column(JSON)
    # Sold one-off to anyone when set.
    price_minor: Mapped[int | None] = mapped_column(BigInteger, default=None)
    currency: Mapped[str | None] = mapped_column(String(8), default=None)
    # draft, scheduled, publishing, published, cancelled, deleted
    status: Mapped[str] = mapped_column(String(16), index=True)
    publish_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None, index=True)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    # Bumped by every edit: each edit of the posted copies is promised once.
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DropPurchase(Base):
    """A member buying one drop (one-off), whatever tiers they hold."""

    __tablename__ = "drop_purchases"
    __table_args__ = (UniqueConstraint("drop_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    drop_id: Mapped[int] = mapped_column(ForeignKey("drops.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    # awaiting_payment, paid, refunded
    status: Mapped[str] = mapped_column(String(24))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)


class DropNotice(Base):
    """A member's choice about new drops by private message (/notify on|off)."""

    __tablename__ = "drop_notices"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DropFile(Base):
    """The file that goes with a drop (a PDF write-up, a code archive, an image). Its bytes
    live here, so the outbox's effects name it by id and every platform uploads the same file
    whenever the post goes out."""

    __tablename__ = "drop_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    # One file per drop.
    drop_id: Mapped[int] = mapped_column(ForeignKey("drops.id"), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str | None] = mapped_column(String(255), default=None)
    size: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes] = mapped_column(LargeBinary)

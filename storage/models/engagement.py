"""Contents and the interactions members have with them (I_cu), raw and rolled up by day."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UtcDateTime

# SQLite makes only an INTEGER PRIMARY KEY the fast rowid; PostgreSQL wants room for billions.
RowId = BigInteger().with_variant(Integer(), "sqlite")

# How a platform message leads back to its content (ContentMessage.role): a copy shows it (its
# reactions count), a reply answers it, a thread is where it is discussed (the message id is
# the thread's own id, and the chat the chat its messages arrive in).
COPY, REPLY, THREAD = "copy", "reply", "thread"


class Content(Base):
    """Something members can engage with: a drop, a question, an answer, a tracked post."""

    __tablename__ = "contents"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # post, drop, question, answer
    # The owning cog's name for it ("drop:12"), unique: registering twice finds the first.
    ref: Mapped[str] = mapped_column(String(160), unique=True)
    author_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), default=None)
    title: Mapped[str] = mapped_column(String(200), default="")
    # Its price if it is sold (V_c), else the community's default content value applies.
    price_minor: Mapped[int | None] = mapped_column(BigInteger, default=None)
    currency: Mapped[str | None] = mapped_column(String(8), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class ContentMessage(Base):
    """A platform message that shows a content (a copy) or replies to it (a reply), or the
    thread where it is discussed: each leads back to the content, so every platform's copy
    counts for the same one."""

    __tablename__ = "content_messages"
    __table_args__ = (UniqueConstraint("platform", "chat_id", "message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    content_id: Mapped[int] = mapped_column(ForeignKey("contents.id"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(8), default=COPY)


class Interaction(Base):
    """One interaction as it happened (kept `[engagement] retention_days`). A removed reaction
    is a row with delta -1 that cancels the +1."""

    __tablename__ = "interactions"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    day: Mapped[date] = mapped_column(Date)  # in the community's timezone
    content_id: Mapped[int] = mapped_column(Integer)
    member_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(24))
    platform: Mapped[str] = mapped_column(String(16))
    delta: Mapped[int] = mapped_column(SmallInteger, default=1)


class InteractionDay(Base):
    """Interactions per (day, content, member, kind, platform): reports read these, so their
    cost follows the distinct pairs, not the raw events."""

    __tablename__ = "interaction_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    content_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), primary_key=True)
    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class RollupMark(Base):
    """How far the raw interactions have been rolled up (the last id included)."""

    __tablename__ = "rollup_marks"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger)


class ReportRun(Base):
    """A weekly report that was delivered: the scheduled job runs each week once."""

    __tablename__ = "report_runs"

    week: Mapped[str] = mapped_column(String(8), primary_key=True)  # ISO week, "2026-W48"
    delivered_at: Mapped[datetime] = mapped_column(UtcDateTime())


class WeeklyFigures(Base):
    """A past week's figures for the report's 12-week trend, kept once counted: its active
    members (from the rollup) and its gross income by source (from the ledger), so that later
    reports read one row instead of counting again."""

    __tablename__ = "weekly_figures"

    week: Mapped[str] = mapped_column(String(8), primary_key=True)  # ISO week, "2026-W48"
    active_members: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(8))
    gross_by_source: Mapped[dict[str, int]] = mapped_column(JSON)

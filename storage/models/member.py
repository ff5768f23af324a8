"""Members and the platform accounts that belong to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, UtcDateTime


class Member(Base):
    """One person in the community, whatever platforms they use."""

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(100))
    # The language the member chose with /language; None means "as my platform says".
    locale: Mapped[str | None] = mapped_column(String(16), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Set when /link folded this member into another one; kept so history still resolves.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), default=None)

    identities: Mapped[list[PlatformIdentity]] = relationship(
        back_populates="member", lazy="selectin", order_by="PlatformIdentity.id"
    )


class PlatformIdentity(Base):
    """An account on one platform (a Discord user, a Telegram user, a console name)."""

    __tablename__ = "platform_identities"
    __table_args__ = (UniqueConstraint("platform", "platform_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    platform_user_id: Mapped[str] = mapped_column(String(64))
    username: Mapped[str | None] = mapped_column(String(100), default=None, index=True)
    display_name: Mapped[str] = mapped_column(String(100))
    # The level this platform vouches for (roles, admin lists); a member holds the highest
    # level any of their identities has.
    level: Mapped[int] = mapped_column(Integer, default=0)
    # The language this platform last said the person uses (a supported locale), for what the
    # bot tells them outside a command when they chose none with /language.
    language: Mapped[str | None] = mapped_column(String(16), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())

    member: Mapped[Member] = relationship(back_populates="identities", lazy="selectin")

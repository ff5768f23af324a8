"""The audit log: who changed what about whom, and why."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UtcDateTime


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    action: Mapped[str] = mapped_column(String(64))
    # None when the system acted on its own (a platform role sync, a scheduled job).
    actor_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), default=None)
    subject_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id"), default=None, index=True
    )
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

"""ORM models. Importing this package registers every table on `Base.metadata`."""

from storage.models.audit import AuditEntry
from storage.models.base import Base
from storage.models.drop import Drop, DropFile, DropNotice, DropPurchase
from storage.models.engagement import (
    Content,
    ContentMessage,
    Interaction,
    InteractionDay,
    ReportRun,
    RollupMark,
    WeeklyFigures,
)
from storage.models.link_code import LinkCode
from storage.models.member import Member, PlatformIdentity
from storage.models.membership import Membership, MrrChange
from storage.models.payments import (
    LedgerEntry,
    LedgerTransaction,
    OutboxItem,
    Payment,
    WebhookEvent,
)
from storage.models.question import ExpertPrice, Question, QuestionUnlock
from storage.models.sandbox import ConsoleMessage, SandboxClock, SandboxSubscription

__all__ = [
    "AuditEntry",
    "Base",
    "ConsoleMessage",
    "Content",
    "ContentMessage",
    "Drop",
    "DropFile",
    "DropNotice",
    "DropPurchase",
    "ExpertPrice",
    "Interaction",
    "InteractionDay",
    "LedgerEntry",
    "LedgerTransaction",
    "LinkCode",
    "Member",
    "Membership",
    "MrrChange",
    "OutboxItem",
    "Payment",
    "PlatformIdentity",
    "Question",
    "QuestionUnlock",
    "ReportRun",
    "RollupMark",
    "SandboxClock",
    "SandboxSubscription",
    "WebhookEvent",
    "WeeklyFigures",
]

"""The outbox: side effects promised in a transaction, carried out after it commits.

Writers queue durable effects in the same transaction as the state change that calls for
them (`queue`); the delivery worker (`bot.core.delivery`) hands each to the `Deliverer` of its
platform, or of the payment providers, and retries what fails. Deliverers get a `Recipient`, a
plain value read inside the worker's unit of work, never a database row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.core.effects import (
    AdmitToTelegramChat,
    Button,
    CancelSubscription,
    DeleteMessage,
    DurableEffect,
    EditMessage,
    GrantDiscordRole,
    NotifyMember,
    Posted,
    PostToChat,
    RefundPayment,
    RemoveFromTelegramChat,
    RevokeDiscordRole,
)
from storage.models import OutboxItem
from storage.uow import UnitOfWork

_KINDS: dict[str, type[DurableEffect]] = {
    cls.__name__: cls
    for cls in (
        NotifyMember,
        RefundPayment,
        CancelSubscription,
        GrantDiscordRole,
        RevokeDiscordRole,
        AdmitToTelegramChat,
        RemoveFromTelegramChat,
        DeleteMessage,
        EditMessage,
        PostToChat,
    )
}
# The deliverer that talks to payment providers (refunds, cancellations) registers under this name.
PAYMENTS = "payments"


def encode(effect: DurableEffect) -> tuple[str, dict[str, Any]]:
    return type(effect).__name__, asdict(effect)


def decode(kind: str, payload: Mapping[str, Any]) -> DurableEffect:
    cls = _KINDS[kind]
    values = dict(payload)
    if "buttons" in values:
        values["buttons"] = tuple(Button(**button) for button in values["buttons"])
    return cls(**values)


async def queue(uow: UnitOfWork, effect: DurableEffect, *, key: str, now: datetime) -> bool:
    """Promise `effect`, once per `key`; False if it was promised before."""
    kind, payload = encode(effect)
    return await uow.outbox.add(kind, payload, key=key, now=now) is not None


async def retry_dead(uow: UnitOfWork, item_id: int, now: datetime) -> OutboxItem | None:
    """A moderator's second chance for a dead item: pending again, attempts reset."""
    item = await uow.outbox.get(item_id)
    if item is None or item.status != "dead":
        return None
    item.status, item.attempts, item.next_attempt_at = "pending", 0, now
    return item


class PermanentFailure(Exception):
    """Delivery can never succeed (the user blocked the bot, the role is above ours)."""


@dataclass(frozen=True)
class Recipient:
    """The account on one platform that a member-addressed effect goes to."""

    member_id: int
    platform: str
    user_id: str  # the platform's id for the account
    display_name: str


class Deliverer(Protocol):
    """A platform adapter's side of the outbox (or the payment providers', for refunds)."""

    platform: str

    async def deliver(self, effect: DurableEffect, recipient: Recipient | None) -> Posted | None:
        """Carry the effect out for this account (None for effects with no member); a
        PostToChat says what it posted, when the platform names its messages."""
        ...

"""The outbox: side effects promised in a transaction, delivered after it commits.

Writers queue durable effects in the same transaction as the state change that calls for
them. The worker claims due items, hands each to the adapter of its platform, and retries
failures with exponential backoff; after `max_attempts` an item is dead (shown in /healthz and
to moderators with /outbox). Delivery is at least once: an item is marked done, once, only
after the adapter succeeded. A post that shows a content has its messages (and the thread it
started) mapped to that content in the same transaction.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.core.clock import Clock
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
from storage.models import ContentMessage, OutboxItem, PlatformIdentity
from storage.models.engagement import COPY, THREAD
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

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
# Which platform carries each member-addressed effect.
_PLATFORM_OF: dict[type[Any], str] = {
    GrantDiscordRole: "discord",
    RevokeDiscordRole: "discord",
    AdmitToTelegramChat: "telegram",
    RemoveFromTelegramChat: "telegram",
}
# Effects on a chat's messages, carried by the platform they name.
_IN_CHATS = (PostToChat, DeleteMessage, EditMessage)
# The deliverer that talks to payment providers (refunds, cancellations) registers under this name.
PAYMENTS = "payments"
# DMs go to the first platform, in this order, where the member has an account.
DM_PREFERENCE = ("discord", "telegram", "console")


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


class PermanentFailure(Exception):
    """Delivery can never succeed (the user blocked the bot, the role is above ours)."""


class Deliverer(Protocol):
    """A platform adapter's side of the outbox."""

    platform: str

    async def deliver(
        self, effect: DurableEffect, account: PlatformIdentity | None
    ) -> Posted | None:
        """Carry the effect out for this account (None for effects with no member); a
        PostToChat says what it posted, when the platform names its messages."""
        ...


@dataclass(frozen=True)
class OutboxSettings:
    max_attempts: int = 8
    first_retry: timedelta = timedelta(seconds=5)
    longest_retry: timedelta = timedelta(hours=1)
    batch: int = 50


class OutboxWorker:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        deliverers: Mapping[str, Deliverer],
        clock: Clock,
        settings: OutboxSettings | None = None,
    ) -> None:
        self._uow = uow
        self._deliverers = dict(deliverers)
        self._clock = clock
        self._settings = settings or OutboxSettings()
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Something was queued: look now instead of at the next poll."""
        self._wake.set()

    async def run(self, stop: asyncio.Event, poll_seconds: float = 2.0) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:
                log.exception("outbox: a round failed; trying again shortly")
            self._wake.clear()
            waiters = {asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())}
            _, pending = await asyncio.wait(
                waiters, timeout=poll_seconds, return_when=asyncio.FIRST_COMPLETED
            )
            for waiter in pending:
                waiter.cancel()

    async def run_once(self) -> int:
        """Deliver every item that is due now; returns how many were attempted."""
        claimed = await self._claim()
        for item_id, attempt, effect in claimed:
            await self._deliver(item_id, attempt, effect)
        return len(claimed)

    async def _claim(self) -> list[tuple[int, int, DurableEffect]]:
        """Take due items and push their next attempt into the future before delivering: if
        the process dies mid-delivery, the item comes back after its backoff."""
        now = self._clock.now()
        async with self._uow() as uow:
            items = await uow.outbox.due(now, self._settings.batch)
            for item in items:
                item.attempts += 1
                item.next_attempt_at = now + self._backoff(item.attempts)
            return [(item.id, item.attempts, decode(item.kind, item.payload)) for item in items]

    async def _deliver(self, item_id: int, attempt: int, effect: DurableEffect) -> None:
        try:
            outcome = await self._carry_out(effect)
        except PermanentFailure as failure:
            await self._failed(item_id, f"permanent: {failure}", dead=True)
            return
        except Exception as error:  # any adapter failure is retried, up to max_attempts
            dead = attempt >= self._settings.max_attempts
            await self._failed(item_id, f"{type(error).__name__}: {error}", dead=dead)
            return
        async with self._uow() as uow:
            # Even when another worker finished the item first: what this one posted is out
            # there too, and its reactions should count.
            if isinstance(outcome, Posted) and isinstance(effect, PostToChat):
                await _show_posted(uow, effect, outcome)
            if not await uow.outbox.finish(item_id, attempt, self._clock.now()):
                log.warning("outbox: item %d was finished by someone else", item_id)
            elif isinstance(outcome, str):
                item = await uow.outbox.get(item_id)
                if item is not None:
                    item.last_error = outcome

    async def _carry_out(self, effect: DurableEffect) -> str | Posted | None:
        """Deliver; returns a note when there was nothing to do (no account, no adapter), or
        what a post put on its platform."""
        if isinstance(effect, (*_IN_CHATS, RefundPayment, CancelSubscription)):
            target = effect.platform if isinstance(effect, _IN_CHATS) else PAYMENTS
            deliverer = self._deliverers.get(target)
            if deliverer is None:
                return f"skipped: {target} is not connected"
            return await deliverer.deliver(effect, None)
        accounts = await self._accounts(effect.member_id)
        if isinstance(effect, NotifyMember):
            await self._notify(effect, accounts)
            return None
        platform = _PLATFORM_OF[type(effect)]
        account = accounts.get(platform)
        deliverer = self._deliverers.get(platform)
        if account is None or deliverer is None:
            # Access follows the member when they link or join that platform (reconcile).
            return f"skipped: no {platform} account or adapter"
        await deliverer.deliver(effect, account)
        return None

    async def _notify(self, effect: NotifyMember, accounts: Mapping[str, PlatformIdentity]) -> None:
        refusals: list[str] = []
        for platform in DM_PREFERENCE:
            account, deliverer = accounts.get(platform), self._deliverers.get(platform)
            if account is None or deliverer is None:
                continue
            try:
                await deliverer.deliver(effect, account)
                return
            except PermanentFailure as refusal:
                refusals.append(f"{platform}: {refusal}")
        raise PermanentFailure("; ".join(refusals) or "the member has no reachable account")

    async def _accounts(self, member_id: int) -> dict[str, PlatformIdentity]:
        async with self._uow() as uow:
            member = await uow.members.get(member_id)
            while member is not None and member.merged_into_id is not None:
                member = await uow.members.get(member.merged_into_id)
            if member is None:
                return {}
            accounts: dict[str, PlatformIdentity] = {}
            for identity in sorted(member.identities, key=lambda i: i.last_seen_at, reverse=True):
                accounts.setdefault(identity.platform, identity)
            return accounts

    async def _failed(self, item_id: int, error: str, *, dead: bool) -> None:
        async with self._uow() as uow:
            item = await uow.outbox.get(item_id)
            if item is None or item.status != "pending":
                return
            item.last_error = error[:2000]
            if dead:
                item.status = "dead"
                log.error("outbox: item %d (%s) is dead: %s", item_id, item.kind, error)
            else:
                log.warning(
                    "outbox: item %d (%s) failed, will retry: %s", item_id, item.kind, error
                )

    def _backoff(self, attempt: int) -> timedelta:
        delay = self._settings.first_retry * (1 << min(attempt - 1, 30))
        capped = min(delay, self._settings.longest_retry)
        # Jitter spreads retries so a recovering platform is not hit by all of them at once.
        jitter: float = random.uniform(0.8, 1.0)
        return capped * jitter


async def _show_posted(uow: UnitOfWork, effect: PostToChat, posted: Posted) -> None:
    """Map each posted message, and the thread, to the content the post shows. A message
    mapped before is left as it is: a redelivery, or a Discord forum post's first message,
    whose id is also its thread's."""
    if effect.content_ref is None:
        return
    content = await uow.contents.by_ref(effect.content_ref)
    if content is None:
        log.warning("outbox: post shows content %r, which is not registered", effect.content_ref)
        return
    shown = [(chat_id, message_id, COPY) for chat_id, message_id in posted.messages]
    if posted.thread is not None:
        shown.append((posted.thread.chat_id, posted.thread.thread_key, THREAD))
    for chat_id, message_id, role in shown:
        await uow.contents.show(
            ContentMessage(
                content_id=content.id,
                platform=effect.platform,
                chat_id=chat_id,
                message_id=message_id,
                role=role,
            )
        )


async def retry_dead(uow: UnitOfWork, item_id: int, now: datetime) -> OutboxItem | None:
    """A moderator's second chance for a dead item: pending again, attempts reset."""
    item = await uow.outbox.get(item_id)
    if item is None or item.status != "dead":
        return None
    item.status, item.attempts, item.next_attempt_at = "pending", 0, now
    return item

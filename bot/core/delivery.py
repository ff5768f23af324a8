"""Delivery: the worker that carries out what the outbox promised.

The worker claims due items, hands each to the deliverer of its platform, and retries
failures with exponential backoff; after `max_attempts` an item is dead (shown in /healthz and
to moderators with /outbox). Delivery is at least once: an item is marked done, once, only
after the deliverer succeeded. A post that shows a content has its messages (and the thread it
started) mapped to that content in the same transaction.

A round reads the accounts of all the members its batch addresses in one transaction, and
marks delivered items done together: right after a delivery that took `finish_within` or
longer, else once the oldest of them was delivered `finish_within` ago, and at the end of the
round. A crash in between delivers those few items again (at least once) and skips none.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.core.clock import Clock
from bot.core.effects import (
    AdmitToTelegramChat,
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
from bot.core.outbox import PAYMENTS, Deliverer, PermanentFailure, Recipient, decode
from storage.models import ContentMessage, Member, PlatformIdentity
from storage.models.engagement import COPY, THREAD
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

# Which platform carries each member-addressed effect.
_PLATFORM_OF: dict[type[Any], str] = {
    GrantDiscordRole: "discord",
    RevokeDiscordRole: "discord",
    AdmitToTelegramChat: "telegram",
    RemoveFromTelegramChat: "telegram",
}
# Effects on a chat's messages, carried by the platform they name.
_IN_CHATS = (PostToChat, DeleteMessage, EditMessage)
# DMs go to the first platform, in this order, where the member has an account.
DM_PREFERENCE = ("discord", "telegram", "console")


@dataclass(frozen=True)
class OutboxSettings:
    max_attempts: int = 8
    first_retry: timedelta = timedelta(seconds=5)
    longest_retry: timedelta = timedelta(hours=1)
    batch: int = 50
    # Delivered items are marked done together within this span (zero: each on its own).
    finish_within: timedelta = timedelta(milliseconds=100)
    # How long a claimed item stays with the worker that claimed it: longer than a batch takes
    # against a rate-limited platform, so a second instance never delivers it again; after a
    # crash it comes back once this has passed.
    lease: timedelta = timedelta(minutes=2)


Accounts = Mapping[int, Mapping[str, Recipient]]  # member id -> platform -> account


@dataclass(frozen=True)
class _Delivered:
    item_id: int
    attempt: int
    effect: DurableEffect
    outcome: str | Posted | None


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
        members = (_member_of(effect) for _, _, effect in claimed)
        accounts = await self._accounts(member for member in members if member is not None)
        within = self._settings.finish_within.total_seconds()
        delivered: list[_Delivered] = []
        oldest = 0.0  # when the first of `delivered` was delivered
        try:
            for item_id, attempt, effect in claimed:
                started = time.monotonic()
                done = await self._deliver(item_id, attempt, effect, accounts)
                now = time.monotonic()
                if done is not None:
                    oldest = oldest if delivered else now
                    delivered.append(done)
                if delivered and (now - started >= within or now - oldest >= within):
                    finishing, delivered = delivered, []
                    await self._finish(finishing)
        except Exception:
            await self._finish(delivered)  # what went out is done, whatever failed after it
            raise
        await self._finish(delivered)
        return len(claimed)

    async def _claim(self) -> list[tuple[int, int, DurableEffect]]:
        """Take due items and lease them before delivering: if the process dies mid-delivery,
        the item comes back when the lease ends; a failure sets its retry time itself."""
        now = self._clock.now()
        async with self._uow() as uow:
            items = await uow.outbox.due(now, self._settings.batch)
            for item in items:
                item.attempts += 1
                item.next_attempt_at = now + self._settings.lease
            return [(item.id, item.attempts, decode(item.kind, item.payload)) for item in items]

    async def _deliver(
        self, item_id: int, attempt: int, effect: DurableEffect, accounts: Accounts
    ) -> _Delivered | None:
        """Carry the item out; what was delivered is for `_finish`, a failure is recorded."""
        try:
            outcome = await self._carry_out(effect, accounts)
        except PermanentFailure as failure:
            await self._failed(item_id, f"permanent: {failure}", dead=True)
            return None
        except Exception as error:  # any adapter failure is retried, up to max_attempts
            dead = attempt >= self._settings.max_attempts
            await self._failed(item_id, f"{type(error).__name__}: {error}", dead=dead)
            return None
        return _Delivered(item_id, attempt, effect, outcome)

    async def _finish(self, delivered: Sequence[_Delivered]) -> None:
        """Mark delivered items done, in one transaction: each once, for the attempt that
        delivered it."""
        if not delivered:
            return
        async with self._uow() as uow:
            now = self._clock.now()
            for done in delivered:
                # Even when another worker finished the item first: what this one posted is
                # out there too, and its reactions should count.
                if isinstance(done.outcome, Posted) and isinstance(done.effect, PostToChat):
                    await _show_posted(uow, done.effect, done.outcome)
                if not await uow.outbox.finish(done.item_id, done.attempt, now):
                    log.warning("outbox: item %d was finished by someone else", done.item_id)
                elif isinstance(done.outcome, str):
                    item = await uow.outbox.get(done.item_id)
                    if item is not None:
                        item.last_error = done.outcome

    async def _carry_out(self, effect: DurableEffect, accounts: Accounts) -> str | Posted | None:
        """Deliver; returns a note when there was nothing to do (no account, no adapter), or
        what a post put on its platform."""
        if isinstance(effect, (*_IN_CHATS, RefundPayment, CancelSubscription)):
            target = effect.platform if isinstance(effect, _IN_CHATS) else PAYMENTS
            deliverer = self._deliverers.get(target)
            if deliverer is None:
                return f"skipped: {target} is not connected"
            return await deliverer.deliver(effect, None)
        mine = accounts.get(effect.member_id, {})
        if isinstance(effect, NotifyMember):
            await self._notify(effect, mine)
            return None
        platform = _PLATFORM_OF[type(effect)]
        account = mine.get(platform)
        deliverer = self._deliverers.get(platform)
        if account is None or deliverer is None:
            # Access follows the member when they link or join that platform (reconcile).
            return f"skipped: no {platform} account or adapter"
        await deliverer.deliver(effect, account)
        return None

    async def _notify(self, effect: NotifyMember, accounts: Mapping[str, Recipient]) -> None:
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

    async def _accounts(self, member_ids: Iterable[int]) -> dict[int, dict[str, Recipient]]:
        """Each member's most recently seen account per platform, in one transaction; a member
        folded into another by /link has that one's accounts."""
        wanted = set(member_ids)
        if not wanted:
            return {}
        loaded: dict[int, Member] = {}
        accounts: dict[int, dict[str, Recipient]] = {}
        async with self._uow() as uow:
            asked, missing = set(wanted), wanted
            while missing:  # follow merges to the members that hold the accounts now
                found = await uow.session.scalars(select(Member).where(Member.id.in_(missing)))
                loaded.update((member.id, member) for member in found)
                missing = {m.merged_into_id for m in loaded.values() if m.merged_into_id} - asked
                asked |= missing
            for member_id in wanted:
                member, seen = loaded.get(member_id), {member_id}
                while member is not None and (into := member.merged_into_id) is not None:
                    member = loaded.get(into) if into not in seen else None  # a loop holds no one
                    seen.add(into)
                mine: dict[str, Recipient] = {}
                accounts[member_id] = mine
                if member is None:
                    continue
                newest_first = sorted(member.identities, key=lambda i: i.last_seen_at, reverse=True)
                for identity in newest_first:
                    mine.setdefault(identity.platform, _recipient(identity))
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
                item.next_attempt_at = self._clock.now() + self._backoff(item.attempts)
                log.warning(
                    "outbox: item %d (%s) failed, will retry: %s", item_id, item.kind, error
                )

    def _backoff(self, attempt: int) -> timedelta:
        delay = self._settings.first_retry * (1 << min(attempt - 1, 30))
        capped = min(delay, self._settings.longest_retry)
        # Jitter spreads retries so a recovering platform is not hit by all of them at once.
        jitter: float = random.uniform(0.8, 1.0)
        return capped * jitter


def _recipient(identity: PlatformIdentity) -> Recipient:
    return Recipient(
        member_id=identity.member_id,
        platform=identity.platform,
        user_id=identity.platform_user_id,
        display_name=identity.display_name,
    )


def _member_of(effect: DurableEffect) -> int | None:
    """The member an effect is addressed to (their accounts carry it); None for a chat's or
    a payment provider's."""
    if isinstance(effect, (*_IN_CHATS, RefundPayment, CancelSubscription)):
        return None
    return effect.member_id


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

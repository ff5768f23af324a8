"""Every payment is for something: a membership, a question, a drop. The cog that owns that
kind of purpose learns what happened to its payments through this one interface."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.config import Settings
from bot.core.clock import Clock
from bot.core.effects import DurableEffect
from bot.core.i18n import Translator
from bot.core.money import Money
from bot.core.outbox import queue
from payments import ledger
from storage.models import Payment
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class Purpose:
    """`membership:pro`, `question:12`, `drop:7`: a kind and what of that kind."""

    kind: str
    ref: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.ref}"

    @classmethod
    def parse(cls, text: str) -> Purpose:
        kind, sep, ref = text.partition(":")
        if not sep or not kind or not ref:
            raise ValueError(f"not a purpose: {text!r}")
        return cls(kind, ref)


@dataclass
class PurposeContext:
    """The transaction a payment event is applied in: domain state, ledger and outbox commit
    together or not at all."""

    uow: UnitOfWork
    clock: Clock
    settings: Settings
    ledger: ledger.Ledger

    async def promise(self, effect: DurableEffect, *, key: str) -> None:
        """Queue a side effect (a role, a DM) for the outbox worker, once per `key`."""
        await queue(self.uow, effect, key=key, now=self.clock.now())


class PurposeHandler(Protocol):
    """Implemented by the cog that sells `kind`. Every hook runs inside the payment event's
    transaction; promises go through `ctx.promise`."""

    kind: str

    def income_account(self, purpose: Purpose) -> str:
        """Where this purpose's money is booked when paid (revenue, or escrow for questions)."""
        ...

    async def still_for_sale(self, ctx: PurposeContext, purpose: Purpose, amount: Money) -> bool:
        """Asked just before a member pays (Telegram pre-checkout): is the offer still good?"""
        ...

    async def title(self, ctx: PurposeContext, purpose: Purpose, speak: Translator) -> str:
        """What is bought, in the payer's language (the checkout page's heading)."""
        ...

    async def paid(self, ctx: PurposeContext, payment: Payment) -> None: ...

    async def renewed(self, ctx: PurposeContext, payment: Payment) -> None: ...

    async def renewal_failed(self, ctx: PurposeContext, payment: Payment) -> None: ...

    async def subscription_changed(self, ctx: PurposeContext, payment: Payment) -> None: ...

    async def subscription_ended(self, ctx: PurposeContext, payment: Payment) -> None: ...

    async def refunded(self, ctx: PurposeContext, payment: Payment, amount: Money) -> None:
        """`amount` more was refunded (the payment's `refunded_minor` already counts it)."""
        ...

    async def disputed(self, ctx: PurposeContext, payment: Payment) -> None: ...


class Purposes:
    """The handlers, by kind."""

    def __init__(self) -> None:
        self._handlers: dict[str, PurposeHandler] = {}

    def register(self, handler: PurposeHandler) -> None:
        if handler.kind in self._handlers:
            raise ValueError(f"purpose kind {handler.kind!r} has two handlers")
        self._handlers[handler.kind] = handler

    def for_purpose(self, purpose: Purpose) -> PurposeHandler:
        try:
            return self._handlers[purpose.kind]
        except KeyError:
            raise LookupError(f"nobody handles payments for {purpose.kind!r}") from None


class PaidOnce:
    """For purposes paid once (a question, a listen-in, a drop): nothing renews, there is no
    subscription, so those hooks have nothing to do."""

    async def renewed(self, ctx: PurposeContext, payment: Payment) -> None:
        """Nothing renews."""

    async def renewal_failed(self, ctx: PurposeContext, payment: Payment) -> None:
        """Nothing renews."""

    async def subscription_changed(self, ctx: PurposeContext, payment: Payment) -> None:
        """No subscription."""

    async def subscription_ended(self, ctx: PurposeContext, payment: Payment) -> None:
        """No subscription."""

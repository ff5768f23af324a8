"""Payments from start to settlement: open a checkout, then apply what providers report,
whatever the order and however often it arrives, in the caller's transaction."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from bot.config import Settings
from bot.core.clock import Clock
from bot.core.effects import RefundPayment
from bot.core.money import Money
from bot.core.outbox import queue
from payments import ledger
from payments.events import PaymentEvent, PaymentEventKind
from payments.providers.base import Checkout, CheckoutRequest, Interval, PaymentProvider
from payments.purposes import Purpose, PurposeContext, PurposeHandler, Purposes
from storage.models import Payment
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

SETTLED = ("paid", "partially_refunded", "refunded", "disputed")


@dataclass(frozen=True)
class StartedCheckout:
    payment: Payment
    checkout: Checkout


class PaymentService:
    def __init__(
        self,
        *,
        providers: Mapping[str, PaymentProvider],
        purposes: Purposes,
        clock: Clock,
        settings: Settings,
    ) -> None:
        self.providers = dict(providers)
        self.purposes = purposes
        self._clock = clock
        self._settings = settings

    async def start_checkout(
        self,
        uow: UnitOfWork,
        *,
        member_id: int,
        purpose: Purpose,
        amount: Money,
        title: str,
        provider: str,
        interval: Interval | None = None,
        trial_days: int = 0,
    ) -> StartedCheckout:
        """A pending payment and the provider's checkout for it. The provider is asked with an
        idempotency key, so a retried call cannot open a second checkout."""
        self.purposes.for_purpose(purpose)  # refuse purposes nobody could fulfil
        payment = await uow.payments.add(
            Payment(
                purpose=str(purpose),
                member_id=member_id,
                provider=provider,
                status="pending",
                amount_minor=amount.minor,
                currency=amount.currency,
                refunded_minor=0,
                interval=interval,
                trial_days=trial_days,
                created_at=self._clock.now(),
            )
        )
        checkout = await self.providers[provider].create_checkout(
            CheckoutRequest(payment.id, purpose, member_id, amount, title, interval, trial_days)
        )
        payment.checkout_ref = checkout.reference
        return StartedCheckout(payment, checkout)

    async def still_for_sale(self, uow: UnitOfWork, payment: Payment, amount: Money) -> bool:
        """Just before the member pays: the payment is open, the amount is the one we asked
        for, and the cog still sells the thing."""
        if payment.status != "pending" or amount != self._amount(payment):
            return False
        purpose = Purpose.parse(payment.purpose)
        handler = self.purposes.for_purpose(purpose)
        return await handler.still_for_sale(self.context(uow), purpose, amount)

    async def request_refund(
        self, uow: UnitOfWork, payment: Payment, amount: Money, *, reason: str
    ) -> None:
        """Promise a refund (the outbox asks the provider). Never more than is left to give."""
        remaining = payment.amount_minor - payment.refunded_minor
        if payment.status not in SETTLED or amount.minor > remaining or amount.minor <= 0:
            raise ledger.Overdrawn(
                f"payment {payment.id}: cannot refund {amount.minor}, {remaining} is refundable"
            )
        effect = RefundPayment(payment.id, amount.minor, reason)
        await queue(uow, effect, key=f"refund:{payment.id}:{remaining}", now=self._clock.now())

    async def apply(self, uow: UnitOfWork, event: PaymentEvent) -> Payment | None:
        """Bring our state in line with what the provider reported; None if the event is not
        about any payment of ours."""
        payment = await self._find(uow, event)
        if payment is None:
            log.warning("%s %s: no payment of ours matches", event.provider, event.event_id)
            return None
        self._remember_names(payment, event)
        ctx = self.context(uow)
        purpose = Purpose.parse(payment.purpose)
        handler = self.purposes.for_purpose(purpose)
        match event.kind:
            case PaymentEventKind.PAID:
                await self._paid(ctx, handler, purpose, payment, event)
            case PaymentEventKind.FAILED | PaymentEventKind.EXPIRED:
                if payment.status == "pending":
                    payment.status = event.kind.value
            case PaymentEventKind.RENEWED:
                await self._renewed(ctx, handler, purpose, payment, event)
            case PaymentEventKind.RENEWAL_FAILED:
                payment.subscription_status = event.subscription_status or "past_due"
                await handler.renewal_failed(ctx, payment)
            case PaymentEventKind.SUBSCRIPTION_CHANGED:
                self._subscription_state(payment, event)
                await handler.subscription_changed(ctx, payment)
            case PaymentEventKind.SUBSCRIPTION_ENDED:
                self._subscription_state(payment, event)
                payment.subscription_status = "canceled"
                await handler.subscription_ended(ctx, payment)
            case PaymentEventKind.REFUNDED:
                await self._refunded(ctx, handler, purpose, payment, event)
            case PaymentEventKind.DISPUTED:
                await self._disputed(ctx, handler, purpose, payment, event)
        return payment

    async def _paid(
        self,
        ctx: PurposeContext,
        handler: PurposeHandler,
        purpose: Purpose,
        payment: Payment,
        event: PaymentEvent,
    ) -> None:
        self._subscription_state(payment, event)
        if payment.paid_at is not None:
            return  # told twice (checkout completed, first invoice paid): once is enough
        if event.amount is not None:
            # What was really charged: a promotion code or a trial changes it.
            payment.amount_minor, payment.currency = event.amount.minor, event.amount.currency
        await self._cap_early_refunds(ctx, purpose, payment, event)
        payment.paid_at = event.occurred_at
        payment.status = _settled_status(payment)
        await _book_income(ctx, handler.income_account(purpose), payment, "payment")
        if payment.refunded_minor < payment.amount_minor or not payment.amount_minor:
            # A payment refunded in full before we heard it was paid grants nothing.
            await handler.paid(ctx, payment)

    async def _cap_early_refunds(
        self, ctx: PurposeContext, purpose: Purpose, payment: Payment, event: PaymentEvent
    ) -> None:
        """A refund reported before the payment was booked against the checkout's price; if
        less was charged, the excess is taken back so refunds never exceed what was paid."""
        excess = payment.refunded_minor - payment.amount_minor
        if excess <= 0:
            return
        await ctx.ledger.post(
            "refund",
            f"payment:{payment.id}:refund-capped",
            ledger.transfer(
                ledger.refunds(purpose.kind),
                ledger.clearing(payment.provider),
                Money(excess, payment.currency),
            ),
            at=event.occurred_at,
            memo=payment.purpose,
        )
        payment.refunded_minor = payment.amount_minor

    async def _renewed(
        self,
        ctx: PurposeContext,
        handler: PurposeHandler,
        purpose: Purpose,
        first: Payment,
        event: PaymentEvent,
    ) -> None:
        """Each paid period is a payment of its own (refunds name the charge they undo); the
        subscription's state stays on the payment that started it."""
        self._subscription_state(first, event)
        if event.charge_ref and await ctx.uow.payments.by_charge(event.charge_ref):
            return
        amount = event.amount or self._amount(first)
        renewal = await ctx.uow.payments.add(
            Payment(
                purpose=first.purpose,
                member_id=first.member_id,
                provider=first.provider,
                status="paid",
                amount_minor=amount.minor,
                currency=amount.currency,
                refunded_minor=0,
                charge_ref=event.charge_ref,
                subscription_ref=first.subscription_ref,
                customer_ref=first.customer_ref,
                period_end=event.period_end,
                created_at=event.occurred_at,
                paid_at=event.occurred_at,
            )
        )
        await _book_income(ctx, handler.income_account(purpose), renewal, "renewal")
        await handler.renewed(ctx, first)

    async def _refunded(
        self,
        ctx: PurposeContext,
        handler: PurposeHandler,
        purpose: Purpose,
        payment: Payment,
        event: PaymentEvent,
    ) -> None:
        """Providers report the total refunded so far, so replays and reordering add nothing
        twice: only the growth since what we knew is booked."""
        total = min(
            event.amount.minor if event.amount else payment.amount_minor, payment.amount_minor
        )
        grown = total - payment.refunded_minor
        if grown <= 0:
            return
        refund = Money(grown, payment.currency)
        await _out_of_clearing(
            ctx,
            payment,
            ledger.refunds(purpose.kind),
            refund,
            kind="refund",
            step=f"refunded:{total}",
            event=event,
        )
        payment.refunded_minor = total
        if payment.paid_at is not None:
            payment.status = _settled_status(payment)
            await handler.refunded(ctx, payment, refund)

    async def _disputed(
        self,
        ctx: PurposeContext,
        handler: PurposeHandler,
        purpose: Purpose,
        payment: Payment,
        event: PaymentEvent,
    ) -> None:
        if payment.status == "disputed":
            return
        at_stake = Money(payment.amount_minor - payment.refunded_minor, payment.currency)
        if at_stake.minor:
            await _out_of_clearing(
                ctx,
                payment,
                ledger.disputes(purpose.kind),
                at_stake,
                kind="dispute",
                step="disputed",
                event=event,
            )
        payment.status = "disputed"
        await handler.disputed(ctx, payment)

    async def _find(self, uow: UnitOfWork, event: PaymentEvent) -> Payment | None:
        if (
            event.charge_ref
            and event.kind
            in (
                PaymentEventKind.REFUNDED,
                PaymentEventKind.DISPUTED,
            )
            and (found := await uow.payments.by_charge(event.charge_ref))
        ):
            return found
        if event.payment_id is not None and (
            found := await uow.payments.get(event.payment_id, for_update=True)
        ):
            return found
        if event.checkout_ref and (found := await uow.payments.by_checkout(event.checkout_ref)):
            return found
        if event.subscription_ref and (
            found := await uow.payments.by_subscription(event.subscription_ref)
        ):
            return found
        if event.charge_ref:
            return await uow.payments.by_charge(event.charge_ref)
        return None

    def _remember_names(self, payment: Payment, event: PaymentEvent) -> None:
        renewal = event.kind is PaymentEventKind.RENEWED
        if event.charge_ref and not payment.charge_ref and not renewal:
            payment.charge_ref = event.charge_ref
        payment.subscription_ref = payment.subscription_ref or event.subscription_ref
        payment.customer_ref = payment.customer_ref or event.customer_ref

    @staticmethod
    def _subscription_state(payment: Payment, event: PaymentEvent) -> None:
        if event.period_end and (
            payment.period_end is None or event.period_end > payment.period_end
        ):
            payment.period_end = event.period_end
        if event.subscription_status:
            payment.subscription_status = event.subscription_status
        if event.cancel_at_period_end is not None:
            payment.cancel_at_period_end = event.cancel_at_period_end

    def context(self, uow: UnitOfWork) -> PurposeContext:
        return PurposeContext(uow, self._clock, self._settings, ledger.Ledger(uow))

    @staticmethod
    def _amount(payment: Payment) -> Money:
        return Money(payment.amount_minor, payment.currency)


def _settled_status(payment: Payment) -> str:
    if payment.status == "disputed":
        return "disputed"
    if payment.amount_minor and payment.refunded_minor >= payment.amount_minor:
        return "refunded"
    return "partially_refunded" if payment.refunded_minor else "paid"


async def _book_income(ctx: PurposeContext, account: str, payment: Payment, kind: str) -> None:
    """What a paid payment brought in: clearing debited, the purpose's account credited."""
    if payment.amount_minor and payment.paid_at is not None:
        await ctx.ledger.post(
            kind,
            f"payment:{payment.id}:paid",
            ledger.transfer(
                account,
                ledger.clearing(payment.provider),
                Money(payment.amount_minor, payment.currency),
            ),
            at=payment.paid_at,
            memo=payment.purpose,
        )


async def _out_of_clearing(
    ctx: PurposeContext,
    payment: Payment,
    account: str,
    amount: Money,
    *,
    kind: str,
    step: str,
    event: PaymentEvent,
) -> None:
    """Money the provider gave back or holds (a refund, a dispute) leaves clearing for
    `account`; booked once per payment and `step`."""
    await ctx.ledger.post(
        kind,
        f"payment:{payment.id}:{step}",
        ledger.transfer(ledger.clearing(payment.provider), account, amount),
        at=event.occurred_at,
        memo=payment.purpose,
    )

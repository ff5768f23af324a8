"""The sandbox's billing: what Stripe does to a subscription as its time passes (a trial that
ends in the first charge, a charge every period, a declined card when asked for, an end after a
cancellation), told to the payment service as the events Stripe's webhooks bring, so the ledger,
the memberships and the outbox see a sandbox subscription exactly as they see a real one."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.clock import Clock
from bot.core.money import Money
from payments.events import PaymentEvent, PaymentEventKind
from payments.providers.base import PERIODS
from payments.service import PaymentService
from storage.models import Payment, SandboxSubscription
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

PROVIDER = "sandbox"
# Stripe retries a declined renewal for a while, then cancels the subscription; the sandbox
# gives up after two weeks, as Stripe's default retry schedule does.
GIVE_UP_AFTER = timedelta(days=14)


@dataclass(frozen=True)
class Billed:
    """What one pass of the billing did."""

    renewed: int = 0
    failed: int = 0
    ended: int = 0


@dataclass(frozen=True)
class SubscriptionView:
    """A sandbox subscription as its checkout page shows it."""

    status: str  # trialing, active, past_due, cancelling, ended
    amount: Money
    period_end: datetime | None
    fail_next_renewal: bool


class SandboxBilling:
    def __init__(self, uow: UnitOfWorkFactory, service: PaymentService, clock: Clock) -> None:
        self._uow = uow
        self._service = service
        self._clock = clock

    async def pay(self, uow: UnitOfWork, payment: Payment) -> None:
        """The payer pressed Pay: a one-off payment is paid; a subscription starts, with its
        trial (nothing charged until it ends) or with its first period paid."""
        now = self._clock.now()
        event_id = f"{payment.checkout_ref}:pay"
        if payment.interval is None:
            await self._apply(uow, payment, PaymentEventKind.PAID, event_id, now, amount=None)
            return
        reference = f"sandbox_sub_{payment.id}"
        period = PERIODS[payment.interval]
        await uow.sandbox.add(
            SandboxSubscription(
                subscription_ref=reference,
                payment_id=payment.id,
                amount_minor=payment.amount_minor,
                currency=payment.currency,
                period_days=period.days,
                fail_next_renewal=False,
                renewals=0,
            )
        )
        trial = timedelta(days=payment.trial_days)
        await self._apply(
            uow,
            payment,
            PaymentEventKind.PAID,
            event_id,
            now,
            amount=Money(0 if trial else payment.amount_minor, payment.currency),
            subscription_ref=reference,
            period_end=now + (trial or period),
            subscription_status="trialing" if trial else "active",
        )

    async def bill_due(self) -> Billed:
        """Every charge (or end) that fell due by the sandbox clock's time, in order: a clock
        moved a year ahead renews a monthly subscription twelve times."""
        now = self._clock.now()
        renewed = failed = ended = 0
        async with self._uow() as uow:
            for subscription in await uow.sandbox.due(now):
                payment = await uow.payments.get(subscription.payment_id, for_update=True)
                while payment is not None and subscription.ended_at is None:
                    due = payment.period_end
                    if due is None or due > now:
                        break
                    if payment.cancel_at_period_end:
                        await self._end(uow, subscription, payment, due)
                        ended += 1
                    elif payment.subscription_status == "past_due":
                        if now >= due + GIVE_UP_AFTER:
                            await self._end(uow, subscription, payment, due + GIVE_UP_AFTER)
                            ended += 1
                        break
                    elif subscription.fail_next_renewal:
                        subscription.fail_next_renewal = False
                        await self._apply(
                            uow,
                            payment,
                            PaymentEventKind.RENEWAL_FAILED,
                            f"{subscription.subscription_ref}:declined:{subscription.renewals + 1}",
                            due,
                            amount=None,
                            subscription_status="past_due",
                        )
                        failed += 1
                    else:
                        await self._charge(uow, subscription, payment, due)
                        renewed += 1
        if renewed or failed or ended:
            log.info("sandbox billing: %d renewed, %d declined, %d ended", renewed, failed, ended)
        return Billed(renewed, failed, ended)

    async def retry(self, payment_id: int) -> bool:
        """The declined renewal paid after all (the payer "updated their card")."""
        async with self._uow() as uow:
            found = await self._subscription(uow, payment_id)
            if found is None:
                return False
            subscription, payment = found
            if payment.subscription_status != "past_due" or payment.period_end is None:
                return False
            await self._charge(uow, subscription, payment, self._clock.now())
            return True

    async def fail_next_renewal(self, payment_id: int, fail: bool) -> None:
        async with self._uow() as uow:
            found = await self._subscription(uow, payment_id)
            if found is not None:
                found[0].fail_next_renewal = fail

    async def cancel(self, payment_id: int, *, at_period_end: bool) -> None:
        """Stop renewing (access runs to the period's end), or take that back."""
        async with self._uow() as uow:
            found = await self._subscription(uow, payment_id)
            if found is None or found[0].ended_at is not None:
                return
            subscription, payment = found
            step = "cancel" if at_period_end else "resume"
            await self._apply(
                uow,
                payment,
                PaymentEventKind.SUBSCRIPTION_CHANGED,
                f"{subscription.subscription_ref}:{step}:{self._clock.now().isoformat()}",
                self._clock.now(),
                amount=None,
                cancel_at_period_end=at_period_end,
            )

    async def view(self, uow: UnitOfWork, payment: Payment) -> SubscriptionView | None:
        subscription = (
            await uow.sandbox.get(payment.subscription_ref) if payment.subscription_ref else None
        )
        if subscription is None:
            return None
        status = payment.subscription_status or "active"
        if subscription.ended_at is not None:
            status = "ended"
        elif payment.cancel_at_period_end:
            status = "cancelling"
        return SubscriptionView(
            status=status,
            amount=Money(subscription.amount_minor, subscription.currency),
            period_end=payment.period_end,
            fail_next_renewal=subscription.fail_next_renewal,
        )

    async def _charge(
        self, uow: UnitOfWork, subscription: SandboxSubscription, payment: Payment, at: datetime
    ) -> None:
        subscription.renewals += 1
        reference = f"{subscription.subscription_ref}:charge:{subscription.renewals}"
        await self._apply(
            uow,
            payment,
            PaymentEventKind.RENEWED,
            reference,
            at,
            amount=Money(subscription.amount_minor, subscription.currency),
            charge_ref=reference,
            period_end=at + timedelta(days=subscription.period_days),
            subscription_status="active",
        )

    async def _end(
        self, uow: UnitOfWork, subscription: SandboxSubscription, payment: Payment, at: datetime
    ) -> None:
        subscription.ended_at = at
        await self._apply(
            uow,
            payment,
            PaymentEventKind.SUBSCRIPTION_ENDED,
            f"{subscription.subscription_ref}:ended",
            at,
            amount=None,
        )

    async def _subscription(
        self, uow: UnitOfWork, payment_id: int
    ) -> tuple[SandboxSubscription, Payment] | None:
        payment = await uow.payments.get(payment_id, for_update=True)
        if payment is None or payment.provider != PROVIDER or not payment.subscription_ref:
            return None
        subscription = await uow.sandbox.get(payment.subscription_ref)
        return (subscription, payment) if subscription else None

    async def _apply(
        self,
        uow: UnitOfWork,
        payment: Payment,
        kind: PaymentEventKind,
        event_id: str,
        at: datetime,
        *,
        amount: Money | None,
        charge_ref: str | None = None,
        subscription_ref: str | None = None,
        period_end: datetime | None = None,
        subscription_status: str | None = None,
        cancel_at_period_end: bool | None = None,
    ) -> None:
        await self._service.apply(
            uow,
            PaymentEvent(
                provider=PROVIDER,
                kind=kind,
                event_id=event_id,
                occurred_at=at,
                payment_id=payment.id,
                amount=amount
                if amount is not None
                else Money(payment.amount_minor, payment.currency),
                charge_ref=charge_ref,
                subscription_ref=subscription_ref,
                period_end=period_end,
                subscription_status=subscription_status,
                cancel_at_period_end=cancel_at_period_end,
            ),
        )

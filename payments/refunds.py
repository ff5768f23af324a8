"""Refunds promised through the outbox, carried out against the provider that took the money."""

from __future__ import annotations

from bot.core.clock import Clock
from bot.core.effects import DurableEffect, RefundPayment
from payments.events import PaymentEvent, PaymentEventKind
from payments.money import Money
from payments.outbox import PAYMENTS, PermanentFailure
from payments.service import PaymentService
from storage.models import PlatformIdentity
from storage.uow import UnitOfWorkFactory


class RefundDeliverer:
    """The outbox's deliverer for refunds: asks the provider (with an idempotency key, so a
    retried item cannot refund twice), then books what it did."""

    platform = PAYMENTS

    def __init__(self, uow: UnitOfWorkFactory, service: PaymentService, clock: Clock) -> None:
        self._uow = uow
        self._service = service
        self._clock = clock

    async def deliver(self, effect: DurableEffect, account: PlatformIdentity | None) -> None:
        if not isinstance(effect, RefundPayment):
            raise PermanentFailure(f"{type(effect).__name__} is not a refund")
        async with self._uow() as uow:
            payment = await uow.payments.get(effect.payment_id)
            if payment is None:
                raise PermanentFailure(f"payment {effect.payment_id} does not exist")
            provider = self._service.providers.get(payment.provider)
            if provider is None:
                raise PermanentFailure(f"provider {payment.provider} is not configured")
            total = payment.refunded_minor + effect.amount_minor
        if total > payment.amount_minor:
            raise PermanentFailure(f"payment {payment.id}: refund would exceed what was paid")
        amount = Money(effect.amount_minor, payment.currency)
        await provider.refund(payment, amount, key=f"knowpay-refund-{payment.id}-{total}")
        async with self._uow() as uow:
            await self._service.apply(
                uow,
                PaymentEvent(
                    provider=payment.provider,
                    kind=PaymentEventKind.REFUNDED,
                    event_id=f"refund:{payment.id}:{total}",
                    occurred_at=self._clock.now(),
                    payment_id=payment.id,
                    amount=Money(total, payment.currency),
                ),
            )

"""Refunds and cancellations promised through the outbox, carried out against the provider
that took the money."""

from __future__ import annotations

from bot.core.clock import Clock
from bot.core.effects import CancelSubscription, DurableEffect, RefundPayment
from bot.core.money import Money
from bot.core.outbox import PAYMENTS, PermanentFailure, Recipient
from payments.events import PaymentEvent, PaymentEventKind
from payments.providers.base import PaymentProvider
from payments.providers.stars import StarsProvider
from payments.service import PaymentService
from storage.models import Payment
from storage.uow import UnitOfWorkFactory


def refunds_in_part(payment: Payment) -> bool:
    """Can part of this payment be given back? Telegram refunds Stars only whole."""
    return payment.provider != StarsProvider.name


class ProviderCalls:
    """The outbox's deliverer for the provider: refunds (with an idempotency key, so a retried
    item cannot refund twice, then booked) and subscription cancellations."""

    platform = PAYMENTS

    def __init__(self, uow: UnitOfWorkFactory, service: PaymentService, clock: Clock) -> None:
        self._uow = uow
        self._service = service
        self._clock = clock

    async def deliver(self, effect: DurableEffect, recipient: Recipient | None) -> None:
        if isinstance(effect, CancelSubscription):
            payment, provider = await self._payment(effect.payment_id)
            await provider.cancel_subscription(payment)
        elif isinstance(effect, RefundPayment):
            await self._refund(effect)
        else:
            raise PermanentFailure(f"{type(effect).__name__} is not for a payment provider")

    async def _payment(self, payment_id: int) -> tuple[Payment, PaymentProvider]:
        async with self._uow() as uow:
            payment = await uow.payments.get(payment_id)
            if payment is None:
                raise PermanentFailure(f"payment {payment_id} does not exist")
            provider = self._service.providers.get(payment.provider)
            if provider is None:
                raise PermanentFailure(f"provider {payment.provider} is not configured")
            return payment, provider

    async def _refund(self, effect: RefundPayment) -> None:
        payment, provider = await self._payment(effect.payment_id)
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

"""Telegram Stars: invoices paid inside Telegram, in whole stars (currency XTR).

Telegram asks before taking the stars (pre-checkout) and tells after (successful payment);
both arrive through the Telegram adapter, which calls StarsPayments. Refunds are whole."""

from __future__ import annotations

from typing import Protocol

from bot.core.clock import Clock
from bot.core.money import STARS, Money
from bot.core.outbox import PermanentFailure
from payments.events import PaymentEvent, PaymentEventKind
from payments.providers.base import Checkout, CheckoutRequest, StarsInvoice
from payments.service import PaymentService
from storage.models import Payment
from storage.uow import UnitOfWorkFactory


class StarsRefunder(Protocol):
    async def refund_star_payment(self, user_id: str, charge_id: str) -> None: ...


class StarsProvider:
    name = "stars"

    def __init__(self) -> None:
        # Set once the Telegram adapter is connected; refunds wait for it until then.
        self.refunder: StarsRefunder | None = None

    async def create_checkout(self, request: CheckoutRequest) -> Checkout:
        if request.amount.currency != STARS:
            raise ValueError(f"Stars invoices are in xtr, not {request.amount.currency}")
        reference = f"stars-{request.payment_id}"
        invoice = StarsInvoice(request.title, request.title, reference, request.amount)
        return Checkout(reference=reference, invoice=invoice)

    async def refund(self, payment: Payment, amount: Money, *, key: str) -> None:
        if amount.minor != payment.amount_minor - payment.refunded_minor:
            raise PermanentFailure("Telegram refunds a Stars payment whole, never a part")
        if not payment.charge_ref or not payment.customer_ref:
            raise PermanentFailure(f"payment {payment.id} has no Telegram charge to refund")
        if self.refunder is None:
            raise RuntimeError("Telegram is not connected yet")  # retried by the outbox
        await self.refunder.refund_star_payment(payment.customer_ref, payment.charge_ref)

    async def cancel_subscription(self, payment: Payment) -> None:
        """Stars payments here are one-off: nothing renews."""

    async def portal_link(self, payment: Payment) -> str | None:
        return None


class StarsPayments:
    """The Telegram adapter's way into payments for the two questions Telegram asks."""

    def __init__(self, uow: UnitOfWorkFactory, service: PaymentService, clock: Clock) -> None:
        self._uow = uow
        self._service = service
        self._clock = clock

    async def may_pay(self, payload: str, amount: int, currency: str) -> bool:
        async with self._uow() as uow:
            payment = await uow.payments.by_checkout(payload)
            if payment is None or payment.provider != StarsProvider.name:
                return False
            return await self._service.still_for_sale(uow, payment, Money(amount, currency.lower()))

    async def paid(
        self, *, payload: str, charge_id: str, user_id: str, amount: int, currency: str
    ) -> Payment | None:
        async with self._uow() as uow:
            return await self._service.apply(
                uow,
                PaymentEvent(
                    provider=StarsProvider.name,
                    kind=PaymentEventKind.PAID,
                    event_id=charge_id,
                    occurred_at=self._clock.now(),
                    checkout_ref=payload,
                    charge_ref=charge_id,
                    customer_ref=user_id,
                    amount=Money(amount, currency.lower()),
                ),
            )

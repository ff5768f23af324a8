"""Finding payments by any of the names providers give them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import Payment

_Trial = aliased(Payment)


class PaymentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, payment: Payment) -> Payment:
        self._session.add(payment)
        await self._session.flush()
        return payment

    async def move_to(self, source_id: int, target_id: int) -> None:
        """The payments of a member folded into another (/link) now belong to that member."""
        await self._session.execute(
            update(Payment)
            .where(Payment.member_id == source_id)
            .values(member_id=target_id)
            .execution_options(synchronize_session="fetch")
        )

    async def get(self, payment_id: int, *, for_update: bool = False) -> Payment | None:
        return await self._session.get(Payment, payment_id, with_for_update=for_update)

    async def by_checkout(self, checkout_ref: str) -> Payment | None:
        return await self._one(Payment.checkout_ref == checkout_ref)

    async def by_charge(self, charge_ref: str) -> Payment | None:
        return await self._one(Payment.charge_ref == charge_ref)

    async def by_subscription(self, subscription_ref: str) -> Payment | None:
        """The payment that started a subscription (its renewals update it)."""
        return await self._one(Payment.subscription_ref == subscription_ref)

    async def paid_between(
        self, start: datetime, end: datetime
    ) -> list[tuple[str, str, int, datetime]]:
        """(purpose, currency, amount, when) of every payment and renewal charged in
        [start, end)."""
        rows = await self._session.execute(
            select(Payment.purpose, Payment.currency, Payment.amount_minor, Payment.paid_at).where(
                Payment.paid_at >= start, Payment.paid_at < end, Payment.amount_minor > 0
            )
        )
        return [(purpose, code, amount, at) for purpose, code, amount, at in rows if at]

    async def trials_since(self, since: datetime) -> list[tuple[datetime, int, bool]]:
        """(trial start, trial days, charged since) of each trial begun at or after `since`;
        charged: its subscription was charged money after it began."""
        charged = (
            select(Payment.id)
            .where(
                Payment.subscription_ref == _Trial.subscription_ref,
                Payment.id != _Trial.id,
                Payment.paid_at.is_not(None),
                Payment.amount_minor > 0,
            )
            .exists()
        )
        rows = await self._session.execute(
            select(_Trial.paid_at, _Trial.trial_days, charged).where(
                _Trial.trial_days > 0,
                _Trial.paid_at >= since,
                _Trial.subscription_ref.is_not(None),
            )
        )
        return [(start, days, bool(paid)) for start, days, paid in rows if start is not None]

    async def latest_charge(self, subscription_ref: str) -> Payment | None:
        """The subscription's most recent paid period (its first payment, or a renewal)."""
        query = (
            select(Payment)
            .where(Payment.subscription_ref == subscription_ref, Payment.paid_at.is_not(None))
            .order_by(Payment.id.desc())
            .limit(1)
        )
        return await self._session.scalar(query)

    async def _one(self, condition: ColumnElement[bool]) -> Payment | None:
        query = select(Payment).where(condition).order_by(Payment.id).limit(1).with_for_update()
        return await self._session.scalar(query)

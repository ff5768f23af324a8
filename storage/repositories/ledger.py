"""Ledger rows in and balances out; the bookkeeping rules live in payments/ledger.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import LedgerEntry, LedgerTransaction
from storage.repositories.unique import add_unless_taken


@dataclass(frozen=True)
class Movement:
    """One entry on an account, dated and named by the transaction it belongs to."""

    at: datetime
    reference: str
    currency: str
    amount_minor: int


class LedgerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def insert(
        self,
        *,
        kind: str,
        reference: str,
        at: datetime,
        memo: str,
        entries: Sequence[tuple[str, str, int]],
    ) -> LedgerTransaction | None:
        """Write a transaction with its (account, currency, amount) entries; None when one
        with this reference exists already."""
        transaction = LedgerTransaction(kind=kind, reference=reference, at=at, memo=memo)
        transaction.entries = [
            LedgerEntry(account=account, currency=currency, amount_minor=amount)
            for account, currency, amount in entries
        ]
        return transaction if await add_unless_taken(self._session, transaction) else None

    async def recorded(self, reference: str) -> bool:
        found = await self._session.scalar(
            select(LedgerTransaction.id).where(LedgerTransaction.reference == reference)
        )
        return found is not None

    async def balance(self, account: str, currency: str) -> int:
        total = await self._session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount_minor), 0)).where(
                LedgerEntry.account == account, LedgerEntry.currency == currency
            )
        )
        return int(total or 0)

    async def balances(self, account_prefix: str = "") -> dict[tuple[str, str], int]:
        rows = await self._session.execute(
            select(LedgerEntry.account, LedgerEntry.currency, func.sum(LedgerEntry.amount_minor))
            .where(LedgerEntry.account.startswith(account_prefix))
            .group_by(LedgerEntry.account, LedgerEntry.currency)
        )
        return {(account, currency): int(total) for account, currency, total in rows}

    async def transactions(self, reference_prefix: str) -> Sequence[LedgerTransaction]:
        return (
            await self._session.scalars(
                select(LedgerTransaction)
                .where(LedgerTransaction.reference.startswith(reference_prefix))
                .order_by(LedgerTransaction.id)
            )
        ).all()

    async def movements(self, account: str, *, limit: int) -> list[Movement]:
        """The latest entries on `account`, newest first."""
        rows = await self._session.execute(
            select(
                LedgerTransaction.at,
                LedgerTransaction.reference,
                LedgerEntry.currency,
                LedgerEntry.amount_minor,
            )
            .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
            .where(LedgerEntry.account == account)
            .order_by(LedgerTransaction.at.desc(), LedgerTransaction.id.desc())
            .limit(limit)
        )
        return [
            Movement(at, reference, currency, int(amount))
            for at, reference, currency, amount in rows
        ]

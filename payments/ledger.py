"""Double-entry bookkeeping: every movement of money is a transaction whose entries sum to zero
in each currency. Debits are positive, credits negative; balances are sums of entries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.money import Money
from storage.uow import UnitOfWork

# Accounts. Clearing holds what a provider collected for us; revenue and escrow hold what it
# was for; refunds and disputes are kept apart from revenue so gross and net both show.
ESCROW_QA = "escrow:qa"


def clearing(provider: str) -> str:
    return f"clearing:{provider}"


def revenue(source: str) -> str:
    return f"revenue:{source}"


def refunds(source: str) -> str:
    return f"refunds:{source}"


def disputes(source: str) -> str:
    return f"disputes:{source}"


PAYABLES = "payable:member:"


def payable(member_id: int) -> str:
    """What the community owes a member for Q&A: accepted answers, shares of listen-ins."""
    return f"{PAYABLES}{member_id}"


def member_of_payable(account: str) -> int | None:
    """The member a payable account is owed to, or None for other accounts."""
    member_id = account.removeprefix(PAYABLES)
    return int(member_id) if account.startswith(PAYABLES) and member_id.isdigit() else None


# A payment a moderator booked by hand has no payment row: its transaction's reference names the
# membership it paid for, so reports can find who paid.
_MANUAL = "manual"


def manual_reference(membership_id: int, version: int) -> str:
    return f"{_MANUAL}:{membership_id}:v{version}"


def membership_of_manual(reference: str) -> int | None:
    """The membership a hand-booked payment's reference names, or None for other references."""
    kind, _, rest = reference.partition(":")
    membership_id = rest.partition(":")[0]
    return int(membership_id) if kind == _MANUAL and membership_id.isdigit() else None


class UnbalancedTransaction(ValueError):
    """The entries of a transaction do not sum to zero in every currency."""


class Overdrawn(ValueError):
    """Taking this much would leave an account (escrow, a payment's refundable rest) negative."""


@dataclass(frozen=True)
class Entry:
    account: str
    amount: Money


def imbalance(entries: Iterable[Entry]) -> dict[str, int]:
    """Per currency, how far the entries are from summing to zero (empty when balanced)."""
    totals: dict[str, int] = defaultdict(int)
    for entry in entries:
        totals[entry.amount.currency] += entry.amount.minor
    return {currency: total for currency, total in totals.items() if total}


def transfer(source: str, destination: str, amount: Money) -> list[Entry]:
    """Debit `destination` and credit `source` by `amount`: money that came from `source`
    (a revenue, a refund) and sits in `destination` (clearing)."""
    return [Entry(destination, amount), Entry(source, -amount)]


class Ledger:
    def __init__(self, uow: UnitOfWork) -> None:
        self._repo = uow.ledger

    async def post(
        self, kind: str, reference: str, entries: Sequence[Entry], *, at: datetime, memo: str = ""
    ) -> bool:
        """Record a transaction once per `reference`; False when it was recorded before."""
        if not entries:
            raise UnbalancedTransaction("a transaction needs entries")
        if off := imbalance(entries):
            raise UnbalancedTransaction(f"{reference}: entries do not balance: {off}")
        rows = [(e.account, e.amount.currency, e.amount.minor) for e in entries if e.amount.minor]
        written = await self._repo.insert(
            kind=kind, reference=reference, at=at, memo=memo[:255], entries=rows
        )
        return written is not None

    async def recorded(self, reference: str) -> bool:
        return await self._repo.recorded(reference)

    async def balance(self, account: str, currency: str) -> Money:
        return Money(await self._repo.balance(account, currency), currency)

    async def release(
        self,
        kind: str,
        reference: str,
        source: str,
        destination: str,
        amount: Money,
        *,
        at: datetime,
    ) -> bool:
        """Move money out of a holding account (escrow) that must never go negative."""
        held = await self.balance(source, amount.currency)
        # Holding accounts are credited when money comes in, so what they hold is -balance.
        if -held.minor < amount.minor:
            raise Overdrawn(f"{source} holds {-held.minor}, cannot release {amount.minor}")
        # Both hold credit balances: the holding account is debited, the destination credited.
        entries = [Entry(source, amount), Entry(destination, -amount)]
        return await self.post(kind, reference, entries, at=at)

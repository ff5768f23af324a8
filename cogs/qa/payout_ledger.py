"""The books of expert payouts: what the community owes members for Q&A (accepted answers,
listen-in shares), and payouts a moderator made outside the bot, taken out of it once each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from bot.core.money import Money
from payments import ledger
from storage.uow import UnitOfWork

# The ledger's kind and reference head for a recorded payout: payout:<member id>:<ref>.
PAYOUT = "payout"


@dataclass(frozen=True)
class Payout:
    """Money a moderator paid a member outside the bot, under the reference they paid it with
    (a bank transfer's or PayPal's id)."""

    member_id: int
    amount: Money
    ref: str

    @property
    def reference(self) -> str:
        # The member is part of it: two experts may be paid in one batch with one ref.
        return f"{PAYOUT}:{self.member_id}:{self.ref}"


class Booked(Enum):
    RECORDED = "recorded"
    REPEATED = "repeated"
    TOO_MUCH = "too_much"


@dataclass(frozen=True)
class Owed:
    member_id: int
    amount: Money


async def book(uow: UnitOfWork, payout: Payout, now: datetime) -> Booked:
    """Take the payout out of what the member is owed, once per reference, never below zero."""
    books = ledger.Ledger(uow)
    # Checked first: a repeat of a payout that emptied the account must read as a repeat.
    if await books.recorded(payout.reference):
        return Booked.REPEATED
    try:
        # The money left through the same clearing account as hand-booked payments came in.
        posted = await books.release(
            PAYOUT,
            payout.reference,
            ledger.payable(payout.member_id),
            ledger.clearing("manual"),
            payout.amount,
            at=now,
        )
    except ledger.Overdrawn:
        return Booked.TOO_MUCH
    return Booked.RECORDED if posted else Booked.REPEATED


async def owed_to(uow: UnitOfWork, member_id: int) -> list[Money]:
    """What the member is owed, per currency (payable accounts are credited: owed is -balance)."""
    account = ledger.payable(member_id)
    balances = await uow.ledger.balances(account)
    return [
        Money(-total, currency)
        for (name, currency), total in balances.items()
        if name == account and total
    ]


async def owed_to_everyone(uow: UnitOfWork) -> list[Owed]:
    balances = await uow.ledger.balances(ledger.PAYABLES)
    return [
        Owed(member_id, Money(-total, currency))
        for (account, currency), total in balances.items()
        if total and (member_id := ledger.member_of_payable(account)) is not None
    ]

"""The ledger's invariants, for any sequence of events hypothesis can think of."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.clock import FakeClock
from bot.core.money import Money
from payments import ledger
from payments.events import PaymentEvent, PaymentEventKind
from payments.providers.sandbox import SandboxProvider
from payments.purposes import Purpose, Purposes
from payments.service import PaymentService
from storage.engine import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.uow import UnitOfWorkFactory
from tests.conftest import make_settings
from tests.payments.conftest import RecordingPurpose

NOW = datetime(2026, 1, 5, tzinfo=UTC)
ACCOUNTS = st.sampled_from(
    ["clearing:stripe", "revenue:qa", "escrow:qa", "refunds:qa", "payable:member:7"]
)
CURRENCIES = st.sampled_from(["usd", "jpy", "xtr"])
AMOUNTS = st.integers(min_value=1, max_value=10**9)


def run_on_fresh_database(test: Callable[[UnitOfWorkFactory], Awaitable[None]]) -> None:
    async def main() -> None:
        engine = make_engine("sqlite+aiosqlite://")
        await upgrade(engine)
        try:
            await test(UnitOfWorkFactory(make_sessionmaker(engine)))
        finally:
            await engine.dispose()

    asyncio.run(main())


@given(st.lists(st.tuples(ACCOUNTS, ACCOUNTS, CURRENCIES, AMOUNTS), min_size=1, max_size=8))
def test_transfers_always_balance(moves: list[tuple[str, str, str, int]]) -> None:
    entries = [e for a, b, c, n in moves for e in ledger.transfer(a, b, Money(n, c))]
    assert ledger.imbalance(entries) == {}
    skewed = [*entries, ledger.Entry("fees:stripe", Money(1, moves[0][2]))]
    assert ledger.imbalance(skewed) == {moves[0][2]: 1}


def test_an_unbalanced_transaction_is_refused() -> None:
    async def check(db: UnitOfWorkFactory) -> None:
        async with db() as uow:
            with pytest.raises(ledger.UnbalancedTransaction):
                await ledger.Ledger(uow).post(
                    "bad", "r", [ledger.Entry("revenue:qa", Money(5, "usd"))], at=NOW
                )

    run_on_fresh_database(check)


EVENTS = st.lists(
    st.one_of(
        st.tuples(st.just(PaymentEventKind.PAID), st.integers(0, 5000)),
        st.tuples(st.just(PaymentEventKind.REFUNDED), st.integers(0, 12000)),
        st.tuples(st.just(PaymentEventKind.DISPUTED), st.just(0)),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(price=st.integers(1, 10000), events=EVENTS)
def test_any_event_sequence_keeps_the_books_straight(
    price: int, events: list[tuple[PaymentEventKind, int]]
) -> None:
    """Duplicates, reordering, refunds reported above the price: every transaction balances,
    refunds never exceed what was paid, and clearing holds exactly paid - refunded - disputed."""

    async def check(db: UnitOfWorkFactory) -> None:
        service = PaymentService(
            providers={"sandbox": SandboxProvider("http://x")},
            purposes=_purposes(),
            clock=FakeClock(NOW),
            settings=make_settings(),
        )
        async with db() as uow:
            member = await uow.members.create_with_identity(
                platform="console",
                platform_user_id="p",
                display_name="p",
                username=None,
                level=0,
                now=NOW,
            )
            assert member is not None
            started = await service.start_checkout(
                uow,
                member_id=member.member_id,
                purpose=Purpose("test", "x"),
                amount=Money(price, "usd"),
                title="x",
                provider="sandbox",
            )
            payment_id = started.payment.id
        for n, (kind, value) in enumerate(events):
            amount = Money(value or price, "usd") if kind is not PaymentEventKind.DISPUTED else None
            async with db() as uow:
                await service.apply(
                    uow,
                    PaymentEvent(
                        "sandbox", kind, f"e{n}", NOW, payment_id=payment_id, amount=amount
                    ),
                )
        async with db() as uow:
            payment = await uow.payments.get(payment_id)
            assert payment is not None
            assert 0 <= payment.refunded_minor <= payment.amount_minor
            for transaction in await uow.ledger.transactions("payment:"):
                sums: dict[str, int] = {}
                for entry in transaction.entries:
                    sums[entry.currency] = sums.get(entry.currency, 0) + entry.amount_minor
                assert all(total == 0 for total in sums.values()), transaction.reference
            balances = await uow.ledger.balances()
            paid = -balances.get(("revenue:test", "usd"), 0)
            refunded = balances.get(("refunds:test", "usd"), 0)
            disputed = balances.get(("disputes:test", "usd"), 0)
            assert refunded <= paid or payment.paid_at is None
            assert balances.get(("clearing:sandbox", "usd"), 0) == paid - refunded - disputed

    run_on_fresh_database(check)


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.booleans(), st.integers(1, 1000)), max_size=20))
def test_escrow_never_goes_negative(moves: list[tuple[bool, int]]) -> None:
    async def check(db: UnitOfWorkFactory) -> None:
        held = 0
        for n, (hold, amount) in enumerate(moves):
            async with db() as uow:
                book = ledger.Ledger(uow)
                money = Money(amount, "usd")
                if hold:
                    await book.post(
                        "hold",
                        f"h{n}",
                        ledger.transfer(ledger.ESCROW_QA, "clearing:stripe", money),
                        at=NOW,
                    )
                    held += amount
                elif amount > held:
                    with pytest.raises(ledger.Overdrawn):
                        await book.release(
                            "pay", f"r{n}", ledger.ESCROW_QA, "payable:member:1", money, at=NOW
                        )
                else:
                    await book.release(
                        "pay", f"r{n}", ledger.ESCROW_QA, "payable:member:1", money, at=NOW
                    )
                    held -= amount
                assert -(await book.balance(ledger.ESCROW_QA, "usd")).minor == held >= 0

    run_on_fresh_database(check)


def _purposes() -> Purposes:
    purposes = Purposes()
    purposes.register(RecordingPurpose())
    return purposes

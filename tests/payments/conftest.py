"""A payments world for tests: both databases, a member, a test purpose that records calls."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from bot.core.clock import FakeClock
from bot.core.effects import NotifyMember
from bot.core.i18n import Translator
from bot.core.money import Money
from payments import ledger
from payments.providers.sandbox import SandboxProvider
from payments.purposes import Purpose, PurposeContext, Purposes
from payments.service import PaymentService
from storage.models import Payment
from tests.conftest import NOW, make_settings


@dataclass
class RecordingPurpose:
    """The test purpose: books to revenue:test, promises a receipt, remembers every call."""

    kind: str = "test"
    for_sale: bool = True
    calls: list[tuple[str, int]] = field(default_factory=list)

    def income_account(self, purpose: Purpose) -> str:
        return ledger.revenue(self.kind)

    async def still_for_sale(self, ctx: PurposeContext, purpose: Purpose, amount: Money) -> bool:
        return self.for_sale

    async def title(self, ctx: PurposeContext, purpose: Purpose, speak: Translator) -> str:
        return f"Test purchase {purpose.ref}"

    async def paid(self, ctx: PurposeContext, payment: Payment) -> None:
        self.calls.append(("paid", payment.id))
        receipt = NotifyMember(payment.member_id, f"Receipt for payment {payment.id}")
        await ctx.promise(receipt, key=f"receipt:{payment.id}")

    async def renewed(self, ctx: PurposeContext, payment: Payment) -> None:
        self.calls.append(("renewed", payment.id))

    async def renewal_failed(self, ctx: PurposeContext, payment: Payment) -> None:
        self.calls.append(("renewal_failed", payment.id))

    async def subscription_changed(self, ctx: PurposeContext, payment: Payment) -> None:
        self.calls.append(("subscription_changed", payment.id))

    async def subscription_ended(self, ctx: PurposeContext, payment: Payment) -> None:
        self.calls.append(("subscription_ended", payment.id))

    async def refunded(self, ctx: PurposeContext, payment: Payment, amount: Money) -> None:
        self.calls.append(("refunded", amount.minor))

    async def disputed(self, ctx: PurposeContext, payment: Payment) -> None:
        self.calls.append(("disputed", payment.id))


@pytest.fixture
def recording() -> RecordingPurpose:
    return RecordingPurpose()


@pytest.fixture
def purposes(recording: RecordingPurpose) -> Purposes:
    purposes = Purposes()
    purposes.register(recording)
    return purposes


@pytest.fixture
def payments_clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def service(purposes: Purposes, payments_clock: FakeClock) -> PaymentService:
    return PaymentService(
        providers={"sandbox": SandboxProvider("http://127.0.0.1:8080")},
        purposes=purposes,
        clock=payments_clock,
        settings=make_settings(),
    )

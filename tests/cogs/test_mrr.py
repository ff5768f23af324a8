"""MRR from what members actually pay, and its weekly movements, for a hand-computed community
driven through the real payment service, sandbox billing, outbox and lifecycle; and the MRR
identity as a property of generated histories."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.clock import FakeClock
from bot.core.delivery import OutboxWorker
from bot.core.money import Money
from cogs.engagement.report_cohorts import cohorts
from cogs.engagement.report_mrr import MrrSection, mrr_section
from cogs.engagement.weeks import Week
from cogs.membership.lifecycle import run_lifecycle
from cogs.membership.mrr import PAYING, PER_MONTH
from payments.provider_calls import ProviderCalls
from payments.providers.base import Interval
from payments.providers.sandbox import SandboxProvider
from payments.purposes import Purpose
from payments.sandbox_billing import SandboxBilling
from storage.engine import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.uow import UnitOfWorkFactory
from tests.conftest import make_settings, wire

ROLE = {"discord_role_ids": [444000000000000001], "grace_days": 3}
TIERS = {
    "member": {"name": "Member", "price": "9.00", "interval": "month", **ROLE},
    "pro": {"name": "Pro", "price": "30.00", "interval": "month", **ROLE},
    "team": {"name": "Team", "price": "120.00", "interval": "year", **ROLE},
}
SETTINGS = make_settings(tiers=TIERS)
PRICES = {"member": 900, "pro": 3000, "team": 12000}
INTERVALS: dict[str, Interval] = {"member": "month", "pro": "month", "team": "year"}


@dataclass
class Community:
    """Members paying at the sandbox checkout; a day passes as it does for the bot: the
    sandbox bills, the outbox carries out refunds and cancellations, the lifecycle runs."""

    uow: UnitOfWorkFactory
    clock: FakeClock

    def __post_init__(self) -> None:
        sandbox = SandboxProvider("http://127.0.0.1:8080")
        services = wire(self.uow, self.clock, SETTINGS, providers={"sandbox": sandbox})
        self.payments = services.payments
        self.billing = sandbox.billing = SandboxBilling(self.uow, self.payments, self.clock)
        calls = ProviderCalls(self.uow, self.payments, self.clock)
        self.outbox = OutboxWorker(self.uow, {calls.platform: calls}, self.clock)
        self.members: dict[str, int] = {}
        self.subscriptions: dict[str, int] = {}  # each member's latest payment

    async def pay(self, who: str, tier: str, *, amount: int | None = None, trial: int = 0) -> None:
        """`who` pays for `tier` (at `amount`, after a promotion code), with `trial` days."""
        async with self.uow() as unit:
            if who not in self.members:
                identity = await unit.members.create_with_identity(
                    platform="telegram",
                    platform_user_id=str(len(self.members) + 1),
                    display_name=who,
                    username=who,
                    level=0,
                    now=self.clock.now(),
                )
                assert identity is not None
                self.members[who] = identity.member_id
            started = await self.payments.start_checkout(
                unit,
                member_id=self.members[who],
                purpose=Purpose("membership", tier),
                amount=Money(PRICES[tier] if amount is None else amount, "usd"),
                title=tier,
                provider="sandbox",
                interval=INTERVALS[tier],
                trial_days=trial,
            )
            await self.billing.pay(unit, started.payment)
            self.subscriptions[who] = started.payment.id
        await self._deliver()

    async def stop_renewing(self, who: str) -> None:
        await self.billing.cancel(self.subscriptions[who], at_period_end=True)

    async def decline_next_renewal(self, who: str) -> None:
        await self.billing.fail_next_renewal(self.subscriptions[who], True)

    async def days(self, count: int) -> None:
        for _ in range(count):
            self.clock.advance(timedelta(days=1))
            await self.billing.bill_due()
            await run_lifecycle(self.uow, SETTINGS, self.clock)
            await self._deliver()

    async def week(self, week: Week) -> MrrSection:
        tz = SETTINGS.community.tzinfo
        async with self.uow() as unit:
            changes = await unit.mrr.before(week.end(tz))
            return await mrr_section(
                unit,
                changes,
                currency="usd",
                previous_start=week.previous().start(tz),
                start=week.start(tz),
                end=week.end(tz),
            )

    async def _deliver(self) -> None:
        while await self.outbox.run_once():
            pass


@pytest.fixture
async def community(engine: AsyncEngine) -> Community:
    # Monday 5 January 2026, 09:00 UTC: the first day of 2026-W02.
    return Community(UnitOfWorkFactory(make_sessionmaker(engine)), FakeClock())


def _usd(section: MrrSection) -> dict[str, int]:
    m = section.movements
    return {
        "start": m.start.value,
        "new": m.new.value,
        "expansion": m.expansion.value,
        "contraction": m.contraction.value,
        "churn": m.churn.value,
        "voluntary": m.churn_voluntary.value,
        "involuntary": m.churn_involuntary.value,
        "reactivation": m.reactivation.value,
        "mrr": section.mrr.value,
    }


def _moved(start: int, mrr: int, **moved: int) -> dict[str, int]:
    none = dict.fromkeys(("new", "expansion", "contraction", "churn", "reactivation"), 0)
    return {**none, "voluntary": 0, "involuntary": 0, **moved, "start": start, "mrr": mrr}


async def test_mrr_moves_as_members_join_switch_cancel_fail_and_come_back(
    community: Community,
) -> None:
    c = community
    # W02: four pay; Cat with a promotion code (6.30 for the 9.00 tier); Eve starts a trial.
    for who, tier in (("ann", "member"), ("bob", "pro"), ("dan", "member")):
        await c.pay(who, tier)
    await c.pay("cat", "member", amount=630)
    await c.days(1)
    await c.pay("eve", "member", trial=7)
    await c.pay("hal", "member", trial=7)
    await c.stop_renewing("hal")  # Hal's trial ends, and nothing is charged
    await c.days(7)  # Tuesday 13 January: Eve's trial ends in her first charge
    await c.days(1)  # Wednesday: Ann upgrades to Pro, Bob downgrades to Member
    await c.pay("ann", "pro")
    await c.pay("bob", "member")
    await c.days(1)  # Cat stops renewing; Dan's next renewal will be declined
    await c.stop_renewing("cat")
    await c.days(10)
    await c.decline_next_renewal("dan")
    # 4 February: Cat's period ends, Dan's card is declined; 7 February his grace runs out.
    await c.days(17)  # Wednesday 11 February: Cat comes back
    await c.pay("cat", "member")
    await c.days(5)

    w02, w03, w04, w05, w06, w07 = [await c.week(Week(2026, n)) for n in range(2, 8)]
    assert _usd(w02) == _moved(0, 5430, new=5430)  # 9 + 30 + 9 + 6.30
    assert _usd(w03) == _moved(5430, 6330, new=900, expansion=2100, contraction=2100)
    assert _usd(w04) == _usd(w05) == _moved(6330, 6330)
    assert _usd(w06) == _moved(6330, 4800, churn=1530, voluntary=630, involuntary=900)
    assert _usd(w07) == _moved(4800, 5700, reactivation=900)
    # The week before is the figures' `previous`.
    assert w07.mrr.previous == w06.mrr.value
    assert w07.movements.churn.previous == 1530

    rates = w06.rates
    assert rates.gross_mrr_churn.value == round(1530 / 6330, 6)
    assert rates.net_mrr_churn.value == round(1530 / 6330, 6)
    assert rates.net_revenue_retention.value == round(4800 / 6330, 6)
    assert rates.logo_churn.value == 0.4  # Cat and Dan of five
    assert rates.arpu.value == 1600  # 48.00 over Ann, Bob, Eve
    assert w03.rates.net_mrr_churn.value == 0  # the upgrade and the downgrade cancel out
    assert w03.rates.trial_conversion.value == 0.5  # Eve's trial turned paid, Hal's did not
    assert w02.rates.trial_conversion.value is None  # no trial ended in W02

    # The cohort of January: Ann, Bob, Cat, Dan and Eve (her first charge on the 13th). At
    # January's end all five paid 63.30; at W07's end four (Dan is gone) pay 57.00.
    tz = SETTINGS.community.tzinfo
    async with c.uow() as unit:
        changes = await unit.mrr.before(Week(2026, 7).end(tz))
    [january] = cohorts(changes, "usd", tz, Week(2026, 7).end(tz))
    assert (january.month, january.members) == ("2026-01", 5)
    assert january.paying == [1.0, 0.8]
    assert january.revenue == [1.0, round(5700 / 6330, 6)]
    assert w02.rates.gross_mrr_churn.value is None  # nobody paid at its start


async def test_a_yearly_tier_counts_a_twelfth_and_a_trial_nothing(community: Community) -> None:
    await community.pay("fay", "team")
    await community.pay("gus", "pro", trial=14)
    await community.days(1)
    week = await community.week(Week(2026, 2))
    assert week.mrr.value == 1000  # 120.00 a year; Gus's trial has not been charged
    assert week.movements.new.value == 1000


# ----------------------------------------------------------------- the identity, as a property

ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["pay", "stop", "decline", "wait"]),
        st.sampled_from(["ann", "bob", "cat"]),
        st.sampled_from(list(TIERS)),
        st.integers(min_value=1, max_value=20),
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(actions=ACTIONS)
async def test_every_week_mrr_is_what_paying_memberships_pay_and_its_movements_add_up(
    actions: list[tuple[str, str, str, int]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("history") / "mrr.db"
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    await upgrade(engine)
    try:
        c = Community(UnitOfWorkFactory(make_sessionmaker(engine)), FakeClock())
        for action, who, tier, days in actions:
            if action == "pay":
                await c.pay(who, tier, trial=days if days > 15 else 0)
            elif who in c.subscriptions and action == "stop":
                await c.stop_renewing(who)
            elif who in c.subscriptions and action == "decline":
                await c.decline_next_renewal(who)
            await c.days(days)
        tz = SETTINGS.community.tzinfo
        week, last = Week(2026, 2), Week.containing(c.clock.now(), tz)
        while True:
            section = await c.week(week)
            m = section.movements
            moved = m.new.value + m.expansion.value + m.reactivation.value
            moved -= m.contraction.value + m.churn.value
            assert section.mrr.value == m.start.value + moved
            assert m.churn.value == m.churn_voluntary.value + m.churn_involuntary.value
            if week == last:
                break
            week = Week.containing(week.end(tz), tz)
        # Now: MRR is what the memberships still paid for are charged a month.
        now = c.clock.now() + timedelta(seconds=1)
        async with c.uow() as unit:
            changes = await unit.mrr.before(now)
            section = await mrr_section(
                unit,
                changes,
                currency="usd",
                previous_start=week.start(tz),
                start=week.start(tz),
                end=now,
            )
        assert section.mrr.value == await _paying_now(c)
    finally:
        await engine.dispose()


async def _paying_now(c: Community) -> int:
    """What the memberships still paid for are charged a month, read from the memberships
    and payments themselves."""
    total = 0
    async with c.uow() as unit:
        for member_id in c.members.values():
            for held in await unit.memberships.of_member(member_id):
                if held.status not in PAYING or held.payment_id is None:
                    continue
                payment = await unit.payments.get(held.payment_id)
                assert payment is not None
                assert payment.subscription_ref is not None
                charged = await unit.payments.latest_charge(payment.subscription_ref)
                assert charged is not None
                total += round(charged.amount_minor / PER_MONTH[payment.interval or ""])
    return total

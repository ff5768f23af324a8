"""The report's money: income, refunds and disputes from the ledger, paid memberships and MRR.

Income is what the revenue accounts were credited (payments/ledger.py: credits are negative),
refunds and disputes what their accounts were debited, all summed by the database per account,
currency and local day of the two weeks compared.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from sqlalchemy import case, exists, func, literal, or_, select
from sqlalchemy.orm import aliased

from bot.config import Settings
from cogs.engagement.report_cohorts import cohorts
from cogs.engagement.report_data import Figure, MoneyFigure, Revenue
from cogs.engagement.report_mrr import mrr_section
from cogs.engagement.weeks import Week, day_start
from payments import ledger
from payments.purposes import Purpose
from storage.models import LedgerEntry, LedgerTransaction, Membership
from storage.repositories.mrr import MrrAt
from storage.uow import UnitOfWork

# Income sources always listed, even at zero, so a report reads the same every week.
SOURCES = ("membership", "qa", "drops", "manual")
# Revenue accounts (and payment purposes) reported under another source: a listen-in is Q&A.
_SOURCE_OF = {"listen": "qa"}
# A membership that ended with one of these ends its holder's access (cogs/membership).
ENDED = frozenset({"expired", "revoked", "switched"})
_REVENUE, _REFUNDS, _DISPUTES = ledger.revenue(""), ledger.refunds(""), ledger.disputes("")
_PAYABLE = "payable:member:"


@dataclass(frozen=True)
class _Booked:
    """One (account, currency, hand-booked?, day) sum of the two weeks: day 0..6 is the
    previous week, 7..13 the report week."""

    account: str
    currency: str
    manual: bool
    day: int
    amount: int


async def revenue(
    uow: UnitOfWork, settings: Settings, week: Week, changes: Sequence[MrrAt]
) -> tuple[Revenue, list[int]]:
    """The revenue section and the report week's gross income per local day; `changes` are
    every MRR change before the week's end (`uow.mrr.before`), in order."""
    tz = settings.community.tzinfo
    currency = settings.community.currency
    previous = week.previous()
    day_ends = [day_start(d + timedelta(days=1), tz) for d in (*previous.days, *week.days)]
    booked = await _booked(uow, previous.start(tz), day_ends)
    gross_by_source: dict[str, list[int]] = {source: [0, 0] for source in SOURCES}
    other: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    refunds, disputes, daily = [0, 0], [0, 0], [0] * 7
    for row in booked:
        # Figures are kept as [this week, the week before].
        which = 0 if row.day >= 7 else 1
        if row.account.startswith(_REVENUE):
            income = -row.amount
            if row.currency != currency:
                other[row.currency][which] += income
                continue
            source = _source(row)
            gross_by_source.setdefault(source, [0, 0])[which] += income
            if row.day >= 7:
                daily[row.day - 7] += income
        elif row.currency == currency:
            (refunds if row.account.startswith(_REFUNDS) else disputes)[which] += row.amount
    gross = [sum(v[i] for v in gross_by_source.values()) for i in (0, 1)]
    net = [gross[i] - refunds[i] - disputes[i] for i in (0, 1)]
    paid = await _paid_memberships(uow, week.end(tz))
    held_now = _held(paid, week.end(tz))
    held_before = _held(paid, previous.end(tz))
    tiers = sorted(set(settings.tiers) | {m.tier for m in (*held_now, *held_before)})
    owed = await _owed(uow, currency, week.end(tz), previous.end(tz))
    recurring = await mrr_section(
        uow,
        changes,
        currency=currency,
        previous_start=previous.start(tz),
        start=week.start(tz),
        end=week.end(tz),
    )

    def money(pair: list[int] | tuple[int, int]) -> MoneyFigure:
        return MoneyFigure.of(pair[0], pair[1], currency)

    section = Revenue(
        currency=currency,
        gross_by_source={source: money(v) for source, v in _sorted(gross_by_source)},
        paid_by_source={
            source: money(v) for source, v in (await _paid(uow, currency, week, tz)).items()
        },
        gross=money(gross),
        refunds=money(refunds),
        disputes=money(disputes),
        net=money(net),
        mrr=recurring.mrr,
        mrr_movements=recurring.movements,
        rates=recurring.rates,
        mrr_other_currencies=recurring.other_currencies,
        cohorts=cohorts(changes, currency, tz, week.end(tz)),
        new_paid_members=Figure.of(
            _new(paid, previous.end(tz), week.end(tz)),
            _new(paid, previous.start(tz), previous.end(tz)),
        ),
        churned_paid_members=Figure.of(
            _churned(paid, previous.end(tz), week.end(tz)),
            _churned(paid, previous.start(tz), previous.end(tz)),
        ),
        active_paid_members=Figure.of(len(held_now), len(held_before)),
        active_paid_by_tier={
            tier: Figure.of(
                sum(m.tier == tier for m in held_now), sum(m.tier == tier for m in held_before)
            )
            for tier in tiers
        },
        expert_payouts_owed=money(owed),
        other_currencies={
            code: MoneyFigure.of(v[0], v[1], code) for code, v in sorted(other.items())
        },
    )
    return section, daily


async def _paid(uow: UnitOfWork, currency: str, week: Week, tz: tzinfo) -> dict[str, list[int]]:
    """What members paid in `currency` by source, [this week, the week before]: the payments
    and renewals charged then, whole (the sources booked by hand are not payments)."""
    paid: dict[str, list[int]] = {source: [0, 0] for source in SOURCES if source != "manual"}
    start = week.start(tz)
    charged = await uow.payments.paid_between(week.previous().start(tz), week.end(tz))
    for purpose, code, amount, at in charged:
        if code == currency:
            kind = Purpose.parse(purpose).kind
            paid.setdefault(_SOURCE_OF.get(kind, kind), [0, 0])[0 if at >= start else 1] += amount
    return paid


def _sorted(sources: dict[str, list[int]]) -> list[tuple[str, list[int]]]:
    """The usual sources first, in their usual order, then any other alphabetically."""
    known = [(s, sources[s]) for s in SOURCES]
    return known + sorted((s, v) for s, v in sources.items() if s not in SOURCES)


async def weekly_income(
    uow: UnitOfWork, currency: str, weeks: Sequence[Week], tz: tzinfo
) -> list[dict[str, int]]:
    """Gross income in `currency` by source in each of `weeks` (consecutive, oldest first)."""
    income: list[dict[str, int]] = [dict.fromkeys(SOURCES, 0) for _ in weeks]
    for row in await _booked(uow, weeks[0].start(tz), [week.end(tz) for week in weeks]):
        if row.account.startswith(_REVENUE) and row.currency == currency:
            source = _source(row)
            income[row.day][source] = income[row.day].get(source, 0) - row.amount
    return income


def _source(row: _Booked) -> str:
    account = row.account.removeprefix(_REVENUE)
    return "manual" if row.manual else _SOURCE_OF.get(account, account)


async def _booked(uow: UnitOfWork, start: datetime, ends: Sequence[datetime]) -> list[_Booked]:
    """Revenue, refund and dispute entries from `start` to the last of `ends`, summed per
    account, currency, hand-booked or not, and span: `day` is the index of the first of
    `ends` the transaction came before."""
    # The span of a transaction, by comparing with the span ends in UTC: no timezone
    # arithmetic in SQL (which SQLite lacks), and right across daylight saving changes.
    earlier = [(LedgerTransaction.at < end, index) for index, end in enumerate(ends[:-1])]
    day = case(*earlier, else_=len(ends) - 1) if earlier else literal(0)
    # Hand-booked income is the income of a transaction that also moved clearing:manual.
    counter = aliased(LedgerEntry)
    manual = exists().where(
        counter.transaction_id == LedgerEntry.transaction_id,
        counter.account == ledger.clearing("manual"),
    )
    entries = (
        select(
            LedgerEntry.account,
            LedgerEntry.currency,
            manual.label("manual"),
            day.label("day"),
            LedgerEntry.amount_minor,
        )
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(
            LedgerTransaction.at >= start,
            LedgerTransaction.at < ends[-1],
            or_(
                LedgerEntry.account.startswith(_REVENUE),
                LedgerEntry.account.startswith(_REFUNDS),
                LedgerEntry.account.startswith(_DISPUTES),
            ),
        )
        .subquery()
    )
    rows = await uow.session.execute(
        select(
            entries.c.account,
            entries.c.currency,
            entries.c.manual,
            entries.c.day,
            func.sum(entries.c.amount_minor),
        ).group_by(entries.c.account, entries.c.currency, entries.c.manual, entries.c.day)
    )
    return [
        _Booked(account, code, bool(is_manual), int(day_index), int(amount))
        for account, code, is_manual, day_index, amount in rows
    ]


@dataclass(frozen=True)
class _Paid:
    """A paid membership as the report sees it: held from `started` until `ended` (None while
    it runs). The row keeps only its latest state, so an end is its status and last update."""

    member_id: int
    tier: str
    started: datetime
    ended: datetime | None

    def held_at(self, instant: datetime) -> bool:
        return self.started < instant and (self.ended is None or self.ended >= instant)


async def _paid_memberships(uow: UnitOfWork, until: datetime) -> list[_Paid]:
    """Memberships bought with a payment that started before `until`. Trials are left out:
    nothing was paid yet, and the row cannot tell when a trial turned paid."""
    rows = await uow.session.execute(
        select(
            Membership.member_id,
            Membership.tier,
            Membership.status,
            Membership.started_at,
            Membership.updated_at,
        ).where(
            Membership.source == "payment",
            Membership.status != "trialing",
            Membership.started_at < until,
        )
    )
    return [
        _Paid(member_id, tier, started, updated if status in ENDED else None)
        for member_id, tier, status, started, updated in rows
    ]


def _held(paid: Iterable[_Paid], instant: datetime) -> list[_Paid]:
    return [m for m in paid if m.held_at(instant)]


def _new(paid: list[_Paid], start: datetime, end: datetime) -> int:
    """Members who started paying in [start, end): a paid membership started then, and none
    was held at `start` (a switch of tiers is not a new paying member)."""
    holding = {m.member_id for m in _held(paid, start)}
    return len({m.member_id for m in paid if start <= m.started < end} - holding)


def _churned(paid: list[_Paid], start: datetime, end: datetime) -> int:
    """Members who stopped paying in [start, end): a paid membership ended then, and none is
    held at `end` (a switch of tiers is not churn)."""
    holding = {m.member_id for m in _held(paid, end)}
    ended = {m.member_id for m in paid if m.ended is not None and start <= m.ended < end}
    return len(ended - holding)


async def _owed(
    uow: UnitOfWork, currency: str, end: datetime, previous_end: datetime
) -> tuple[int, int]:
    """What the members' payable accounts (experts' answers, askers' listen-in shares) hold
    at each week end; they are credited (negative) when money is owed and debited when it is
    paid out."""
    balance_at = [
        func.coalesce(
            func.sum(case((LedgerTransaction.at < instant, LedgerEntry.amount_minor), else_=0)),
            0,
        )
        for instant in (end, previous_end)
    ]
    row = (
        await uow.session.execute(
            select(*balance_at)
            .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
            .where(
                LedgerEntry.account.startswith(_PAYABLE),
                LedgerEntry.currency == currency,
                LedgerTransaction.at < end,
            )
        )
    ).one()
    return -int(row[0]), -int(row[1])

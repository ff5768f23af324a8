"""The engagement model's figures (DESIGN.md §4): I_cu, V_c, P_u and T = Σ_c Σ_u I_cu·V_c·P_u.

Everything is summed by the database over the daily rollup, so the cost follows the distinct
(day, content, member, kind, platform) rows: Python sees a row per member and week, and the
(content, member) pairs only of the few members who can hold one of the largest terms of T.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Float, and_, case, cast, func, literal, or_, select

from bot.config import Settings
from bot.core.money import currency_exponent
from cogs.engagement.weeks import Week
from payments import ledger
from storage.models import (
    Content,
    InteractionDay,
    LedgerEntry,
    LedgerTransaction,
    Membership,
    Payment,
)
from storage.uow import UnitOfWork

PROPENSITY_DAYS = 90
# Members whose pairs are summed per round when looking for the top contributions: one scan
# of the week's rows per round, and few bound parameters per statement.
ROUND = 1000
# Floats summed in a different order differ in the last bits: rounding keeps a report the same
# on SQLite and PostgreSQL.
DIGITS = 6


def weight(settings: Settings) -> ColumnElement[float]:
    """weight(kind) as SQL; kinds without a configured weight count for nothing."""
    weights = settings.engagement.weights.model_dump()
    return case(
        *((InteractionDay.kind == kind, literal(w, Float)) for kind, w in weights.items()),
        else_=literal(0.0, Float),
    )


@dataclass(frozen=True)
class Valuation:
    """V_c in major units: a content's price when it is sold in the community currency, else
    the default content value (a price in another currency, say Stars, does not compare)."""

    currency: str
    scale: int  # minor units in a major one: 100 for usd, 1 for jpy and Stars
    default: float

    @classmethod
    def of(cls, settings: Settings) -> Valuation:
        currency = settings.community.currency
        scale: int = 10 ** currency_exponent(currency)
        default = settings.money(settings.engagement.default_content_value).minor / scale
        return cls(currency, scale, default)

    def __call__(self, price_minor: int | None, currency: str | None) -> float:
        if price_minor is None or currency not in (None, self.currency):
            return self.default
        return price_minor / self.scale

    def sql(self) -> ColumnElement[float]:
        """The same over an outer-joined `contents` (a content missing there is worth the
        default)."""
        priced = and_(
            Content.price_minor.is_not(None),
            or_(Content.currency.is_(None), Content.currency == self.currency),
        )
        return case(
            (priced, cast(Content.price_minor, Float) / literal(float(self.scale), Float)),
            else_=literal(self.default, Float),
        )


def in_week(week: Week) -> ColumnElement[bool]:
    return InteractionDay.day.between(week.first_day, week.days[-1])


@dataclass(slots=True)
class Activity:
    """One member's interactions this week and the week before."""

    rows: int = 0  # rollup rows this week: the member interacted, even if it all cancelled out
    count: int = 0  # net interactions
    count_previous: int = 0
    score: float = 0.0  # Σ_c I_cu
    valued: float = 0.0  # Σ_c I_cu·V_c
    valued_previous: float = 0.0
    # Σ over the positive rows of count·weight·V_c: no single pair's I_cu·V_c is above it,
    # which lets the search for the top contributions skip most members.
    bound: float = 0.0


async def activity(uow: UnitOfWork, settings: Settings, week: Week) -> dict[int, Activity]:
    """Every member's activity, from one pass over two weeks of the rollup, grouped by member
    and week (0 = this one, 1 = the week before)."""
    previous = week.previous()
    which = case((InteractionDay.day >= week.first_day, 0), else_=1)
    weighted = InteractionDay.count * weight(settings)
    valued = weighted * Valuation.of(settings).sql()
    rows = await uow.session.execute(
        select(
            InteractionDay.member_id,
            which,
            func.count(),
            func.sum(InteractionDay.count),
            func.sum(weighted),
            func.sum(valued),
            func.sum(case((InteractionDay.count > 0, valued), else_=0)),
        )
        .outerjoin(Content, Content.id == InteractionDay.content_id)
        .where(InteractionDay.day.between(previous.first_day, week.days[-1]))
        .group_by(InteractionDay.member_id, which)
    )
    members: dict[int, Activity] = {}
    for member, index, n, count, score, valued_sum, bound in rows:
        found = members.get(member)
        if found is None:
            found = members[member] = Activity()
        if index == 0:
            found.rows, found.count, found.score = int(n), int(count), float(score)
            found.valued, found.bound = float(valued_sum), float(bound)
        else:
            found.count_previous, found.valued_previous = int(count), float(valued_sum)
    return members


async def active_in(uow: UnitOfWork, week: Week) -> set[int]:
    """Members whose net interactions in `week` are positive: a reaction taken back in the
    same week does not make anyone active."""
    rows = await uow.session.scalars(
        select(InteractionDay.member_id)
        .where(in_week(week))
        .group_by(InteractionDay.member_id)
        .having(func.sum(InteractionDay.count) > 0)
    )
    return set(rows)


@dataclass(frozen=True)
class Propensity:
    """P_u: a member's paid amount over the trailing days divided by the largest one, floored."""

    paid: dict[int, int]
    top: int  # the largest amount paid
    floor: float

    def __call__(self, member_id: int) -> float:
        if self.top <= 0:
            return self.floor
        return round(max(self.paid.get(member_id, 0) / self.top, self.floor), DIGITS)

    def of(self, members: Iterable[int]) -> dict[int, float]:
        return {member: self(member) for member in members}


async def propensity(uow: UnitOfWork, settings: Settings, end: datetime) -> Propensity:
    """What each member paid in the community currency in the 90 days before `end`: their
    payments less refunds (disputed ones left out), and what moderators booked by hand."""
    currency = settings.community.currency
    since = end - timedelta(days=PROPENSITY_DAYS)
    paid: dict[int, int] = {}
    rows = await uow.session.execute(
        select(Payment.member_id, func.sum(Payment.amount_minor - Payment.refunded_minor))
        .where(
            Payment.currency == currency,
            Payment.paid_at >= since,
            Payment.paid_at < end,
            Payment.status != "disputed",
        )
        .group_by(Payment.member_id)
    )
    for member_id, amount in rows:
        paid[member_id] = int(amount)
    for member_id, amount in await _manual_payments(uow, currency, since, end):
        paid[member_id] = paid.get(member_id, 0) + amount
    top = max(paid.values(), default=0)
    return Propensity(paid, top, settings.engagement.free_member_propensity)


async def _manual_payments(
    uow: UnitOfWork, currency: str, since: datetime, end: datetime
) -> list[tuple[int, int]]:
    """Hand-booked payments have no payment row: the ledger's reference names the membership
    they paid for (payments.ledger.manual_reference)."""
    rows = (
        await uow.session.execute(
            select(LedgerTransaction.reference, LedgerEntry.amount_minor)
            .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
            .where(
                LedgerEntry.account == ledger.clearing("manual"),
                LedgerEntry.currency == currency,
                LedgerTransaction.at >= since,
                LedgerTransaction.at < end,
            )
        )
    ).all()
    by_membership: list[tuple[int, int]] = []
    for reference, amount in rows:
        if (membership_id := ledger.membership_of_manual(reference)) is not None:
            by_membership.append((membership_id, int(amount)))
    if not by_membership:
        return []
    owned = await uow.session.execute(
        select(Membership.id, Membership.member_id).where(
            Membership.id.in_({m for m, _ in by_membership})
        )
    )
    owners = dict(owned.all())
    return [(owners[m], amount) for m, amount in by_membership if m in owners]


def total(
    activity: dict[int, Activity], p: dict[int, float], p_previous: dict[int, float]
) -> tuple[float, float]:
    """T this week and the week before: Σ_u P_u · Σ_c I_cu·V_c."""
    now = sum(a.valued * p[member] for member, a in activity.items())
    before = sum(a.valued_previous * p_previous[member] for member, a in activity.items())
    return round(now, DIGITS), round(before, DIGITS)


@dataclass(frozen=True)
class Pair:
    content_id: int
    member_id: int
    interactions: float  # I_cu
    value: float  # V_c
    propensity: float  # P_u
    contribution: float


async def top_pairs(
    uow: UnitOfWork,
    settings: Settings,
    week: Week,
    *,
    activity: dict[int, Activity],
    values: dict[int, float],
    p: dict[int, float],
    limit: int,
) -> list[Pair]:
    """The `limit` largest terms I_cu·V_c·P_u of T, without summing every pair: members are
    taken in order of their bound (P_u · the most any of their pairs can weigh) until no one
    left could beat the current last place."""
    # (-bound, member): the most promising first.
    candidates = sorted(
        (-p[member] * a.bound, member) for member, a in activity.items() if a.bound > 0
    )
    best: list[Pair] = []
    threshold = 0.0
    taken = 0
    while taken < len(candidates) and -candidates[taken][0] > threshold:
        batch = [m for b, m in candidates[taken : taken + ROUND] if -b > threshold]
        taken += len(batch)
        pairs = await _pairs(uow, settings, week, members=batch, values=values, p=p, limit=limit)
        best = _ranked([*best, *pairs], limit)
        threshold = best[-1].contribution if len(best) == limit else 0.0
    return best


async def _pairs(
    uow: UnitOfWork,
    settings: Settings,
    week: Week,
    *,
    members: Sequence[int],
    values: dict[int, float],
    p: dict[int, float],
    limit: int,
) -> list[Pair]:
    rows = await uow.session.execute(
        select(
            InteractionDay.content_id,
            InteractionDay.member_id,
            func.sum(InteractionDay.count * weight(settings)),
        )
        .where(in_week(week), InteractionDay.member_id.in_(members))
        .group_by(InteractionDay.content_id, InteractionDay.member_id)
    )
    # Tuples, not Pairs, for the many rows: only the batch's top `limit` become Pairs.
    scored: list[tuple[float, int, int, float]] = []
    for content, member, summed in rows:
        share = float(summed) * values[content] * p[member]
        if share > 0:
            scored.append((share, content, member, float(summed)))
    top = heapq.nsmallest(limit, scored, key=lambda row: (-row[0], row[1], row[2]))
    return [
        Pair(content, member, round(i, DIGITS), values[content], p[member], round(share, DIGITS))
        for share, content, member, i in top
    ]


def _ranked(pairs: list[Pair], limit: int) -> list[Pair]:
    """The largest first; equal ones by content, then member."""
    return heapq.nsmallest(limit, pairs, key=lambda x: (-x.contribution, x.content_id, x.member_id))

"""MRR, its movements and the subscription rates, from what each membership was noted to bring
in each month as it changed (cogs/membership/mrr.py): the prices members actually pay.

Movements are counted member by member between two instants, as ChartMogul does: a member
paying nothing at the start and something at the end is new (or reactivated, if they paid
before), one paying nothing at the end churned, one paying more expanded, less contracted. A
member who started and stopped within the week moved nothing. So the movements add up to the
change in MRR exactly, by construction; `movements` checks it all the same.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cogs.engagement.report_data import MoneyFigure, MrrMovements, Rates, RatioFigure
from storage.repositories.mrr import MrrAt
from storage.uow import UnitOfWork

INVOLUNTARY = "involuntary"
# Trials ending in the weeks compared began at most this long before them.
LONGEST_TRIAL = timedelta(days=366)


@dataclass
class _Moved:
    """The movements between two instants, in minor units a month."""

    start: int = 0
    end: int = 0
    new: int = 0
    expansion: int = 0
    contraction: int = 0
    churn: int = 0
    churn_involuntary: int = 0
    reactivation: int = 0
    paying_at_start: int = 0
    paying_at_end: int = 0
    lost: int = 0  # members paying at the start who are not at the end
    other_end: dict[str, int] = field(default_factory=dict)

    def check(self) -> None:
        moved = self.new + self.expansion + self.reactivation - self.contraction - self.churn
        if self.start + moved != self.end:
            raise AssertionError(f"MRR movements do not add up: {self}")


@dataclass(frozen=True)
class MrrSection:
    mrr: MoneyFigure
    movements: MrrMovements
    rates: Rates
    other_currencies: dict[str, MoneyFigure]


async def mrr_section(
    uow: UnitOfWork,
    changes: Sequence[MrrAt],
    *,
    currency: str,
    previous_start: datetime,
    start: datetime,
    end: datetime,
) -> MrrSection:
    """The report week [start, end) against the week before [previous_start, start), from
    `changes`: every MRR change before `end` (`uow.mrr.before(end)`), in order."""
    trials = await uow.payments.trials_since(previous_start - LONGEST_TRIAL)
    at = {instant: snapshot(changes, instant) for instant in (previous_start, start, end)}
    this = movements(at[start], at[end], _paid_before(changes, start), currency)
    before = movements(
        at[previous_start], at[start], _paid_before(changes, previous_start), currency
    )

    def money(pick: Callable[[_Moved], int]) -> MoneyFigure:
        return MoneyFigure.of(pick(this), pick(before), currency)

    def rate(part: Callable[[_Moved], int], whole: Callable[[_Moved], int]) -> RatioFigure:
        return RatioFigure.of(_share(part(this), whole(this)), _share(part(before), whole(before)))

    def at_start(moved: _Moved) -> int:
        return moved.start

    return MrrSection(
        mrr=money(lambda m: m.end),
        movements=MrrMovements(
            start=money(at_start),
            new=money(lambda m: m.new),
            expansion=money(lambda m: m.expansion),
            contraction=money(lambda m: m.contraction),
            churn=money(lambda m: m.churn),
            churn_voluntary=money(lambda m: m.churn - m.churn_involuntary),
            churn_involuntary=money(lambda m: m.churn_involuntary),
            reactivation=money(lambda m: m.reactivation),
        ),
        rates=Rates(
            gross_mrr_churn=rate(lambda m: m.churn, at_start),
            net_mrr_churn=rate(
                lambda m: m.churn + m.contraction - m.expansion - m.reactivation, at_start
            ),
            net_revenue_retention=rate(
                lambda m: m.start + m.expansion - m.contraction - m.churn, at_start
            ),
            logo_churn=rate(lambda m: m.lost, lambda m: m.paying_at_start),
            arpu=money(lambda m: round(m.end / m.paying_at_end) if m.paying_at_end else 0),
            trial_conversion=RatioFigure.of(
                _converted(trials, start, end), _converted(trials, previous_start, start)
            ),
        ),
        other_currencies={
            code: MoneyFigure.of(this.other_end.get(code, 0), before.other_end.get(code, 0), code)
            for code in sorted(set(this.other_end) | set(before.other_end))
        },
    )


def movements(
    at_start: Sequence[MrrAt], at_end: Sequence[MrrAt], paid_before: set[int], currency: str
) -> _Moved:
    """Member by member, how the MRR in `currency` moved between the two snapshots; other
    currencies (Telegram Stars) are only totalled at the end, apart."""
    moved = _Moved()
    start, end = by_member(at_start, currency), by_member(at_end, currency)
    for row in at_end:
        if row.currency != currency and row.monthly_minor:
            moved.other_end[row.currency] = moved.other_end.get(row.currency, 0) + row.monthly_minor
    lapsed = {
        row.member_id for row in at_end if row.currency == currency and row.reason == INVOLUNTARY
    }
    for member in start.keys() | end.keys():
        before, after = start.get(member, 0), end.get(member, 0)
        moved.start += before
        moved.end += after
        moved.paying_at_start += before > 0
        moved.paying_at_end += after > 0
        if before == 0 and after > 0:
            if member in paid_before:
                moved.reactivation += after
            else:
                moved.new += after
        elif before > 0 and after == 0:
            moved.churn += before
            moved.lost += 1
            if member in lapsed:
                moved.churn_involuntary += before
        elif after > before:
            moved.expansion += after - before
        else:
            moved.contraction += before - after
    moved.check()
    return moved


def snapshot(changes: Sequence[MrrAt], instant: datetime) -> list[MrrAt]:
    """Each membership's latest change before `instant` (`changes` in the order they
    happened)."""
    latest: dict[int, MrrAt] = {}
    for change in changes:
        if change.at >= instant:
            break
        latest[change.membership_id] = change
    return list(latest.values())


def monthly_at(
    changes: Sequence[MrrAt], instants: Sequence[datetime], currency: str
) -> list[dict[int, int]]:
    """What each member brings in a month in `currency` at each of `instants` (in order), in
    one pass over `changes` (in the order they happened)."""
    by_membership: dict[int, MrrAt] = {}
    monthly: dict[int, int] = {}
    found: list[dict[int, int]] = []
    pending = iter(changes)
    change = next(pending, None)
    for instant in instants:
        while change is not None and change.at < instant:
            if change.currency == currency:
                before = by_membership.get(change.membership_id)
                old = before.monthly_minor if before is not None else 0
                member = change.member_id
                monthly[member] = monthly.get(member, 0) + change.monthly_minor - old
                by_membership[change.membership_id] = change
            change = next(pending, None)
        found.append(dict(monthly))
    return found


def _paid_before(changes: Sequence[MrrAt], instant: datetime) -> set[int]:
    """Members who brought money in at some time before `instant`."""
    return {c.member_id for c in changes if c.at < instant and c.monthly_minor > 0}


def by_member(rows: Sequence[MrrAt], currency: str) -> dict[int, int]:
    monthly: dict[int, int] = defaultdict(int)
    for row in rows:
        if row.currency == currency:
            monthly[row.member_id] += row.monthly_minor
    return monthly


def _converted(
    trials: Sequence[tuple[datetime, int, bool]], start: datetime, end: datetime
) -> float | None:
    """Of the trials that ended in [start, end), the share whose subscription was charged."""
    ended = [
        charged for began, days, charged in trials if start <= began + timedelta(days=days) < end
    ]
    return _share(sum(ended), len(ended))


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None

"""The cohort retention table: members by the month they first paid, and for each month since,
the share of them still paying and the share of their first month's MRR they bring in.

Month k of a cohort is read at the end of the k-th month after the one they first paid in
(k = 0: the end of that first month); the month under way is read at the report week's end.
Months are the community's local calendar months. Only what was charged in the community's
currency counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, tzinfo

from cogs.engagement.report_data import Cohort
from cogs.engagement.report_mrr import monthly_at
from cogs.engagement.weeks import day_start
from storage.repositories.mrr import MrrAt

MONTHS = 12  # cohorts shown: the months up to and including the report week's


def cohorts(changes: Sequence[MrrAt], currency: str, tz: tzinfo, end: datetime) -> list[Cohort]:
    """The cohorts of the MONTHS months up to `end` (the report week's end), from `changes`:
    every MRR change before `end`, in order."""
    paid = [c for c in changes if c.currency == currency]
    first: dict[int, date] = {}
    for change in paid:
        if change.monthly_minor > 0 and change.member_id not in first:
            first[change.member_id] = _month(change.at.astimezone(tz).date())
    last = _month((end.astimezone(tz)).date())
    months = [_add(last, -n) for n in range(MONTHS - 1, -1, -1)]
    # What each member brings in at the end of each month shown (the last: at `end`).
    ends = [min(day_start(_add(m, 1), tz), end) for m in months]
    monthly = monthly_at(paid, ends, currency)
    table = []
    for index, month in enumerate(months):
        members = [m for m, began in first.items() if began == month]
        if not members:
            continue
        start = sum(monthly[index].get(m, 0) for m in members)
        paying, revenue = [], []
        for later in monthly[index:]:
            paying.append(_share(sum(later.get(m, 0) > 0 for m in members), len(members)))
            revenue.append(_share(sum(later.get(m, 0) for m in members), start))
        table.append(
            Cohort(
                month=month.strftime("%Y-%m"), members=len(members), paying=paying, revenue=revenue
            )
        )
    return table


def _month(day: date) -> date:
    return day.replace(day=1)


def _add(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _share(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else 0.0

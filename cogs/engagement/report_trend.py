"""The report's 12-week trend: gross income by source, MRR and paying members at each week's
end, and active members, for the weeks up to the report's.

MRR and paying members come from the MRR changes already read for the report. The report week
and the one before are counted afresh (income from the ledger, active members from the report's
own counts); each earlier week is counted once, from the ledger and the rollup rows, and kept in
`weekly_figures`, so that later reports read one row for it (what is booked or recorded for a
week after it was kept is not added).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.config import Settings
from cogs.engagement import engagement_value as figures
from cogs.engagement.report_data import TrendPoint
from cogs.engagement.report_mrr import monthly_at
from cogs.engagement.report_revenue import weekly_income
from cogs.engagement.weeks import Week
from storage.models import WeeklyFigures
from storage.repositories.mrr import MrrAt
from storage.uow import UnitOfWork

WEEKS = 12  # by default
_Week = tuple[int, dict[str, int]]  # active members, gross income by source


async def trend(
    uow: UnitOfWork,
    settings: Settings,
    week: Week,
    changes: Sequence[MrrAt],
    recent: tuple[_Week, _Week],
    *,
    length: int = WEEKS,
) -> list[TrendPoint]:
    """The `length` weeks (2 or more) up to `week`; `recent` is (active members, gross income
    by source) of the report week and of the week before, as the report counted them."""
    tz, currency = settings.community.tzinfo, settings.community.currency
    weeks = [week]
    while len(weeks) < max(length, 2):
        weeks.insert(0, weeks[0].previous())
    kept = await uow.contents.weekly_figures(str(w) for w in weeks[:-2])
    missing = [w for w in weeks[:-2] if str(w) not in kept or kept[str(w)].currency != currency]
    income: dict[str, dict[str, int]] = {}
    if missing:
        # One ledger read, from the earliest week to count to the last of them.
        span = weeks[weeks.index(missing[0]) : weeks.index(missing[-1]) + 1]
        counted = await weekly_income(uow, currency, span, tz)
        income = dict(zip(map(str, span), counted, strict=True))
    for past in missing:
        figures_of = WeeklyFigures(
            week=str(past),
            active_members=len(await figures.active_in(uow, past)),
            currency=currency,
            gross_by_source=income[str(past)],
        )
        await uow.contents.keep_weekly_figures(figures_of)
        kept[str(past)] = figures_of
    active_members = {w: f.active_members for w, f in kept.items()}
    income.update((w, f.gross_by_source) for w, f in kept.items())
    for each, (active, gross) in zip(weeks[-2:], reversed(recent), strict=True):
        active_members[str(each)], income[str(each)] = active, gross
    points = []
    ends = monthly_at(changes, [each.end(tz) for each in weeks], currency)
    for each, monthly in zip(weeks, ends, strict=True):
        points.append(
            TrendPoint(
                week=str(each),
                gross_by_source=income[str(each)],
                mrr=sum(monthly.values()),
                active_members=active_members[str(each)],
                paying_members=sum(amount > 0 for amount in monthly.values()),
            )
        )
    return points

"""The report's 12-week trend: gross income by source, MRR and paying members at each week's
end, and active members, for the weeks up to the report's.

Income comes from the ledger in one query; MRR and paying members from the MRR changes already
read for the report; active members of the report week and the one before from the report's
own counts, and of earlier weeks from `weekly_activity`, where each past week is kept once it
has been counted from the rollup rows (interactions recorded after that are not added).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.config import Settings
from cogs.engagement import engagement_value as figures
from cogs.engagement.report_data import TrendPoint
from cogs.engagement.report_mrr import by_member, snapshot
from cogs.engagement.report_revenue import weekly_income
from cogs.engagement.weeks import Week
from storage.repositories.mrr import MrrAt
from storage.uow import UnitOfWork

WEEKS = 12


async def trend(
    uow: UnitOfWork,
    settings: Settings,
    week: Week,
    changes: Sequence[MrrAt],
    active: tuple[int, int],
) -> list[TrendPoint]:
    """The WEEKS weeks up to `week`; `active` is (this week's, last week's) active members."""
    tz, currency = settings.community.tzinfo, settings.community.currency
    weeks = [week]
    while len(weeks) < WEEKS:
        weeks.insert(0, weeks[0].previous())
    income = await weekly_income(uow, currency, weeks, tz)
    earlier = [str(w) for w in weeks[:-2]]
    counted = await uow.contents.weekly_active(earlier)
    for past in weeks[:-2]:
        if str(past) not in counted:
            counted[str(past)] = len(await figures.active_in(uow, past))
            await uow.contents.keep_weekly_active(str(past), counted[str(past)])
    counted[str(weeks[-2])], counted[str(week)] = active[1], active[0]
    points = []
    for index, each in enumerate(weeks):
        monthly = by_member(snapshot(changes, each.end(tz)), currency)
        points.append(
            TrendPoint(
                week=str(each),
                gross_by_source=income[index],
                mrr=sum(monthly.values()),
                active_members=counted[str(each)],
                paying_members=sum(amount > 0 for amount in monthly.values()),
            )
        )
    return points

"""Build the weekly engagement and revenue report from the database.

Interactions are read from the daily rollup (`interaction_days`), never the raw rows, and summed
by the database: the cost follows the distinct (day, content, member, kind, platform) rows of the
weeks compared. Python sees a row per member and week, per content and day, and the pairs of
the few members who can hold a top contribution (engagement_value.top_pairs).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import case, func, select

from bot.config import Settings
from cogs.engagement import engagement_value as figures
from cogs.engagement import report_counts
from cogs.engagement.report_counts import PLATFORMS, Key
from cogs.engagement.report_data import (
    SCHEMA_VERSION,
    Contribution,
    DayPoint,
    Engagement,
    EngagementModel,
    Figure,
    RatioFigure,
    ScoreFigure,
    TopContent,
    TopMember,
    WeeklyReport,
)
from cogs.engagement.report_revenue import revenue
from cogs.engagement.report_trend import WEEKS as TREND_WEEKS
from cogs.engagement.report_trend import trend
from cogs.engagement.weeks import Week, day_start
from storage.models import Member
from storage.uow import UnitOfWork

TOP = 10


async def build_report(
    uow: UnitOfWork,
    settings: Settings,
    week: Week,
    *,
    now: datetime | None = None,
    trend_weeks: int = TREND_WEEKS,
) -> WeeklyReport:
    """The report of `week`; for a week still under way, `now` leaves out of `daily` the days
    that have not begun. The trend covers `trend_weeks` weeks up to `week`."""
    await uow.contents.roll_up()  # the interactions recorded until now count too
    tz = settings.community.tzinfo
    previous = week.previous()
    counted = await report_counts.counts(uow, settings, week)
    contents = await report_counts.engaged(uow, settings, counted.scores)
    activity = await figures.activity(uow, settings, week)
    p = (await figures.propensity(uow, settings, week.end(tz))).of(activity)
    p_previous = (await figures.propensity(uow, settings, previous.end(tz))).of(activity)
    values = {c.id: c.value for c in contents}
    pairs = await figures.top_pairs(
        uow, settings, week, activity=activity, values=values, p=p, limit=TOP
    )
    top_members = heapq.nsmallest(
        TOP, ((-a.score, member) for member, a in activity.items() if a.score > 0)
    )
    names = await _names(uow, {m for _, m in top_members} | {pair.member_id for pair in pairs})
    # One read of every MRR change up to the week's end: movements, cohorts and the trend.
    changes = await uow.mrr.before(week.end(tz))
    money, daily_revenue = await revenue(uow, settings, week, changes)
    # Active: net interactions above zero (a reaction taken back does not count).
    active = {member for member, a in activity.items() if a.count > 0}
    active_previous = {member for member, a in activity.items() if a.count_previous > 0}
    active_before = await figures.active_in(uow, previous.previous())
    recent = (
        (len(active), {s: f.value for s, f in money.gross_by_source.items()}),
        (len(active_previous), {s: f.previous for s, f in money.gross_by_source.items()}),
    )
    weeks = await trend(uow, settings, week, changes, recent, length=trend_weeks)
    engagement = Engagement(
        active_members=Figure.of(len(active), len(active_previous)),
        new_members=Figure.of(*await _new_members(uow, settings, week)),
        retention=RatioFigure.of(
            _share(active_previous, active), _share(active_before, active_previous)
        ),
        interactions_by_kind=_by(counted.by_kind, week, settings.engagement.weights.model_dump()),
        interactions_by_platform=_by(counted.by_platform, week, PLATFORMS),
        top_contents=[
            TopContent(id=c.id, kind=c.kind, title=c.title, score=c.score)
            for c in heapq.nsmallest(TOP, contents, key=lambda c: (-c.score, c.id))
            if c.score > 0
        ],
        top_members=[
            TopMember(id=m, display_name=names.get(m, ""), score=round(-score, figures.DIGITS))
            for score, m in top_members
        ],
    )
    titles = {c.id: c.title for c in contents}
    model = EngagementModel(
        total=ScoreFigure.of(*figures.total(activity, p, p_previous)),
        default_content_value=figures.Valuation.of(settings).default,
        free_member_propensity=settings.engagement.free_member_propensity,
        content_values=dict(sorted(values.items())),
        member_propensities={m: p[m] for m in sorted(activity) if activity[m].rows},
        top_contributions=[
            Contribution(
                content_id=pair.content_id,
                content_title=titles.get(pair.content_id, ""),
                member_id=pair.member_id,
                member_name=names.get(pair.member_id, ""),
                interactions=pair.interactions,
                value=pair.value,
                propensity=pair.propensity,
                contribution=pair.contribution,
            )
            for pair in pairs
        ],
    )
    return WeeklyReport(
        schema_version=SCHEMA_VERSION,
        week=str(week),
        previous_week=str(previous),
        timezone=settings.community.timezone,
        start=week.start(tz),
        end=week.end(tz),
        currency=settings.community.currency,
        engagement=engagement,
        revenue=money,
        model=model,
        daily=[
            DayPoint(day=day, revenue=income, interactions=_on(counted.by_platform, day))
            for day, income in zip(week.days, daily_revenue, strict=True)
            if now is None or day_start(day, tz) < now
        ],
        trend=weeks,
    )


def _by(totals: dict[Key, int], week: Week, listed: Iterable[str]) -> dict[str, Figure]:
    """Totals by kind or by platform: the listed keys in their order, then any others seen."""
    sums: dict[str, list[int]] = {key: [0, 0] for key in listed}
    this_week = set(week.days)
    for (day, key), n in totals.items():
        sums.setdefault(key, [0, 0])[0 if day in this_week else 1] += n
    return {name: Figure.of(*sums[name]) for name in _listed_first(sums, listed)}


def _listed_first(keys: Iterable[str], listed: Iterable[str]) -> list[str]:
    order = list(listed)
    return order + sorted(set(keys) - set(order))


def _on(by_platform: dict[Key, int], day: date) -> dict[str, int]:
    """Net interactions on one local day by platform (the listed ones, then any others)."""
    found = {platform: n for (when, platform), n in by_platform.items() if when == day}
    return {p: found.get(p, 0) for p in _listed_first(found, PLATFORMS)}


def _share(base: set[int], then: set[int]) -> float | None:
    """Of the members in `base`, the share also in `then`; None when `base` is empty."""
    if not base:
        return None
    return round(len(base & then) / len(base), figures.DIGITS)


async def _new_members(uow: UnitOfWork, settings: Settings, week: Week) -> tuple[int, int]:
    """Members who joined this week and the week before; one folded into another by /link
    is the same person, not a new one."""
    tz = settings.community.tzinfo
    previous = week.previous()
    joined_this_week = Member.created_at >= week.start(tz)
    this_week, before = (
        await uow.session.execute(
            select(
                func.coalesce(func.sum(case((joined_this_week, 1), else_=0)), 0),
                func.coalesce(func.sum(case((joined_this_week, 0), else_=1)), 0),
            ).where(
                Member.created_at >= previous.start(tz),
                Member.created_at < week.end(tz),
                Member.merged_into_id.is_(None),
            )
        )
    ).one()
    return int(this_week), int(before)


async def _names(uow: UnitOfWork, member_ids: set[int]) -> dict[int, str]:
    if not member_ids:
        return {}
    rows = await uow.session.execute(
        select(Member.id, Member.display_name).where(Member.id.in_(member_ids))
    )
    return dict(rows.all())

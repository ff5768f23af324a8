"""Interaction counts for the report: net counts per local day and kind and per local day and
platform, and each content's Σ_u I_cu, from one pass over two weeks of the daily rollup.

The pass groups by (day, content), the rollup's key order, so SQLite sums while it reads instead
of sorting every row; kinds and platforms become columns (one per configured kind and usual
platform). Rows of any other kind or platform are rare (the console) and summed apart.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, not_, or_, select

from bot.config import Settings
from cogs.engagement import engagement_value as figures
from cogs.engagement.service import OTHER
from cogs.engagement.weeks import Week
from storage.models import Content, InteractionDay
from storage.uow import UnitOfWork

# Listed in every report, even at zero, so that week after week the same lines appear.
PLATFORMS = ("discord", "telegram")
# Where else members can be; anything else recorded as a platform (a payment provider or
# "auto", before interactions away from the chats counted where the member was) is "other".
CHATS = frozenset({*PLATFORMS, "console"})
CHUNK = 1000  # ids per IN (...): far below every driver's limit on bound parameters
Key = tuple[date, str]  # a local day, and a kind or a platform


@dataclass
class Counts:
    by_kind: dict[Key, int] = field(default_factory=lambda: defaultdict(int))
    by_platform: dict[Key, int] = field(default_factory=lambda: defaultdict(int))
    scores: dict[int, float] = field(default_factory=lambda: defaultdict(float))  # this week


async def counts(uow: UnitOfWork, settings: Settings, week: Week) -> Counts:
    """Net counts over this week and the week before; content scores of this week only."""
    weights = settings.engagement.weights.model_dump()
    kinds = list(weights)
    kind, platform, count = InteractionDay.kind, InteractionDay.platform, InteractionDay.count
    unusual = or_(not_(kind.in_(kinds)), not_(platform.in_(PLATFORMS)))
    within = InteractionDay.day.between(week.previous().first_day, week.days[-1])
    this_week = set(week.days)
    result = Counts()
    rows = await uow.session.execute(
        select(
            InteractionDay.day,
            InteractionDay.content_id,
            func.sum(case((unusual, 1), else_=0)),
            *(func.sum(case((kind == k, count), else_=0)) for k in kinds),
            *(func.sum(case((platform == p, count), else_=0)) for p in PLATFORMS),
        )
        .where(within)
        .group_by(InteractionDay.day, InteractionDay.content_id)
    )
    weighted = [*weights.values(), *(0.0 for _ in PLATFORMS)]
    by_day: dict[date, list[int]] = {}
    strangers = 0
    for day, content_id, unusual_rows, *sums in rows:
        strangers += unusual_rows
        before = by_day.get(day)
        by_day[day] = list(sums) if before is None else list(map(operator.add, before, sums))
        if day in this_week:
            result.scores[content_id] += sum(map(operator.mul, sums, weighted))
    for day, sums in by_day.items():
        for k, n in zip(kinds, sums[: len(kinds)], strict=True):
            result.by_kind[day, k] += int(n)
        for p, n in zip(PLATFORMS, sums[len(kinds) :], strict=True):
            result.by_platform[day, p] += int(n)
    if strangers:
        # Unconfigured kinds weigh nothing; other platforms' rows of configured kinds are in
        # the kind columns already. What is left: their own lines in the totals.
        others = await uow.session.execute(
            select(InteractionDay.day, kind, platform, func.sum(count))
            .where(within, unusual)
            .group_by(InteractionDay.day, kind, platform)
        )
        for day, k, p, n in others:
            if k not in weights:
                result.by_kind[day, k] += int(n)
            if p not in PLATFORMS:
                result.by_platform[day, p if p in CHATS else OTHER] += int(n)
    return result


@dataclass(frozen=True)
class EngagedContent:
    id: int
    kind: str
    title: str
    value: float  # V_c
    score: float  # Σ_u I_cu this week


async def engaged(
    uow: UnitOfWork, settings: Settings, scores: dict[int, float]
) -> list[EngagedContent]:
    """The contents engaged with this week, by id. One missing from `contents` still counts,
    untitled, at the default value."""
    valuation = figures.Valuation.of(settings)
    ids = sorted(scores)
    found: dict[int, EngagedContent] = {}
    for start in range(0, len(ids), CHUNK):
        rows = await uow.session.execute(
            select(
                Content.id, Content.kind, Content.title, Content.price_minor, Content.currency
            ).where(Content.id.in_(ids[start : start + CHUNK]))
        )
        for content_id, kind, title, price, currency in rows:
            found[content_id] = EngagedContent(
                content_id, kind, title, valuation(price, currency), _round(scores[content_id])
            )
    return [
        found.get(c) or EngagedContent(c, "", "", valuation.default, _round(scores[c])) for c in ids
    ]


def _round(score: float) -> float:
    return round(score, figures.DIGITS)

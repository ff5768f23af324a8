"""The weekly engagement and revenue report as data: what `knowpay report --format json` prints
and what the chat text, the CSV and the chart are drawn from.

The JSON shape is a contract (`tests/cogs/report_schema.json` is its snapshot): changing it
means bumping `SCHEMA_VERSION`. Fields appear in the order declared here; dictionaries are keyed
and ordered as described. Every figure compares the report week with the week before it:

    {
      "schema_version": 1,
      "week": "2026-W48", "previous_week": "2026-W47",
      "timezone": "Asia/Shanghai",          # weeks run Monday 00:00 to Monday 00:00 there
      "start": "...Z", "end": "...Z",         # the week as UTC instants, end exclusive
      "currency": "usd",                      # the community currency
      "engagement": {
        "active_members": Figure, "new_members": Figure, "retention": Ratio,
        "interactions_by_kind": {kind: Figure}, "interactions_by_platform": {platform: Figure},
        "top_contents": [{"id", "kind", "title", "score"}],
        "top_members": [{"id", "display_name", "score"}]
      },
      "revenue": {
        "currency", "gross_by_source": {source: Money}, "gross": Money, "refunds": Money,
        "disputes": Money, "net": Money, "mrr": Money, "new_paid_members": Figure,
        "churned_paid_members": Figure, "active_paid_members": Figure,
        "active_paid_by_tier": {tier: Figure}, "expert_payouts_owed": Money,
        "other_currencies": {currency: Money}   # gross income in currencies other than ours
      },
      "model": {
        "total": Score,                        # T
        "default_content_value", "free_member_propensity",
        "content_values": {content id: V_c}, "member_propensities": {member id: P_u},
        "top_contributions": [{"content_id", "content_title", "member_id", "member_name",
                               "interactions", "value", "propensity", "contribution"}]
      },
      "daily": [{"day": "2026-11-23", "revenue": minor units, "interactions": {platform: n}}]
    }

Figure = {"value", "previous", "change"} with change = value - previous (integers);
Money = Figure plus "currency", amounts in integer minor units; Score = the same with floats;
Ratio = floats in 0..1, null when the week it is measured against had no one to measure.
Scores and ratios are rounded to 6 decimals, so SQLite and PostgreSQL give the same report.

What the figures count:
- active: net interactions in the week above zero; retention: the week before's active
  members active again; new members: joined in the week (not folded into another by /link).
- income: credits to revenue:<source> (membership, qa, drops, then any other); "manual" is the
  income of transactions that moved clearing:manual (moderators' hand-booked payments).
  Refunds and disputes: debits to refunds:* and disputes:*. Net = gross - refunds - disputes.
- paid memberships: bought with a payment (source "payment"), trials left out, held from their
  start until they expired, were revoked or switched. MRR counts those held at the week's end
  at their tier's configured price (a year's as a twelfth, lifetime ones not at all). New paid
  members started one in the week and held none at its start; churned ones ended one in the
  week and hold none at its end: a switch of tiers is neither.
- expert payouts owed: what payable:member:* accounts (answers and listen-in shares) hold
  at the week's end.
- V_c, P_u and T as in DESIGN.md §4; P_u from payments less refunds (disputed ones left out)
  and hand-booked payments in the 90 days before the week's end.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION: Final = 2


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Figure(_Model):
    """A count this week and the week before."""

    value: int
    previous: int
    change: int

    @classmethod
    def of(cls, value: int, previous: int) -> Figure:
        return cls(value=value, previous=previous, change=value - previous)


class MoneyFigure(_Model):
    """An amount in integer minor units of `currency`, this week and the week before."""

    value: int
    previous: int
    change: int
    currency: str

    @classmethod
    def of(cls, value: int, previous: int, currency: str) -> MoneyFigure:
        return cls(value=value, previous=previous, change=value - previous, currency=currency)


class ScoreFigure(_Model):
    """A weighted score (floats), this week and the week before."""

    value: float
    previous: float
    change: float

    @classmethod
    def of(cls, value: float, previous: float) -> ScoreFigure:
        return cls(value=value, previous=previous, change=round(value - previous, 6))


class RatioFigure(_Model):
    """A share in 0..1; None when there was nothing to take a share of."""

    value: float | None
    previous: float | None
    change: float | None

    @classmethod
    def of(cls, value: float | None, previous: float | None) -> RatioFigure:
        change = None if value is None or previous is None else round(value - previous, 6)
        return cls(value=value, previous=previous, change=change)


class TopContent(_Model):
    id: int
    kind: str
    title: str
    score: float = Field(description="Σ_u I_cu: weighted interactions of every member")


class TopMember(_Model):
    id: int
    display_name: str
    score: float = Field(description="Σ_c I_cu: weighted interactions with every content")


class Engagement(_Model):
    active_members: Figure = Field(description="members with net interactions above zero")
    new_members: Figure = Field(description="members who joined in the week")
    retention: RatioFigure = Field(
        description="share of the week before's active members active again this week"
    )
    interactions_by_kind: dict[str, Figure] = Field(
        description="net counts: the configured kinds in their order, then any others"
    )
    interactions_by_platform: dict[str, Figure] = Field(
        description="net counts: discord, telegram, then any others"
    )
    top_contents: list[TopContent]
    top_members: list[TopMember]


class MrrMovements(_Model):
    """How MRR moved over the week, member by member (ChartMogul's movements); exactly
    mrr = start + new + expansion + reactivation - contraction - churn."""

    start: MoneyFigure = Field(description="MRR at the week's start")
    new: MoneyFigure = Field(description="members paying for the first time")
    expansion: MoneyFigure = Field(description="members paying more (an upgrade)")
    contraction: MoneyFigure = Field(description="members paying less (a downgrade)")
    churn: MoneyFigure = Field(description="members who stopped paying, at their period's end")
    churn_voluntary: MoneyFigure = Field(description="of churn: cancelled, refunded, revoked")
    churn_involuntary: MoneyFigure = Field(description="of churn: a payment that failed")
    reactivation: MoneyFigure = Field(description="members paying again after stopping")


class Rates(_Model):
    """The subscription business's rates over the week (None when nobody paid at its start)."""

    gross_mrr_churn: RatioFigure = Field(description="churn / MRR at the start")
    net_mrr_churn: RatioFigure = Field(
        description="(churn + contraction - expansion - reactivation) / MRR at the start"
    )
    net_revenue_retention: RatioFigure = Field(
        description="(MRR at the start + expansion - contraction - churn) / MRR at the start"
    )
    logo_churn: RatioFigure = Field(
        description="members paying at the start who are not at the end / members paying at "
        "the start"
    )
    arpu: MoneyFigure = Field(description="MRR / members paying at the week's end")
    trial_conversion: RatioFigure = Field(
        description="of the trials that ended in the week, the share charged at their end"
    )


class Cohort(_Model):
    """Members who first paid in `month`, and month by month since (0: the end of that month;
    the last: the report week's end), the share still paying and the share of their first
    month's MRR they bring in."""

    month: str = Field(description="YYYY-MM, the community's local month")
    members: int
    paying: list[float]
    revenue: list[float]


class Revenue(_Model):
    currency: str
    gross_by_source: dict[str, MoneyFigure] = Field(
        description="income by revenue account; 'manual' is what moderators booked by hand"
    )
    paid_by_source: dict[str, MoneyFigure] = Field(
        description="what members paid by card or Stars, before fees and shares: for Q&A the "
        "questions' and listen-ins' whole prices, of which the community keeps the fee "
        "(gross_by_source) and owes the rest to experts and askers"
    )
    gross: MoneyFigure
    refunds: MoneyFigure
    disputes: MoneyFigure
    net: MoneyFigure = Field(description="gross - refunds - disputes")
    mrr: MoneyFigure = Field(
        description="monthly recurring revenue at the week's end: what paying memberships are "
        "charged a month (yearly as a twelfth; not trials, lifetime tiers, grants by hand)"
    )
    mrr_movements: MrrMovements
    rates: Rates
    mrr_other_currencies: dict[str, MoneyFigure] = Field(
        description="MRR charged in each other currency (Telegram Stars, ...)"
    )
    cohorts: list[Cohort] = Field(description="the last 12 months' cohorts, oldest first")
    new_paid_members: Figure
    churned_paid_members: Figure
    active_paid_members: Figure
    active_paid_by_tier: dict[str, Figure]
    expert_payouts_owed: MoneyFigure = Field(description="owed to experts at the week's end")
    other_currencies: dict[str, MoneyFigure] = Field(
        description="gross income in each other currency (Telegram Stars, ...)"
    )


class Contribution(_Model):
    """One (content, member) term of T: interactions × value × propensity."""

    content_id: int
    content_title: str
    member_id: int
    member_name: str
    interactions: float = Field(description="I_cu")
    value: float = Field(description="V_c, major units")
    propensity: float = Field(description="P_u, 0..1")
    contribution: float


class EngagementModel(_Model):
    total: ScoreFigure = Field(description="T = Σ_c Σ_u I_cu · V_c · P_u")
    default_content_value: float
    free_member_propensity: float
    content_values: dict[int, float] = Field(
        description="V_c of every content engaged with this week"
    )
    member_propensities: dict[int, float] = Field(
        description="P_u of every member who interacted this week"
    )
    top_contributions: list[Contribution]


class DayPoint(_Model):
    day: date = Field(description="a local date")
    revenue: int = Field(description="gross income, minor units of the community currency")
    interactions: dict[str, int] = Field(description="net counts by platform")


class TrendPoint(_Model):
    """One of the 12 weeks up to the report's, oldest first."""

    week: str
    gross_by_source: dict[str, int] = Field(description="minor units of the community currency")
    mrr: int = Field(description="at the week's end, minor units")
    active_members: int
    paying_members: int = Field(description="members with MRR above zero at the week's end")


class WeeklyReport(_Model):
    schema_version: Literal[2] = SCHEMA_VERSION
    week: str
    previous_week: str
    timezone: str
    start: datetime
    end: datetime
    currency: str
    engagement: Engagement
    revenue: Revenue
    model: EngagementModel
    daily: list[DayPoint]
    trend: list[TrendPoint]

"""The weekly report on a small community whose every figure is worked out by hand below.

Week 2026-W10 (Mon 2 March to Sun 8 March, UTC) against 2026-W09; W08 only feeds the
previous week's retention. Weights are the defaults: reaction 1, reply 3, unlock 5, view 0.2,
answer_accepted 8. Runs on SQLite and, when configured, PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.money import Money
from cogs.engagement.report_build import build_report
from cogs.engagement.report_data import (
    Contribution,
    DayPoint,
    Figure,
    MoneyFigure,
    RatioFigure,
    ScoreFigure,
    TopContent,
    TopMember,
    WeeklyReport,
)
from cogs.engagement.weeks import Week
from payments import ledger
from payments.ledger import Entry, Ledger
from storage.engine import make_sessionmaker
from storage.models import Content, Interaction, Member, Membership, MrrChange, Payment
from storage.uow import UnitOfWork, UnitOfWorkFactory
from tests.conftest import make_settings

pytestmark = pytest.mark.postgres

WEEK = Week.parse("2026-W10")
SETTINGS = make_settings(
    community={"name": "Test club", "currency": "usd", "timezone": "UTC"},
    engagement={"default_content_value": "0.50", "free_member_propensity": 0.1},
    tiers={
        "pro": {"name": "Pro", "price": "10.00", "interval": "month", "discord_role_ids": [1]},
        "team": {"name": "Team", "price": "150.00", "interval": "year", "discord_role_ids": [2]},
        "life": {
            "name": "Life",
            "price": "300.00",
            "interval": "lifetime",
            "discord_role_ids": [3],
        },
    },
)


def at(day: int, hour: int = 12, *, month: int = 3, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


async def _members(unit: UnitOfWork) -> dict[str, int]:
    joined = {
        "alice": at(1, month=1),
        "bob": at(3, month=1),
        "carol": at(1, month=11, year=2025),
        "dave": at(2, month=1),
        "erin": at(5, month=1),
        "george": at(10, month=1),
        "henry": at(11, month=1),
        "ivy": at(3),  # new in W10
        "jack": at(12, month=1),
        "kate": at(13, month=1),
        "lena": at(6),  # new in W10
        "mike": at(26, month=2),  # new in W09
    }
    ids: dict[str, int] = {}
    for name, created in joined.items():
        member = Member(display_name=name.title(), created_at=created)
        unit.session.add(member)
        await unit.session.flush()
        ids[name] = member.id
    # Joined this week, then /link folded them into Alice: not a new member.
    unit.session.add(Member(display_name="Frank", created_at=at(5), merged_into_id=ids["alice"]))
    return ids


async def _contents(unit: UnitOfWork) -> dict[str, int]:
    contents = {
        "intro": Content(kind="post", ref="post:1", title="Intro post", created_at=at(1, month=1)),
        "drop": Content(
            kind="drop",
            ref="drop:1",
            title="Rust drop",
            price_minor=500,
            currency="usd",
            created_at=at(1, month=1),
        ),
        # Priced in Stars, which do not compare with dollars: the default value applies.
        "question": Content(
            kind="question",
            ref="question:1",
            title="Async question",
            price_minor=50,
            currency="xtr",
            created_at=at(1, month=1),
        ),
    }
    for content in contents.values():
        unit.session.add(content)
    await unit.session.flush()
    return {name: content.id for name, content in contents.items()}


async def _interactions(unit: UnitOfWork, m: dict[str, int], c: dict[str, int]) -> None:
    def rows(
        when: datetime, content: str, member: str, kind: str, platform: str, *, n: int = 1
    ) -> list[Interaction]:
        delta = 1 if n > 0 else -1
        return [
            Interaction(
                at=when,
                day=when.date(),
                content_id=c[content],
                member_id=m[member],
                kind=kind,
                platform=platform,
                delta=delta,
            )
            for _ in range(abs(n))
        ]

    written = [
        # W08: Alice and Dave active.
        *rows(at(17, month=2), "intro", "alice", "reaction", "discord"),
        *rows(at(18, month=2), "drop", "dave", "reaction", "telegram"),
        # W09: Alice, Bob, Dave active.
        *rows(at(23, month=2), "intro", "alice", "reaction", "discord", n=2),
        *rows(at(25, month=2), "drop", "bob", "reply", "telegram"),
        *rows(at(27, month=2), "intro", "dave", "view", "discord", n=5),
        # W10: Alice, Bob, Carol active; Erin took her reaction back.
        *rows(at(2), "intro", "alice", "reaction", "discord"),
        *rows(at(3), "drop", "alice", "unlock", "telegram"),
        *rows(at(3), "drop", "alice", "reply", "discord"),
        *rows(at(4), "question", "alice", "view", "telegram", n=5),
        *rows(at(5), "intro", "bob", "reply", "telegram", n=2),
        *rows(at(6, 9), "drop", "bob", "reaction", "discord"),
        *rows(at(6, 10), "drop", "bob", "reaction", "discord", n=-1),
        *rows(at(7), "question", "bob", "answer_accepted", "discord"),
        *rows(at(7, 9), "question", "erin", "reaction", "discord"),
        *rows(at(7, 10), "question", "erin", "reaction", "discord", n=-1),
        *rows(at(8), "drop", "carol", "view", "discord", n=10),
        *rows(at(8), "intro", "carol", "reaction", "telegram"),
        # W11: after the report week, counts for nothing.
        *rows(at(9, 1), "drop", "bob", "unlock", "discord"),
    ]
    unit.session.add_all(written)


def _payment(member: int, purpose: str, amount: int, paid: datetime, **kw: Any) -> Payment:
    values: dict[str, Any] = {
        "provider": "stripe",
        "status": "paid",
        "currency": "usd",
        "refunded_minor": 0,
        **kw,
    }
    return Payment(
        purpose=purpose,
        member_id=member,
        amount_minor=amount,
        created_at=paid,
        paid_at=paid,
        **values,
    )


async def _payments(unit: UnitOfWork, m: dict[str, int]) -> None:
    """What members paid, for P_u (90 days before each week's end)."""
    unit.session.add_all(
        [
            _payment(m["alice"], "membership:pro", 1000, at(2, 10)),
            _payment(m["alice"], "membership:pro", 450, at(5), currency="xtr", provider="stars"),
            _payment(m["bob"], "drops:1", 500, at(3, 10)),
            _payment(
                m["bob"],
                "qa:1",
                2000,
                at(25, 10, month=2),
                refunded_minor=500,
                status="partially_refunded",
            ),
            _payment(m["carol"], "membership:pro", 3000, at(1, 12), status="disputed"),
            # Inside W09's 90 days (from 2 Dec), outside W10's (from 9 Dec).
            _payment(
                m["carol"],
                "membership:pro",
                5000,
                at(5, 10, month=12, year=2025),
                refunded_minor=1000,
            ),
        ]
    )


async def _memberships(unit: UnitOfWork, m: dict[str, int]) -> int:
    """Returns Dave's membership, which a moderator booked a payment for by hand."""

    def membership(
        who: str, tier: str, status: str, started: datetime, updated: datetime | None = None
    ) -> Membership:
        return Membership(
            member_id=m[who],
            tier=tier,
            status=status,
            source="payment",
            started_at=started,
            ends_at=None if tier == "life" else at(1, month=6),
            version=1,
            updated_at=updated or started,
        )

    dave = membership("dave", "team", "active", at(4))
    dave.source = "manual"  # not a paid membership, though it was paid for by hand
    held = {
        "alice": membership("alice", "pro", "active", at(2, 10)),  # new in W10
        "bob": membership("bob", "team", "active", at(10, month=1)),
        "carol": membership("carol", "pro", "revoked", at(1, 12), at(7)),  # new W09, gone W10
        "dave": dave,
        "erin": membership("erin", "life", "active", at(1, month=2)),
        # George switched from Pro to Team in W10: neither new nor churned.
        "george-pro": membership("george", "pro", "switched", at(15, month=1), at(3)),
        "george": membership("george", "team", "active", at(3)),
        "henry": membership("henry", "pro", "expired", at(20, month=1), at(24, month=2)),
        "ivy": membership("ivy", "pro", "trialing", at(3)),  # a trial: not paid yet
        "jack": membership("jack", "pro", "cancelled", at(2, month=2)),  # runs to its end
        "kate": membership("kate", "pro", "expired", at(8, month=2), at(8)),  # churned W10
    }
    unit.session.add_all(held.values())
    await unit.session.flush()
    # What each brought in a month, as cogs/membership/mrr.py notes it: Pro 10.00 a month,
    # Team 150.00 a year (12.50 a month); lifetime, trial and grant by hand nothing.
    changes = [
        ("alice", 1000, at(2, 10), "paid"),
        ("bob", 1250, at(10, month=1), "paid"),
        ("carol", 1000, at(1, 12), "paid"),
        ("carol", 0, at(7), "voluntary"),
        ("george-pro", 1000, at(15, month=1), "paid"),
        ("george-pro", 0, at(3), "voluntary"),
        ("george", 1250, at(3), "paid"),
        ("henry", 1000, at(20, month=1), "paid"),
        ("henry", 0, at(24, month=2), "involuntary"),  # his card was declined
        ("jack", 1000, at(2, month=2), "paid"),
        ("kate", 1000, at(8, month=2), "paid"),
        ("kate", 0, at(8), "voluntary"),
    ]
    unit.session.add_all(
        MrrChange(
            member_id=held[key].member_id,
            membership_id=held[key].id,
            at=when,
            monthly_minor=monthly,
            currency="usd",
            reason=reason,
        )
        for key, monthly, when, reason in changes
    )
    await unit.session.flush()
    return dave.id


async def _ledger(unit: UnitOfWork, m: dict[str, int], dave_membership: int) -> None:
    book = Ledger(unit)
    stripe, manual = ledger.clearing("stripe"), ledger.clearing("manual")

    def usd(minor: int) -> Money:
        return Money(minor, "usd")

    def income(source: str, minor: int, clearing: str = stripe) -> list[Entry]:
        return ledger.transfer(ledger.revenue(source), clearing, usd(minor))

    posts: list[tuple[str, list[Entry], datetime]] = [
        # Before W09: outside both weeks.
        ("old", income("membership", 5000), at(5, 10, month=12, year=2025)),
        ("w08", income("membership", 700), at(20, month=2)),
        # W09
        ("question", ledger.transfer(ledger.ESCROW_QA, stripe, usd(2000)), at(25, 10, month=2)),
        (
            "refund-old",
            ledger.transfer(stripe, ledger.refunds("membership"), usd(1000)),
            at(27, 9, month=2),
        ),
        ("carol", income("membership", 3000), at(1, 12)),
        # W10
        ("alice", income("membership", 1000), at(2, 10)),
        ("bob-drop", income("drops", 500), at(3, 10)),
        (f"manual:{dave_membership}:v1", income("membership", 4000, manual), at(4)),
        (
            "answer",
            [
                Entry(ledger.ESCROW_QA, usd(1500)),
                Entry(ledger.payable(m["carol"]), usd(-1350)),
                Entry(ledger.revenue("qa"), usd(-150)),
            ],
            at(5),
        ),
        # A listen-in's fee counts as Q&A income (the rest of it is owed to asker and expert).
        (
            "listen",
            [
                Entry(stripe, usd(100)),
                Entry(ledger.payable(m["carol"]), usd(-70)),
                Entry(ledger.revenue("listen"), usd(-30)),
            ],
            at(5, 12),
        ),
        (
            "stars",
            ledger.transfer(ledger.revenue("membership"), "clearing:stars", Money(450, "xtr")),
            at(5),
        ),
        ("payout", ledger.transfer(stripe, ledger.payable(m["carol"]), usd(1000)), at(6)),
        ("refund-q", ledger.transfer(stripe, ledger.refunds("qa"), usd(500)), at(6)),
        ("dispute", ledger.transfer(stripe, ledger.disputes("membership"), usd(3000)), at(7)),
        # W11
        ("later", income("membership", 900), at(9, 1)),
    ]
    for reference, entries, when in posts:
        assert await book.post("test", reference, entries, at=when)


async def _report(engine: AsyncEngine) -> tuple[WeeklyReport, dict[str, int], dict[str, int]]:
    uow = UnitOfWorkFactory(make_sessionmaker(engine))
    async with uow() as unit:
        m = await _members(unit)
        c = await _contents(unit)
        await _interactions(unit, m, c)
        await _payments(unit, m)
        await _ledger(unit, m, await _memberships(unit, m))
    async with uow() as unit:
        report = await build_report(unit, SETTINGS, WEEK)
    return report, m, c


async def test_every_figure_of_a_small_community(engine: AsyncEngine) -> None:
    report, m, c = await _report(engine)
    assert (report.schema_version, report.week, report.previous_week) == (2, "2026-W10", "2026-W09")
    assert (report.timezone, report.currency) == ("UTC", "usd")
    assert (report.start, report.end) == (at(2, 0), at(9, 0))

    e = report.engagement
    assert e.active_members == Figure(value=3, previous=3, change=0)
    assert e.new_members == Figure(value=2, previous=1, change=1)  # Ivy, Lena; Mike
    # W09's {Alice, Bob, Dave}: Alice and Bob again. W08's {Alice, Dave}: both again in W09.
    assert e.retention == RatioFigure(value=0.666667, previous=1.0, change=-0.333333)
    assert e.interactions_by_kind == {
        "reaction": Figure.of(2, 2),  # Alice 1, Carol 1; Bob and Erin took theirs back
        "reply": Figure.of(3, 1),
        "unlock": Figure.of(1, 0),
        "view": Figure.of(15, 5),
        "answer_accepted": Figure.of(1, 0),
    }
    assert e.interactions_by_platform == {"discord": Figure.of(13, 7), "telegram": Figure.of(9, 1)}
    # Σ_u I_cu: intro 1 + 6 + 1; drop 8 + 0 + 2; question 1 + 8 + 0.
    assert e.top_contents == [
        TopContent(id=c["drop"], kind="drop", title="Rust drop", score=10.0),
        TopContent(id=c["question"], kind="question", title="Async question", score=9.0),
        TopContent(id=c["intro"], kind="post", title="Intro post", score=8.0),
    ]
    # Σ_c I_cu: Bob 6 + 0 + 8, Alice 1 + 8 + 1, Carol 2 + 1; Erin's nets to nothing.
    assert e.top_members == [
        TopMember(id=m["bob"], display_name="Bob", score=14.0),
        TopMember(id=m["alice"], display_name="Alice", score=10.0),
        TopMember(id=m["carol"], display_name="Carol", score=3.0),
    ]

    r = report.revenue

    def usd(value: int, previous: int) -> MoneyFigure:
        return MoneyFigure.of(value, previous, "usd")

    assert r.currency == "usd"
    assert r.gross_by_source == {
        "membership": usd(1000, 3000),
        "qa": usd(180, 0),
        "drops": usd(500, 0),
        "manual": usd(4000, 0),  # Dave's, booked by a moderator against clearing:manual
    }
    assert list(r.gross_by_source) == ["membership", "qa", "drops", "manual"]
    # What members paid, whole: Bob's question (20.00) went to escrow, not to income.
    assert r.paid_by_source == {
        "membership": usd(1000, 3000),
        "qa": usd(0, 2000),
        "drops": usd(500, 0),
    }
    assert r.gross == usd(5680, 3000)
    assert r.refunds == usd(500, 1000)
    assert r.disputes == usd(3000, 0)
    assert r.net == usd(2180, 2000)
    assert r.other_currencies == {"xtr": MoneyFigure.of(450, 0, "xtr")}
    # At W10's end: Alice and Jack on Pro, Bob and George on Team, Erin for life.
    # At W09's end: Carol, George, Jack and Kate on Pro, Bob on Team, Erin for life.
    assert r.active_paid_by_tier == {
        "life": Figure.of(1, 1),
        "pro": Figure.of(2, 4),
        "team": Figure.of(2, 1),
    }
    assert r.active_paid_members == Figure.of(5, 6)
    # 2 x 10.00 + 2 x 150.00 / 12 = 45.00; 4 x 10.00 + 150.00 / 12 = 52.50.
    assert r.mrr == usd(4500, 5250)
    # W10 from 52.50: Alice new 10.00, George +2.50 from Pro to Team, Carol and Kate gone.
    # W09 from 52.50 (Bob, George, Henry, Jack, Kate): Carol new, Henry's card declined.
    moved = r.mrr_movements
    assert moved.start == usd(5250, 5250)
    assert (moved.new, moved.expansion, moved.reactivation) == (
        usd(1000, 1000),
        usd(250, 0),
        usd(0, 0),
    )
    assert (moved.contraction, moved.churn) == (usd(0, 0), usd(2000, 1000))
    assert (moved.churn_voluntary, moved.churn_involuntary) == (usd(2000, 0), usd(0, 1000))
    rates = r.rates
    assert rates.gross_mrr_churn == RatioFigure.of(0.380952, 0.190476)  # 20/52.5; 10/52.5
    assert rates.net_mrr_churn == RatioFigure.of(0.333333, 0.190476)  # (20 - 2.5)/52.5
    assert rates.net_revenue_retention == RatioFigure.of(0.666667, 0.809524)
    assert rates.logo_churn == RatioFigure.of(0.4, 0.2)  # 2 of 5; 1 of 5
    assert rates.arpu == usd(1125, 1050)  # 45.00 / 4; 52.50 / 5
    assert r.mrr_other_currencies == {}
    assert r.new_paid_members == Figure.of(1, 1)  # Alice; Carol (George only switched)
    assert r.churned_paid_members == Figure.of(2, 1)  # Carol and Kate; Henry
    # 13.50 and 0.70 (her listen-in share) owed to Carol, 10.00 paid out.
    assert r.expert_payouts_owed == usd(420, 0)

    model = report.model
    assert model.default_content_value == 0.5
    assert model.free_member_propensity == 0.1
    assert model.content_values == {c["intro"]: 0.5, c["drop"]: 5.0, c["question"]: 0.5}
    # Paid in the 90 days before 9 March: Alice 10.00, Bob 5.00 + 20.00 - 5.00 refunded,
    # Dave 40.00 by hand (the largest); Carol's disputed payment does not count.
    assert model.member_propensities == {
        m["alice"]: 0.25,
        m["bob"]: 0.5,
        m["carol"]: 0.1,
        m["erin"]: 0.1,
    }
    # T = Alice 0.25 x (1 x 0.5 + 8 x 5 + 1 x 0.5) + Bob 0.5 x (6 x 0.5 + 8 x 0.5)
    #   + Carol 0.1 x (2 x 5 + 1 x 0.5) = 10.25 + 3.5 + 1.05.
    # The week before, P_u is measured before 2 March: Carol 40.00 (50.00 less 10.00
    # refunded) is the largest, Bob 15.00 / 40.00 = 0.375, Alice and Dave at the floor:
    # T = Alice 0.1 x (2 x 0.5) + Bob 0.375 x (3 x 5) + Dave 0.1 x (5 x 0.2 x 0.5)
    #   = 0.1 + 5.625 + 0.05.
    assert model.total == ScoreFigure(value=14.8, previous=5.775, change=9.025)

    titles = {"intro": "Intro post", "drop": "Rust drop", "question": "Async question"}
    # (content, member, I_cu, V_c, P_u, I_cu x V_c x P_u), largest first; Bob's 0 and Erin's
    # 0 are no share at all. Equal shares go by content id.
    terms = [
        ("drop", "alice", 8.0, 5.0, 0.25, 10.0),
        ("question", "bob", 8.0, 0.5, 0.5, 2.0),
        ("intro", "bob", 6.0, 0.5, 0.5, 1.5),
        ("drop", "carol", 2.0, 5.0, 0.1, 1.0),
        ("intro", "alice", 1.0, 0.5, 0.25, 0.125),
        ("question", "alice", 1.0, 0.5, 0.25, 0.125),
        ("intro", "carol", 1.0, 0.5, 0.1, 0.05),
    ]
    assert model.top_contributions == [
        Contribution(
            content_id=c[content],
            content_title=titles[content],
            member_id=m[member],
            member_name=member.title(),
            interactions=i,
            value=v,
            propensity=p,
            contribution=share,
        )
        for content, member, i, v, p, share in terms
    ]
    assert sum(t.contribution for t in model.top_contributions) == pytest.approx(14.8)

    def day(n: int, revenue: int, discord: int, telegram: int) -> DayPoint:
        return DayPoint(
            day=at(n).date(),
            revenue=revenue,
            interactions={"discord": discord, "telegram": telegram},
        )

    assert report.daily == [
        day(2, 1000, 1, 0),
        day(3, 500, 1, 1),
        day(4, 4000, 0, 5),
        day(5, 180, 0, 2),
        day(6, 0, 0, 0),
        day(7, 0, 1, 0),
        day(8, 0, 10, 1),
    ]


async def test_building_twice_gives_the_same_report(engine: AsyncEngine) -> None:
    """The rollup is incremental: a second build (nothing new to roll up) agrees."""
    report, _, _ = await _report(engine)
    async with UnitOfWorkFactory(make_sessionmaker(engine))() as unit:
        again = await build_report(unit, SETTINGS, WEEK)
    assert again == report


async def test_an_empty_community_reports_zeros(engine: AsyncEngine) -> None:
    async with UnitOfWorkFactory(make_sessionmaker(engine))() as unit:
        report = await build_report(unit, SETTINGS, WEEK)
    assert report.engagement.active_members == Figure.of(0, 0)
    assert report.engagement.retention == RatioFigure.of(None, None)
    assert report.engagement.top_contents == report.engagement.top_members == []
    assert report.revenue.gross == MoneyFigure.of(0, 0, "usd")
    assert set(report.revenue.active_paid_by_tier) == {"life", "pro", "team"}
    assert report.model.total == ScoreFigure.of(0.0, 0.0)
    assert [point.day for point in report.daily] == list(WEEK.days)


async def test_other_kinds_platforms_and_unknown_contents_still_count(engine: AsyncEngine) -> None:
    """The console, a kind without a weight, a content never registered: listed apart, and
    weighed as the model says (an unweighted kind adds nothing; an unknown content is worth
    the default value)."""
    uow = UnitOfWorkFactory(make_sessionmaker(engine))
    async with uow() as unit:
        member = Member(display_name="Ada", created_at=at(1, month=1))
        unit.session.add(member)
        await unit.session.flush()
        # Before interactions away from the chats counted where the member was, an unlock
        # was recorded under its payment provider: not a platform, so "other".
        shapes = (("reply", "console", 2), ("vote", "discord", 4), ("unlock", "stripe", 1))
        for kind, platform, n in shapes:
            for _ in range(n):
                unit.session.add(
                    Interaction(
                        at=at(4),
                        day=at(4).date(),
                        content_id=999,
                        member_id=member.id,
                        kind=kind,
                        platform=platform,
                        delta=1,
                    )
                )
    async with uow() as unit:
        report = await build_report(unit, SETTINGS, WEEK)
    e = report.engagement
    assert list(e.interactions_by_kind) == [
        "reaction",
        "reply",
        "unlock",
        "view",
        "answer_accepted",
        "vote",
    ]
    assert (e.interactions_by_kind["reply"], e.interactions_by_kind["vote"]) == (
        Figure.of(2, 0),
        Figure.of(4, 0),
    )
    assert e.interactions_by_platform == {
        "discord": Figure.of(4, 0),
        "telegram": Figure.of(0, 0),
        "console": Figure.of(2, 0),
        "other": Figure.of(1, 0),
    }
    assert report.daily[2].interactions == {
        "discord": 4,
        "telegram": 0,
        "console": 2,
        "other": 1,
    }
    # Two replies of weight 3 and an unlock of weight 5; the votes weigh nothing.
    assert e.top_contents == [TopContent(id=999, kind="", title="", score=11.0)]
    assert e.top_members == [TopMember(id=member.id, display_name="Ada", score=11.0)]
    assert report.model.content_values == {999: 0.5}
    assert report.model.member_propensities == {member.id: 0.1}  # nobody paid: the floor
    assert report.model.total == ScoreFigure.of(0.55, 0.0)  # 11 x 0.5 x 0.1


async def test_the_trend_covers_twelve_weeks_from_the_ledger_and_the_mrr_changes(
    engine: AsyncEngine,
) -> None:
    report, _, _ = await _report(engine)
    trend = {point.week: point for point in report.trend}
    weeks = list(trend)
    assert (weeks[0], weeks[-1], len(weeks)) == ("2025-W51", "2026-W10", 12)
    income = {week: sum(p.gross_by_source.values()) for week, p in trend.items()}
    # W08: a 7.00 membership payment; W09: Carol's 30.00; W10: the week's 56.80 (Stars apart).
    assert {week: amount for week, amount in income.items() if amount} == {
        "2026-W08": 700,
        "2026-W09": 3000,
        "2026-W10": 5680,
    }
    assert trend["2026-W10"].gross_by_source == {
        "membership": 1000,
        "qa": 180,
        "drops": 500,
        "manual": 4000,
    }
    # MRR at each week's end: Bob from 10 January, George from the 15th, Henry from the 20th,
    # Jack and Kate in February; then as the movements say.
    assert [trend[w].mrr for w in ("2026-W01", "2026-W02", "2026-W03", "2026-W04")] == [
        0,
        1250,
        2250,
        3250,
    ]
    assert [trend[w].mrr for w in ("2026-W06", "2026-W09", "2026-W10")] == [5250, 5250, 4500]
    assert [trend[w].paying_members for w in ("2026-W02", "2026-W06", "2026-W10")] == [1, 5, 4]
    assert (trend["2026-W08"].active_members, trend["2026-W09"].active_members) == (2, 3)
    assert trend["2026-W10"].active_members == report.engagement.active_members.value == 3
    # Past weeks are kept once counted: a second report reads them back the same.
    async with UnitOfWorkFactory(make_sessionmaker(engine))() as unit:
        kept = {w: f.active_members for w, f in (await unit.contents.weekly_figures(trend)).items()}
        again = await build_report(unit, SETTINGS, WEEK)
    assert kept["2026-W08"] == 2
    assert "2026-W10" not in kept  # the report's own week is counted afresh each time
    assert again.trend == report.trend


async def test_a_week_under_way_shows_only_the_days_that_have_begun(engine: AsyncEngine) -> None:
    """The report of this week, on its Wednesday afternoon: Monday to Wednesday."""
    async with UnitOfWorkFactory(make_sessionmaker(engine))() as unit:
        report = await build_report(unit, SETTINGS, WEEK, now=at(4, 15))
    assert [point.day.day for point in report.daily] == [2, 3, 4]

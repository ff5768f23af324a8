"""The weekly report as chat text, JSON, CSV and a chart, from a report built by hand."""

from __future__ import annotations

import csv
import io
import json
import struct
import warnings
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from matplotlib import font_manager

from bot.core.i18n import Translator
from cogs.engagement.report_chart import CJK_FONTS, render_chart
from cogs.engagement.report_data import (
    SCHEMA_VERSION,
    Cohort,
    Contribution,
    DayPoint,
    Engagement,
    EngagementModel,
    Figure,
    MoneyFigure,
    MrrMovements,
    Rates,
    RatioFigure,
    Revenue,
    ScoreFigure,
    TopContent,
    TopMember,
    TrendPoint,
    WeeklyReport,
)
from cogs.engagement.report_render import CSV_COLUMNS, chat_messages, to_csv, to_json, to_markdown

SNAPSHOT = Path(__file__).with_name("report_schema.json")
EN, ZH = Translator("en"), Translator("zh_CN")


def usd(value: int, previous: int) -> MoneyFigure:
    return MoneyFigure.of(value, previous, "usd")


def sample(top: int = 2) -> WeeklyReport:
    """A report as build_report makes them; `top` entries in each top list."""
    monday = date(2026, 3, 2)
    return WeeklyReport(
        week="2026-W10",
        previous_week="2026-W09",
        timezone="Asia/Shanghai",
        start=datetime(2026, 3, 1, 16, tzinfo=UTC),
        end=datetime(2026, 3, 8, 16, tzinfo=UTC),
        currency="usd",
        engagement=Engagement(
            active_members=Figure.of(120, 108),
            new_members=Figure.of(7, 10),
            retention=RatioFigure.of(0.625, 0.58),
            interactions_by_kind={
                "reaction": Figure.of(300, 280),
                "reply": Figure.of(40, 40),
                "unlock": Figure.of(5, 0),
                "view": Figure.of(900, 1000),
                "answer_accepted": Figure.of(2, 1),
            },
            interactions_by_platform={
                "discord": Figure.of(800, 790),
                "telegram": Figure.of(447, 531),
            },
            top_contents=[
                TopContent(id=n, kind="drop", title=f"Rust drop {n} " + "x" * 80, score=50.5 - n)
                for n in range(1, top + 1)
            ],
            top_members=[
                TopMember(id=n, display_name=f"Member `{n}`\n**bold**", score=30.0 - n)
                for n in range(1, top + 1)
            ],
        ),
        revenue=Revenue(
            currency="usd",
            gross_by_source={
                "membership": usd(10000, 8000),
                "qa": usd(1500, 0),
                "drops": usd(2500, 3000),
                "manual": usd(0, 0),
            },
            paid_by_source={
                "membership": usd(10000, 8000),
                "qa": usd(15000, 0),
                "drops": usd(2500, 3000),
            },
            gross=usd(14000, 11000),
            refunds=usd(1000, 0),
            disputes=usd(0, 500),
            net=usd(13000, 10500),
            mrr=usd(45000, 42500),
            # From 425.00: +35.00 new, +10.00 upgrades, +5.00 back, -7.50 downgrades, -17.50 gone.
            mrr_movements=MrrMovements(
                start=usd(42500, 41000),
                new=usd(3500, 1000),
                expansion=usd(1000, 500),
                contraction=usd(750, 0),
                churn=usd(1750, 0),
                churn_voluntary=usd(1000, 0),
                churn_involuntary=usd(750, 0),
                reactivation=usd(500, 0),
            ),
            rates=Rates(
                gross_mrr_churn=RatioFigure.of(0.041176, 0.0),
                net_mrr_churn=RatioFigure.of(0.023529, -0.036585),
                net_revenue_retention=RatioFigure.of(0.988235, 1.012195),
                logo_churn=RatioFigure.of(0.045455, 0.0),
                arpu=usd(1000, 988),
                trial_conversion=RatioFigure.of(0.5, None),
            ),
            mrr_other_currencies={"xtr": MoneyFigure.of(300, 300, "xtr")},
            cohorts=[
                Cohort(
                    month="2026-01", members=20, paying=[1.0, 0.9, 0.85], revenue=[1.0, 0.95, 1.1]
                ),
                Cohort(month="2026-03", members=8, paying=[1.0], revenue=[1.0]),
            ],
            new_paid_members=Figure.of(3, 1),
            churned_paid_members=Figure.of(1, 2),
            active_paid_members=Figure.of(45, 43),
            active_paid_by_tier={"pro": Figure.of(40, 39), "team": Figure.of(5, 4)},
            expert_payouts_owed=usd(2700, 1200),
            other_currencies={"xtr": MoneyFigure.of(450, 0, "xtr")},
        ),
        model=EngagementModel(
            total=ScoreFigure.of(150.25, 120.0),
            default_content_value=1.0,
            free_member_propensity=0.1,
            content_values={1: 5.0, 2: 1.0},
            member_propensities={1: 1.0, 2: 0.1},
            top_contributions=[
                Contribution(
                    content_id=n,
                    content_title=f"Rust drop {n}",
                    member_id=n,
                    member_name=f"Member {n}",
                    interactions=8.0,
                    value=5.0,
                    propensity=0.25,
                    contribution=10.0,
                )
                for n in range(1, top + 1)
            ],
        ),
        daily=[
            DayPoint(
                day=monday + timedelta(days=n),
                revenue=[1000, 0, 4000, 150, 0, 8850, 0][n],
                interactions={"discord": 100 + 10 * n, "telegram": 60 - n},
            )
            for n in range(7)
        ],
        trend=[
            TrendPoint(
                week=week,
                gross_by_source={"membership": 8000 + 200 * n, "qa": 100 * n, "drops": 2500},
                mrr=40000 + 500 * n,
                active_members=100 + n,
                paying_members=40 + n // 2,
            )
            for n, week in enumerate(
                ["2025-W51", "2025-W52", *(f"2026-W{w:02}" for w in range(1, 11))]
            )
        ],
    )


def test_markdown_shows_every_figure_with_its_change() -> None:
    text = to_markdown(sample(), EN)
    assert text == (
        "## Weekly report 2026-W10\n"
        "2026-03-02 to 2026-03-08 (Asia/Shanghai), compared with 2026-W09\n"
        "\n"
        "### Engagement\n"
        "- Active members: 120 (+12)\n"
        "- New members: 7 (−3)\n"
        "- Retention: 62.5% (+4.5%)\n"
        "- Interactions: reactions 300 (+20) · replies 40 (±0) · unlocks 5 (+5) · "
        "views 900 (−100) · accepted answers 2 (+1)\n"
        "- By platform: Discord 800 (+10) · Telegram 447 (−84)\n"
        "- Top contents:\n"
        f"  1. Rust drop 1 {'x' * 47}… (drop): 49.5\n"
        f"  2. Rust drop 2 {'x' * 47}… (drop): 48.5\n"
        "- Most engaged members:\n"
        "  1. Member '1' **bold**: 29\n"
        "  2. Member '2' **bold**: 28\n"
        "\n"
        "### Revenue (USD)\n"
        "- Gross: $140.00 (+$30.00, +27.3%)\n"
        "  - Memberships: $100.00 (+$20.00, +25%)\n"
        "  - Q&A: $15.00 (+$15.00) · members paid $150.00\n"
        "  - Drops: $25.00 (−$5.00, −16.7%)\n"
        "  - Booked by hand: $0.00 (±$0.00)\n"
        "- Refunds: $10.00 (+$10.00)\n"
        "- Disputes: $0.00 (−$5.00, −100%)\n"
        "- Net: $130.00 (+$25.00, +23.8%)\n"
        "- MRR: $450.00 (+$25.00, +5.9%)\n"
        "  - From $425.00: new $35.00 · expansion $10.00 · reactivation $5.00 · contraction "
        "$7.50 · churn $17.50\n"
        "  - Churn: voluntary $10.00 · failed payments $7.50\n"
        "  - Rates: gross MRR churn 4.1% · net MRR churn 2.4% · net revenue retention 98.8% · "
        "members lost 4.5% · trials converted 50%\n"
        "  - Average per paying member (ARPU): $10.00 (+$0.12, +1.2%)\n"
        "  - In other currencies: 300 ⭐ (±0 ⭐, ±0%)\n"
        "- Paid members: 45 (+2); new 3 (+2); churned 1 (−1)\n"
        "- By tier: pro 40 (+1) · team 5 (+1)\n"
        "- Owed to experts: $27.00 (+$15.00, +125%)\n"
        "- Other currencies (gross): 450 ⭐ (+450 ⭐)\n"
        "- By the month members first paid, month by month since:\n"
        "  - 2026-01, 20 members: still paying 100% · 90% · 85%; revenue kept 100% · 95% · 110%\n"
        "  - 2026-03, 8 members: still paying 100%; revenue kept 100%\n"
        "\n"
        "### Engagement value\n"
        "- How much attention the content that makes money got: each member's interactions with "
        "a content, times what the content sells for, times how likely the member is to pay "
        "(what they paid lately, against the top payer).\n"
        "- Engagement value: 150.25 (+30.25, +25.2%)\n"
        "- Largest parts (interactions × content value × likelihood to pay):\n"
        "  1. Member 1 × Rust drop 1: 8 × 5 × 0.25 = 10\n"
        "  2. Member 2 × Rust drop 2: 8 × 5 × 0.25 = 10\n"
    )


def test_markdown_speaks_chinese() -> None:
    text = to_markdown(sample(), ZH)
    assert text.startswith("## 每周报告 2026-W10\n")
    for line in ("### 参与度", "### 收入（USD）", "- 活跃成员：120 (+12)", "- 净收入：US$130.00"):
        assert line in text


def test_retention_without_anyone_to_retain() -> None:
    report = sample()
    engagement = report.engagement.model_copy(update={"retention": RatioFigure.of(None, 0.5)})
    text = to_markdown(report.model_copy(update={"engagement": engagement}), EN)
    assert "- Retention: n/a (no one was active the week before)\n" in text


@pytest.mark.parametrize("limit", [2000, 4096])
def test_a_long_report_is_cut_into_messages_a_platform_accepts(limit: int) -> None:
    text = to_markdown(sample(top=10), EN)
    assert len(text) > 2000
    messages = chat_messages(text, limit)
    assert all(len(message) <= limit for message in messages)
    assert len(messages) == (2 if limit == 2000 else 1)
    # Cut between lines: every line arrives whole, in order.
    lines = [line for message in messages for line in message.splitlines() if line]
    assert lines == [line for line in text.splitlines() if line]


def test_csv_has_one_figure_per_row() -> None:
    rows = list(csv.reader(io.StringIO(to_csv(sample()))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert all(len(row) == len(CSV_COLUMNS) for row in rows)
    by_name = {(row[0], row[1]): row[2:] for row in rows[1:]}
    assert by_name["engagement", "active_members"] == ["120", "108", "12", "members"]
    assert by_name["engagement", "retention"] == ["0.625", "0.58", "0.045", "ratio"]
    assert by_name["engagement", "platform:telegram"] == ["447", "531", "-84", "interactions"]
    assert by_name["revenue", "mrr"] == ["45000", "42500", "2500", "minor:usd"]
    assert by_name["revenue", "gross:xtr"] == ["450", "0", "450", "minor:xtr"]
    assert by_name["revenue", "active_paid:pro"] == ["40", "39", "1", "members"]
    assert by_name["model", "T"] == ["150.25", "120.0", "30.25", "score"]
    assert by_name["model", "P:member:2"] == ["0.1", "", "", "ratio"]
    assert by_name["daily", "2026-03-07 revenue"] == ["8850", "", "", "minor:usd"]
    assert by_name["daily", "2026-03-08 telegram"] == ["54", "", "", "interactions"]


def test_json_keeps_its_key_order_and_reads_back() -> None:
    report = sample()
    text = to_json(report)
    assert WeeklyReport.model_validate_json(text) == report
    data = json.loads(text)
    assert list(data) == [
        "schema_version",
        "week",
        "previous_week",
        "timezone",
        "start",
        "end",
        "currency",
        "engagement",
        "revenue",
        "model",
        "daily",
        "trend",
    ]
    assert data["schema_version"] == SCHEMA_VERSION
    assert list(data["engagement"]["interactions_by_kind"]) == [
        "reaction",
        "reply",
        "unlock",
        "view",
        "answer_accepted",
    ]
    assert data["revenue"]["mrr"] == {
        "value": 45000,
        "previous": 42500,
        "change": 2500,
        "currency": "usd",
    }
    assert data["model"]["content_values"] == {"1": 5.0, "2": 1.0}
    assert to_json(report) == text


def test_the_json_shape_matches_its_snapshot() -> None:
    """Readers of `--format json` rely on this shape. If this fails, the shape changed:
    bump SCHEMA_VERSION in cogs/engagement/report_data.py, then rewrite the snapshot with
    `python -c 'from tests.cogs.test_report_render import write_snapshot; write_snapshot()'`."""
    snapshot = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert _shape(snapshot["schema"]) == _shape(WeeklyReport.model_json_schema())
    assert snapshot["schema_version"] == SCHEMA_VERSION


def _shape(schema: object) -> object:
    """The schema without its descriptions: rewording a field's documentation is no change
    of shape."""
    if isinstance(schema, dict):
        return {key: _shape(value) for key, value in schema.items() if key != "description"}
    if isinstance(schema, list):
        return [_shape(value) for value in schema]
    return schema


def write_snapshot() -> None:
    snapshot = {"schema_version": SCHEMA_VERSION, "schema": WeeklyReport.model_json_schema()}
    SNAPSHOT.write_text(json.dumps(snapshot, indent=2, ensure_ascii=False) + "\n", "utf-8")


@pytest.mark.parametrize("translator", [EN, ZH])
def test_the_chart_is_a_png_of_chat_size(translator: Translator) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph would be a warning
        png = render_chart(sample(), translator)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert png[12:16] == b"IHDR"
    assert struct.unpack(">II", png[16:24]) == (1400, 1000)


def test_the_same_report_draws_the_same_chart() -> None:
    assert render_chart(sample(), EN) == render_chart(sample(), EN)


def test_a_chinese_chart_is_drawn_in_chinese_where_a_chinese_font_is_installed() -> None:
    installed = {font.name for font in font_manager.fontManager.ttflist}
    if not installed & set(CJK_FONTS):
        pytest.skip("no Chinese font installed (.ci/run installs fonts-wqy-zenhei)")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph would be a warning
        chinese = render_chart(sample(), ZH)
    assert chinese != render_chart(sample(), EN)


def test_a_largest_part_shows_the_factors_it_is_computed_from() -> None:
    """5 × 4.99 × 0.25 = 6.227 looked wrong: the factors were rounded, the product was not."""
    report = sample(top=1)
    part = report.model.top_contributions[0].model_copy(
        update={
            "interactions": 5.0,
            "value": 4.99,
            "propensity": 0.249549,
            "contribution": 6.226248,
        }
    )
    model = report.model.model_copy(update={"top_contributions": [part]})
    text = to_markdown(report.model_copy(update={"model": model}), EN)
    assert "  1. Member 1 × Rust drop 1: 5 × 4.99 × 0.249549 = 6.226\n" in text

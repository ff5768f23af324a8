"""The weekly report's chart: the week's revenue and interactions day by day, the 12-week
trend of income by source, MRR and members, and the cohorts as a heat map.

Drawn with matplotlib's object API on an Agg canvas: no screen, and no pyplot global state,
so reports can be drawn from any thread.
"""

from __future__ import annotations

import io
import math

from babel.dates import format_skeleton
from matplotlib import font_manager, rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.core.i18n import Translator
from bot.core.money import Money, currency_exponent, format_money
from cogs.engagement.report_data import WeeklyReport
from cogs.engagement.report_render import PLATFORMS, SOURCES
from cogs.engagement.service import OTHER

WIDTH, HEIGHT, DPI = 14, 10, 100  # 1400 x 1000 pixels: readable in a chat preview
# Apart at a glance, rather than both in their brands' blues.
COLORS = {"discord": "#5865F2", "telegram": "#E8833A"}
REVENUE_COLOR = "#2E9E6B"
SOURCE_COLORS = {
    "membership": "#2E9E6B",
    "qa": "#7A5AF8",
    "drops": "#F2B134",
    "manual": "#9AA4B2",
}
MRR_COLOR, ACTIVE_COLOR, PAYING_COLOR = "#1F3A5F", "#5865F2", "#2E9E6B"
# Fonts that draw Chinese, in order of preference; matplotlib falls back glyph by glyph.
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
)


def render_chart(report: WeeklyReport, translator: Translator) -> bytes:
    """A PNG of WIDTH x HEIGHT inches at DPI: the week's days on the left, the 12-week trend on
    the right, the cohorts below."""
    fonts, translator = _fonts(translator)
    _ = translator.gettext
    with rc_context({"font.family": fonts, "font.size": 11}):
        figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, layout="constrained")
        FigureCanvasAgg(figure)
        figure.suptitle(_("Weekly report {week}", week=report.week), fontsize=15)
        grid = figure.add_gridspec(3, 2, height_ratios=(1, 1, 0.9))
        money = figure.add_subplot(grid[0, 0])
        interactions = figure.add_subplot(grid[1, 0], sharex=money)
        income = figure.add_subplot(grid[0, 1])
        members = figure.add_subplot(grid[1, 1], sharex=income)
        cohorts = figure.add_subplot(grid[2, :])
        _days(money, interactions, report, translator)
        _trend(income, members, report, translator)
        # The days and the weeks are named once, under the lower panel of each column.
        for upper in (money, income):
            upper.tick_params(axis="x", labelbottom=False)
        _cohorts(cohorts, report, translator)
        for axes in (money, interactions, income, members):
            axes.spines[["top", "right"]].set_visible(False)
            axes.grid(axis="y", alpha=0.3)
        buffer = io.BytesIO()
        # No "Software" stamp (the matplotlib version): one report, one PNG, byte for byte.
        figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _days(money: Axes, interactions: Axes, report: WeeklyReport, translator: Translator) -> None:
    """The week's income and interactions, day by day (the days that have happened)."""
    _ = translator.gettext
    days = [format_skeleton("MMMEd", point.day, locale=translator.locale) for point in report.daily]
    revenue = [point.revenue / _scale(report) for point in report.daily]
    bars = money.bar(days, revenue, color=REVENUE_COLOR, width=0.6)
    money.bar_label(
        bars,
        labels=[
            format_money(Money(point.revenue, report.currency), translator.locale)
            if point.revenue
            else ""
            for point in report.daily
        ],
        padding=3,
        fontsize=8,
    )
    money.set_title(_("Revenue ({currency})", currency=report.currency.upper()))
    money.set_ylim(bottom=0, top=max(revenue, default=0) * 1.2 or 1)
    # One line per platform members are on; interactions elsewhere are in the text only.
    platforms = [
        p
        for p in dict.fromkeys(p for point in report.daily for p in point.interactions)
        if p != OTHER
    ]
    for platform in platforms:
        counts = [point.interactions.get(platform, 0) for point in report.daily]
        interactions.plot(
            days,
            counts,
            marker="o",
            linewidth=2,
            color=COLORS.get(platform),
            label=PLATFORMS.get(platform, platform),
        )
    interactions.set_title(_("Interactions by platform"))
    highest = max((n for point in report.daily for n in point.interactions.values()), default=0)
    # Headroom above the highest point keeps the legend clear of the lines.
    interactions.set_ylim(bottom=0, top=max(highest * 1.35, 1))
    interactions.yaxis.set_major_locator(MaxNLocator(integer=True))
    interactions.tick_params(axis="x", labelsize=8)
    if platforms:
        interactions.legend(loc="upper left", frameon=False, ncols=len(platforms))


def _trend(income: Axes, members: Axes, report: WeeklyReport, translator: Translator) -> None:
    """The trend's weeks: income by source stacked, MRR over it; active and paying members."""
    _ = translator.gettext
    weeks = [point.week.split("-")[1] for point in report.trend]
    scale = _scale(report)
    bottom = [0.0] * len(weeks)
    for source, color in SOURCE_COLORS.items():
        amounts = [point.gross_by_source.get(source, 0) / scale for point in report.trend]
        label = _(SOURCES[source]) if source in SOURCES else source
        income.bar(weeks, amounts, bottom=bottom, color=color, width=0.7, label=label)
        bottom = [b + a for b, a in zip(bottom, amounts, strict=True)]
    mrr = [point.mrr / scale for point in report.trend]
    income.plot(weeks, mrr, color=MRR_COLOR, marker="o", linewidth=2, label=_("MRR"))
    income.set_title(
        _(
            "{weeks} weeks: income by source, and MRR ({currency})",
            weeks=len(report.trend),
            currency=report.currency.upper(),
        )
    )
    income.set_ylim(bottom=0, top=max([*bottom, *mrr], default=0) * 1.35 or 1)
    income.legend(loc="upper left", frameon=False, ncols=3, fontsize=8)
    members.plot(weeks, [p.active_members for p in report.trend], marker="o", linewidth=2,
                 color=ACTIVE_COLOR, label=_("active members"))  # fmt: skip
    members.plot(weeks, [p.paying_members for p in report.trend], marker="o", linewidth=2,
                 color=PAYING_COLOR, label=_("paying members"))  # fmt: skip
    members.set_title(_("{weeks} weeks: members", weeks=len(report.trend)))
    highest = max((max(p.active_members, p.paying_members) for p in report.trend), default=0)
    members.set_ylim(bottom=0, top=max(highest * 1.35, 1))
    members.yaxis.set_major_locator(MaxNLocator(integer=True))
    members.tick_params(axis="x", labelsize=8)
    members.legend(loc="upper left", frameon=False, ncols=2)


def _cohorts(axes: Axes, report: WeeklyReport, translator: Translator) -> None:
    """The cohort table as a heat map: the share of each month's new payers still paying."""
    _ = translator.gettext
    axes.set_title(_("Still paying, by the month members first paid"))
    table = report.revenue.cohorts
    if not table:
        axes.text(0.5, 0.5, _("No one has paid yet."), ha="center", va="center")
        axes.set_axis_off()
        return
    width = max(len(cohort.paying) for cohort in table)
    shares = [[*c.paying, *([math.nan] * (width - len(c.paying)))] for c in table]
    axes.imshow(shares, cmap="Greens", vmin=0, vmax=1, aspect="auto")
    for row, cohort in enumerate(table):
        for column, share in enumerate(cohort.paying):
            color = "white" if share > 0.6 else "black"
            shown = translator.number(round(share * 100)) + "%"
            axes.text(column, row, shown, ha="center", va="center", fontsize=8, color=color)
    axes.set_yticks(range(len(table)), [f"{c.month} ({c.members})" for c in table], fontsize=8)
    axes.set_xticks(range(width), [str(n) for n in range(width)], fontsize=8)
    axes.set_xlabel(_("months since"))
    axes.spines[:].set_visible(False)


def _scale(report: WeeklyReport) -> int:
    return int(10 ** currency_exponent(report.currency))


def _fonts(translator: Translator) -> tuple[list[str], Translator]:
    """The font families to draw with, and the language to draw in: a chart in Chinese on a
    machine with no Chinese font would be empty boxes, so it is drawn in English there."""
    installed = {font.name for font in font_manager.fontManager.ttflist}
    cjk = [name for name in CJK_FONTS if name in installed]
    if translator.locale.startswith("zh") and not cjk:
        return ["DejaVu Sans"], Translator("en")
    return ["DejaVu Sans", *cjk], translator

"""The weekly report's chart: daily revenue above, daily interactions by platform below.

Drawn with matplotlib's object API on an Agg canvas: no screen, and no pyplot global state,
so reports can be drawn from any thread.
"""

from __future__ import annotations

import io

from babel.dates import format_skeleton
from matplotlib import font_manager, rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.core.i18n import Translator
from bot.core.money import Money, currency_exponent, format_money
from cogs.engagement.report_data import WeeklyReport
from cogs.engagement.report_render import PLATFORMS
from cogs.engagement.service import OTHER

WIDTH, HEIGHT, DPI = 10, 7, 100  # 1000 x 700 pixels: readable in a chat preview
# Apart at a glance, rather than both in their brands' blues.
COLORS = {"discord": "#5865F2", "telegram": "#E8833A"}
REVENUE_COLOR = "#2E9E6B"
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
    """A PNG of WIDTH x HEIGHT inches at DPI."""
    fonts, translator = _fonts(translator)
    _ = translator.gettext
    days = [format_skeleton("MMMEd", point.day, locale=translator.locale) for point in report.daily]
    scale = 10 ** currency_exponent(report.currency)
    with rc_context({"font.family": fonts, "font.size": 11}):
        figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, layout="constrained")
        FigureCanvasAgg(figure)
        figure.suptitle(_("Weekly report {week}", week=report.week), fontsize=15)
        money, interactions = figure.subplots(2, 1, sharex=True)

        revenue = [point.revenue / scale for point in report.daily]
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
            fontsize=9,
        )
        money.set_title(_("Revenue ({currency})", currency=report.currency.upper()))
        money.set_ylim(bottom=0, top=max(revenue, default=0) * 1.2 or 1)
        money.grid(axis="y", alpha=0.3)

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
        interactions.grid(axis="y", alpha=0.3)
        if platforms:
            interactions.legend(loc="upper left", frameon=False, ncols=len(platforms))
        for axes in (money, interactions):
            axes.spines[["top", "right"]].set_visible(False)

        buffer = io.BytesIO()
        # No "Software" stamp (the matplotlib version): one report, one PNG, byte for byte.
        figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _fonts(translator: Translator) -> tuple[list[str], Translator]:
    """The font families to draw with, and the language to draw in: a chart in Chinese on a
    machine with no Chinese font would be empty boxes, so it is drawn in English there."""
    installed = {font.name for font in font_manager.fontManager.ttflist}
    cjk = [name for name in CJK_FONTS if name in installed]
    if translator.locale.startswith("zh") and not cjk:
        return ["DejaVu Sans"], Translator("en")
    return ["DejaVu Sans", *cjk], translator

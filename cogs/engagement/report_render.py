"""The weekly report as chat text (Markdown, in the reader's language), JSON and CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from babel.numbers import format_decimal

from bot.core.i18n import N_, Translator
from bot.core.money import Money, format_money
from bot.core.text import clean_name, split_message
from cogs.engagement.report_data import (
    Figure,
    MoneyFigure,
    RatioFigure,
    Revenue,
    ScoreFigure,
    WeeklyReport,
)

MINUS = "−"  # U+2212: a minus sign reads better than a hyphen next to a number
NAME_LENGTH = 60
KINDS = {
    "reaction": N_("reactions"),
    "reply": N_("replies"),
    "unlock": N_("unlocks"),
    "view": N_("views"),
    "answer_accepted": N_("accepted answers"),
}
CONTENT_KINDS = {
    "post": N_("post"),
    "drop": N_("drop"),
    "question": N_("question"),
    "answer": N_("answer"),
}
SOURCES = {
    "membership": N_("Memberships"),
    "qa": N_("Q&A"),
    "drops": N_("Drops"),
    "manual": N_("Booked by hand"),
}
PLATFORMS = {
    "discord": "Discord",
    "telegram": "Telegram",
    "console": "Console",
    "other": N_("elsewhere"),
}
CSV_COLUMNS = ("section", "name", "value", "previous", "change", "unit")


def to_markdown(report: WeeklyReport, translator: Translator) -> str:
    """The report as a chat message: a heading per section, a line per figure, each with its
    change since the week before."""
    _ = translator.gettext
    lines = [
        "## " + _("Weekly report {week}", week=report.week),
        _(
            "{first} to {last} ({timezone}), compared with {previous}",
            first=report.daily[0].day.isoformat(),
            last=report.daily[-1].day.isoformat(),
            timezone=report.timezone,
            previous=report.previous_week,
        ),
        "",
        *_engagement(report, translator),
        "",
        *_revenue(report, translator),
        "",
        *_model(report, translator),
    ]
    return "\n".join(lines).strip() + "\n"


def chat_messages(text: str, limit: int) -> list[str]:
    """`text` cut into messages a platform accepts: Discord 2000 characters, Telegram 4096."""
    return split_message(text, limit)


def _engagement(report: WeeklyReport, translator: Translator) -> list[str]:
    _ = translator.gettext
    e = report.engagement
    kinds = " · ".join(
        f"{_term(translator, KINDS, k)} {_count(f, translator)}"
        for k, f in e.interactions_by_kind.items()
    )
    platforms = " · ".join(
        f"{_term(translator, PLATFORMS, p)} {_count(f, translator)}"
        for p, f in e.interactions_by_platform.items()
    )
    lines = [
        "### " + _("Engagement"),
        "- " + _("Active members: {figure}", figure=_count(e.active_members, translator)),
        "- " + _("New members: {figure}", figure=_count(e.new_members, translator)),
        "- " + _("Retention: {figure}", figure=_ratio(e.retention, translator)),
        "- " + _("Interactions: {kinds}", kinds=kinds),
        "- " + _("By platform: {platforms}", platforms=platforms),
    ]
    if e.top_contents:
        lines.append("- " + _("Top contents:"))
        lines += [
            f"  {n}. "
            + _(
                "{name}: {value}",
                name=f"{_name(c.title, c.id)} ({_term(translator, CONTENT_KINDS, c.kind)})",
                value=translator.number(c.score),
            )
            for n, c in enumerate(e.top_contents, 1)
        ]
    if e.top_members:
        lines.append("- " + _("Most engaged members:"))
        lines += [
            f"  {n}. "
            + _(
                "{name}: {value}",
                name=_name(m.display_name, m.id),
                value=translator.number(m.score),
            )
            for n, m in enumerate(e.top_members, 1)
        ]
    return lines


def _revenue(report: WeeklyReport, translator: Translator) -> list[str]:
    _ = translator.gettext
    r = report.revenue
    lines = [
        "### " + _("Revenue ({currency})", currency=r.currency.upper()),
        "- " + _("Gross: {figure}", figure=_money(r.gross, translator)),
        *(_source(r, source, kept, translator) for source, kept in r.gross_by_source.items()),
        "- " + _("Refunds: {figure}", figure=_money(r.refunds, translator)),
        "- " + _("Disputes: {figure}", figure=_money(r.disputes, translator)),
        "- " + _("Net: {figure}", figure=_money(r.net, translator)),
        "- " + _("MRR: {figure}", figure=_money(r.mrr, translator)),
        *_mrr_movements(r, translator),
        "- "
        + _(
            "Paid members: {active}; new {new}; churned {churned}",
            active=_count(r.active_paid_members, translator),
            new=_count(r.new_paid_members, translator),
            churned=_count(r.churned_paid_members, translator),
        ),
    ]
    if r.active_paid_by_tier:
        tiers = " · ".join(f"{t} {_count(f, translator)}" for t, f in r.active_paid_by_tier.items())
        lines.append("- " + _("By tier: {tiers}", tiers=tiers))
    lines.append(
        "- " + _("Owed to experts: {figure}", figure=_money(r.expert_payouts_owed, translator))
    )
    if r.other_currencies:
        other = " · ".join(_money(f, translator) for f in r.other_currencies.values())
        lines.append("- " + _("Other currencies (gross): {amounts}", amounts=other))
    if r.cohorts:
        lines.append("- " + _("By the month members first paid, month by month since:"))
        lines += [
            "  - "
            + _(
                "{month}, {members} members: still paying {paying}; revenue kept {revenue}",
                month=cohort.month,
                members=translator.number(cohort.members),
                paying=_shares(cohort.paying, translator),
                revenue=_shares(cohort.revenue, translator),
            )
            for cohort in r.cohorts
        ]
    return lines


def _shares(shares: list[float], translator: Translator) -> str:
    return " · ".join(translator.number(round(share * 100)) + "%" for share in shares)


def _source(r: Revenue, source: str, kept: MoneyFigure, translator: Translator) -> str:
    """A source's income; with what members paid for it, where the community keeps only a
    part (a question's fee, a listen-in's)."""
    _ = translator.gettext
    line = "  - " + _(
        "{name}: {value}", name=_term(translator, SOURCES, source), value=_money(kept, translator)
    )
    paid = r.paid_by_source.get(source)
    if paid is not None and paid.value != kept.value:
        line += " · " + _("members paid {amount}", amount=_amount(paid, translator))
    return line


def _mrr_movements(r: Revenue, translator: Translator) -> list[str]:
    _ = translator.gettext
    m, rates = r.mrr_movements, r.rates
    moved = [
        (_("new"), m.new),
        (_("expansion"), m.expansion),
        (_("reactivation"), m.reactivation),
        (_("contraction"), m.contraction),
        (_("churn"), m.churn),
    ]
    lines = [
        "  - "
        + _(
            "From {start}: {movements}",
            start=_amount(m.start, translator),
            movements=" · ".join(f"{name} {_amount(f, translator)}" for name, f in moved),
        ),
        "  - "
        + _(
            "Churn: voluntary {voluntary} · failed payments {involuntary}",
            voluntary=_amount(m.churn_voluntary, translator),
            involuntary=_amount(m.churn_involuntary, translator),
        ),
    ]
    rated = [
        (_("gross MRR churn"), rates.gross_mrr_churn),
        (_("net MRR churn"), rates.net_mrr_churn),
        (_("net revenue retention"), rates.net_revenue_retention),
        (_("members lost"), rates.logo_churn),
        (_("trials converted"), rates.trial_conversion),
    ]
    shares = " · ".join(f"{name} {_share(f, translator)}" for name, f in rated)
    lines.append("  - " + _("Rates: {rates}", rates=shares))
    lines.append(
        "  - "
        + _("Average per paying member (ARPU): {figure}", figure=_money(rates.arpu, translator))
    )
    if r.mrr_other_currencies:
        other = " · ".join(_money(f, translator) for f in r.mrr_other_currencies.values())
        lines.append("  - " + _("In other currencies: {amounts}", amounts=other))
    return lines


def _amount(figure: MoneyFigure, translator: Translator) -> str:
    return format_money(Money(figure.value, figure.currency), translator.locale)


def _share(figure: RatioFigure, translator: Translator) -> str:
    """This week's rate as a percentage; "—" when nobody paid at the week's start."""
    if figure.value is None:
        return "—"
    sign = MINUS if figure.value < 0 else ""
    return sign + translator.number(round(abs(figure.value) * 100, 1)) + "%"


def _model(report: WeeklyReport, translator: Translator) -> list[str]:
    _ = translator.gettext
    m = report.model
    lines = [
        "### " + _("Engagement value"),
        "- "
        + _(
            "How much attention the content that makes money got: each member's interactions "
            "with a content, times what the content sells for, times how likely the member "
            "is to pay (what they paid lately, against the top payer)."
        ),
        "- " + _("Engagement value: {figure}", figure=_score(m.total, translator)),
    ]
    if m.top_contributions:
        lines.append("- " + _("Largest parts (interactions × content value × likelihood to pay):"))
        for n, c in enumerate(m.top_contributions, 1):
            who = f"{_name(c.member_name, c.member_id)} × {_name(c.content_title, c.content_id)}"
            # Every factor as precise as the product is computed from, so it checks by hand.
            terms = [_exact(c.interactions, translator), _exact(c.value, translator)]
            terms.append(_exact(c.propensity, translator))
            product = f"{' × '.join(terms)} = {translator.number(c.contribution)}"
            lines.append(f"  {n}. " + _("{name}: {value}", name=who, value=product))
    return lines


def _exact(value: float, translator: Translator) -> str:
    """All the digits the engagement model keeps (figures.DIGITS), none it does not."""
    return format_decimal(value, format="#,##0.######", locale=translator.locale)


def _term(translator: Translator, terms: dict[str, str], key: str) -> str:
    """A kind or a source in the reader's language; one we have no word for as it is."""
    return translator.gettext(terms[key]) if key in terms else key or "?"


def _name(text: str, number: int) -> str:
    """A member's name or a title on one short line (backticks would open code formatting);
    its number when it has none."""
    if not text.strip():
        return f"#{number}"
    line = clean_name(text, len(text))
    if len(line) > NAME_LENGTH:
        line = line[: NAME_LENGTH - 1] + "…"
    return line.replace("`", "'")


def _signed(change: float, shown: str) -> str:
    if change > 0:
        return "+" + shown
    if change < 0:
        return MINUS + shown
    return "±" + shown


def _percent(change: float, previous: float, translator: Translator) -> str:
    """The change relative to the week before, as ", +4.5%"; nothing when there was nothing
    before."""
    if not previous:
        return ""
    share = round(abs(change) / abs(previous) * 100, 1)
    return ", " + _signed(change, translator.number(share) + "%")


def _count(figure: Figure, translator: Translator) -> str:
    change = _signed(figure.change, translator.number(abs(figure.change)))
    return f"{translator.number(figure.value)} ({change})"


def _score(figure: ScoreFigure, translator: Translator) -> str:
    change = _signed(figure.change, translator.number(abs(figure.change)))
    percent = _percent(figure.change, figure.previous, translator)
    return f"{translator.number(figure.value)} ({change}{percent})"


def _money(figure: MoneyFigure, translator: Translator) -> str:
    locale = translator.locale
    shown = format_money(Money(figure.value, figure.currency), locale)
    change = _signed(
        figure.change, format_money(Money(abs(figure.change), figure.currency), locale)
    )
    return f"{shown} ({change}{_percent(figure.change, figure.previous, translator)})"


def _ratio(figure: RatioFigure, translator: Translator) -> str:
    """A share as a percentage, its change in percentage points."""

    def percent(share: float) -> str:
        return translator.number(round(share * 100, 1)) + "%"

    if figure.value is None:
        return translator.gettext("n/a (no one was active the week before)")
    if figure.change is None:
        return percent(figure.value)
    return f"{percent(figure.value)} ({_signed(figure.change, percent(abs(figure.change)))})"


def to_json(report: WeeklyReport) -> str:
    """The report as JSON: keys in the order `report_data` declares them, ids ascending."""
    return report.model_dump_json(indent=2) + "\n"


def to_csv(report: WeeklyReport) -> str:
    """One figure per row: section, name, value, previous, change, unit. Money is in minor
    units (the unit says of which currency); a value alone has no previous or change."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(_csv_rows(report))
    return buffer.getvalue()


Row = tuple[str, str, object, object, object, str]


def _csv_rows(report: WeeklyReport) -> Iterator[Row]:
    yield from _csv_engagement(report)
    yield from _csv_revenue(report)
    yield from _csv_model(report)
    for point in report.daily:
        day = point.day.isoformat()
        yield ("daily", f"{day} revenue", point.revenue, "", "", f"minor:{report.currency}")
        for platform, n in point.interactions.items():
            yield ("daily", f"{day} {platform}", n, "", "", "interactions")


def _row(section: str, name: str, f: Figure | ScoreFigure | RatioFigure, unit: str) -> Row:
    return (section, name, _cell(f.value), _cell(f.previous), _cell(f.change), unit)


def _money_row(section: str, name: str, f: MoneyFigure) -> Row:
    return (section, name, f.value, f.previous, f.change, f"minor:{f.currency}")


def _cell(value: float | None) -> object:
    return "" if value is None else value


def _csv_engagement(report: WeeklyReport) -> Iterator[Row]:
    e = report.engagement
    yield _row("engagement", "active_members", e.active_members, "members")
    yield _row("engagement", "new_members", e.new_members, "members")
    yield _row("engagement", "retention", e.retention, "ratio")
    for kind, count in e.interactions_by_kind.items():
        yield _row("engagement", f"interactions:{kind}", count, "interactions")
    for platform, count in e.interactions_by_platform.items():
        yield _row("engagement", f"platform:{platform}", count, "interactions")
    for c in e.top_contents:
        yield ("top_contents", f"content:{c.id} {c.title}", c.score, "", "", "score")
    for u in e.top_members:
        yield ("top_members", f"member:{u.id} {u.display_name}", u.score, "", "", "score")


def _csv_revenue(report: WeeklyReport) -> Iterator[Row]:
    r = report.revenue
    for source, amount in r.gross_by_source.items():
        yield _money_row("revenue", f"gross:{source}", amount)
    for source, amount in r.paid_by_source.items():
        yield _money_row("revenue", f"paid:{source}", amount)
    yield _money_row("revenue", "gross", r.gross)
    yield _money_row("revenue", "refunds", r.refunds)
    yield _money_row("revenue", "disputes", r.disputes)
    yield _money_row("revenue", "net", r.net)
    yield _money_row("revenue", "mrr", r.mrr)
    for name, amount in r.mrr_movements:
        yield _money_row("revenue", f"mrr:{name}", amount)
    for name, rate in r.rates:
        if isinstance(rate, MoneyFigure):
            yield _money_row("revenue", name, rate)
        else:
            yield _row("revenue", name, rate, "ratio")
    for code, amount in r.mrr_other_currencies.items():
        yield _money_row("revenue", f"mrr:{code}", amount)
    yield _row("revenue", "new_paid_members", r.new_paid_members, "members")
    yield _row("revenue", "churned_paid_members", r.churned_paid_members, "members")
    yield _row("revenue", "active_paid_members", r.active_paid_members, "members")
    for tier, count in r.active_paid_by_tier.items():
        yield _row("revenue", f"active_paid:{tier}", count, "members")
    yield _money_row("revenue", "expert_payouts_owed", r.expert_payouts_owed)
    for code, amount in r.other_currencies.items():
        yield _money_row("revenue", f"gross:{code}", amount)
    for cohort in r.cohorts:
        yield ("cohorts", f"{cohort.month}:members", cohort.members, "", "", "members")
        for months, share in enumerate(cohort.paying):
            yield ("cohorts", f"{cohort.month}:paying:{months}", share, "", "", "ratio")
        for months, share in enumerate(cohort.revenue):
            yield ("cohorts", f"{cohort.month}:revenue:{months}", share, "", "", "ratio")


def _csv_model(report: WeeklyReport) -> Iterator[Row]:
    m = report.model
    yield _row("model", "T", m.total, "score")
    for c in m.top_contributions:
        name = f"content:{c.content_id} member:{c.member_id}"
        yield ("model", name, c.contribution, "", "", "score")
    for content_id, v in m.content_values.items():
        yield ("model", f"V:content:{content_id}", v, "", "", report.currency)
    for member_id, p in m.member_propensities.items():
        yield ("model", f"P:member:{member_id}", p, "", "", "ratio")

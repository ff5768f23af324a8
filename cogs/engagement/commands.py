"""/report for moderators: the weekly engagement and revenue report, on demand."""

from __future__ import annotations

from bot.core.commands import Args, CommandSpec, Param
from bot.core.context import Context
from bot.core.effects import Effect
from bot.core.i18n import N_
from bot.core.permissions import Level
from bot.core.registry import Registry
from cogs.engagement.report_build import build_report
from cogs.engagement.report_render import to_markdown
from cogs.engagement.weeks import Week


async def report(ctx: Context, args: Args) -> list[Effect]:
    tz = ctx.settings.community.tzinfo
    typed = args.text("week")
    current = Week.containing(ctx.clock.now(), tz)
    if typed is None:
        week = current.previous()  # the last complete week
    else:
        try:
            week = Week.parse(typed)
        except ValueError:
            return [
                ctx.reply(
                    ctx._(
                        "“{week}” is not a week. Write it like {example}.",
                        week=typed[:20],
                        example=str(current.previous()),
                    )
                )
            ]
    if week.first_day > current.first_day:
        return [ctx.reply(ctx._("{week} has not begun yet.", week=str(week)))]
    built = await build_report(ctx.uow, ctx.settings, week)
    return [ctx.reply(to_markdown(built, ctx.translator))]


async def suggest_weeks(ctx: Context, typed: str) -> list[str]:
    week = Week.containing(ctx.clock.now(), ctx.settings.community.tzinfo).previous()
    recent = [week]
    for _ in range(7):
        recent.append(recent[-1].previous())
    return [str(w) for w in recent if str(w).startswith(typed.upper())]


def register(registry: Registry) -> None:
    registry.register(
        CommandSpec(
            name="report",
            description=N_("The weekly engagement and revenue report (moderators)"),
            handler=report,
            params=(
                Param(
                    "week",
                    N_("An ISO week like 2026-W48 (default: last week)"),
                    required=False,
                    suggest=suggest_weeks,
                ),
            ),
            level=Level.MOD,
            # Revenue figures are for the staff: shown only to whoever asked.
            ephemeral=True,
        )
    )

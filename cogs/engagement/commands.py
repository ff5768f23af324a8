"""/report for moderators: the weekly engagement and revenue report, on demand."""

from __future__ import annotations

from datetime import datetime

from bot.config import Settings
from bot.core.commands import Args, CommandSpec, Param
from bot.core.context import Context
from bot.core.effects import Effect
from bot.core.i18n import N_
from bot.core.permissions import Level
from bot.core.registry import Registry
from bot.core.values import Unreadable
from cogs.engagement.report_build import build_report
from cogs.engagement.report_render import to_markdown
from cogs.engagement.weeks import Week


def read_week(typed: str, settings: Settings, now: datetime) -> Week:
    """An ISO week that has begun, in the community's time zone."""
    current = Week.containing(now, settings.community.tzinfo)
    try:
        week = Week.parse(typed)
    except ValueError:
        raise Unreadable(
            N_("“{week}” is not a week. Write it like {example}."),
            week=typed[:20],
            example=str(current.previous()),
        ) from None
    if week.first_day > current.first_day:
        raise Unreadable(N_("{week} has not begun yet."), week=str(week))
    return week


async def report(ctx: Context, args: Args) -> list[Effect]:
    week = args.get("week", Week) or (
        Week.containing(ctx.clock.now(), ctx.settings.community.tzinfo).previous()
    )
    built = await build_report(ctx.uow, ctx.settings, week, now=ctx.clock.now())
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
                    N_("week"),
                    N_("An ISO week like 2026-W48 (default: last week)"),
                    required=False,
                    example="2026-W48",
                    suggest=suggest_weeks,
                    reader=read_week,
                ),
            ),
            level=Level.MOD,
            # Revenue figures are for the staff: shown only to whoever asked.
            examples=("/report", "/report 2026-W48"),
            ephemeral=True,
        )
    )

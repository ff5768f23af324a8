"""/outbox: what the bot still owes members (roles, DMs, refunds), and a retry for what failed."""

from __future__ import annotations

from bot.core.commands import Args, CommandSpec, Param, ParamKind
from bot.core.context import Context
from bot.core.effects import Effect
from bot.core.i18n import N_
from bot.core.outbox import retry_dead
from bot.core.permissions import Level
from bot.core.registry import Registry

ERROR_SHOWN = 80


async def outbox(ctx: Context, args: Args) -> list[Effect]:
    if args.text("action") == "retry":
        item_id = args.integer("id")
        if item_id is None:
            return [ctx.reply(ctx._("Say which item: /outbox retry <id>."))]
        item = await retry_dead(ctx.uow, item_id, ctx.clock.now())
        if item is None:
            return [ctx.reply(ctx._("There is no dead item #{id}.", id=item_id))]
        await ctx.uow.audit.record(
            "outbox.retried",
            at=ctx.clock.now(),
            actor_id=ctx.member.id,
            subject_id=None,
            detail={"item": item_id, "kind": item.kind},
        )
        return [ctx.reply(ctx._("Item #{id} will be tried again now.", id=item_id))]
    counts = await ctx.uow.outbox.counts()
    lines = [
        ctx._(
            "Outbox: {pending} waiting, {dead} failed for good.",
            pending=counts.get("pending", 0),
            dead=counts.get("dead", 0),
        )
    ]
    for item in await ctx.uow.outbox.dead():
        error = (item.last_error or "")[:ERROR_SHOWN]
        lines.append(f"#{item.id} {item.kind} · {item.attempts}× · {error}")
    if counts.get("dead"):
        lines.append(ctx._("Try one again with /outbox retry <id>."))
    return [ctx.reply("\n".join(lines))]


def register(registry: Registry) -> None:
    registry.register(
        CommandSpec(
            name="outbox",
            description=N_("Show what the bot still has to deliver, and retry what failed"),
            handler=outbox,
            params=(
                Param(
                    "action",
                    N_("retry: try a failed item again"),
                    kind=ParamKind.CHOICE,
                    choices=("retry",),
                    required=False,
                ),
                Param("id", N_("The failed item's number"), kind=ParamKind.INTEGER, required=False),
            ),
            level=Level.MOD,
            ephemeral=True,
        )
    )

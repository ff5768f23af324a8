"""/outbox: what the bot still owes members (roles, DMs, refunds), and a retry for what failed."""

from __future__ import annotations

from bot.core.commands import Args, CommandSpec, Param, ParamKind, Refuse
from bot.core.context import Context
from bot.core.effects import Button, Effect, Reply
from bot.core.i18n import N_
from bot.core.outbox import retry_dead
from bot.core.permissions import Level
from bot.core.registry import Registry

ERROR_SHOWN = 80


async def show(ctx: Context, _args: Args) -> list[Effect]:
    counts = await ctx.uow.outbox.counts()
    lines = [
        ctx._(
            "Outbox: {pending} waiting, {dead} failed for good.",
            pending=counts.get("pending", 0),
            dead=counts.get("dead", 0),
        )
    ]
    dead = await ctx.uow.outbox.dead()
    for item in dead:
        error = (item.last_error or "")[:ERROR_SHOWN]
        lines.append(f"#{item.id} {item.kind} · {item.attempts}× · {error}")
    if dead:
        lines.append(ctx._("Try one again with /outbox retry <id>."))
    buttons = tuple(
        Button(ctx._("Retry #{id}", id=item.id), command=f"/outbox retry {item.id}")
        for item in dead[:5]
    )
    return [Reply("\n".join(lines), ephemeral=True, buttons=buttons)]


async def retry(ctx: Context, args: Args) -> list[Effect]:
    item_id = args.integer("id")
    assert item_id is not None  # required: the dispatcher asked for it
    item = await retry_dead(ctx.uow, item_id, ctx.clock.now())
    if item is None:
        raise Refuse(ctx._("There is no dead item #{id}.", id=item_id))
    await ctx.uow.audit.record(
        "outbox.retried",
        at=ctx.clock.now(),
        actor_id=ctx.member.id,
        subject_id=None,
        detail={"item": item_id, "kind": item.kind},
    )
    return [ctx.reply(ctx._("Item #{id} will be tried again now.", id=item_id))]


async def suggest_dead(ctx: Context, typed: str) -> list[str]:
    return [str(item.id) for item in await ctx.uow.outbox.dead() if str(item.id).startswith(typed)]


def register(registry: Registry) -> None:
    registry.register(
        CommandSpec(
            name="outbox",
            description=N_("Show what the bot still has to deliver, and retry what failed"),
            subcommands=(
                CommandSpec(
                    name="show",
                    description=N_("What is waiting, and what failed for good"),
                    handler=show,
                    level=Level.MOD,
                    ephemeral=True,
                ),
                CommandSpec(
                    name="retry",
                    description=N_("Try a failed item again"),
                    handler=retry,
                    params=(
                        Param(
                            N_("id"),
                            N_("The failed item's number"),
                            kind=ParamKind.INTEGER,
                            minimum=1,
                            suggest=suggest_dead,
                        ),
                    ),
                    level=Level.MOD,
                    ephemeral=True,
                    examples=("/outbox retry 17",),
                ),
            ),
            level=Level.MOD,
            ephemeral=True,
        )
    )

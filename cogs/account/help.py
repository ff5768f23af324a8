"""/help: the commands a member may use here, or one of them in detail."""

from __future__ import annotations

from functools import partial

from bot.core.commands import Args, CommandSpec, Param
from bot.core.context import Context
from bot.core.effects import Effect
from bot.core.i18n import N_
from bot.core.registry import Registry


async def show_help(registry: Registry, ctx: Context, args: Args) -> list[Effect]:
    wanted = args.text("command")
    if wanted:
        spec = registry.get(wanted.removeprefix("/").lower())
        if spec is None or spec.level > ctx.level:
            return [
                ctx.reply(
                    ctx._(
                        "There is no command /{name} you can use. Send /help for the list.",
                        name=wanted.removeprefix("/")[:32],
                    )
                )
            ]
        lines = [f"{spec.usage()} — {ctx._(spec.description)}"]
        lines += [f"  {p.name}: {ctx._(p.description)}" for p in spec.params]
        return [ctx.reply("\n".join(lines))]
    lines = [ctx._("Commands you can use:")]
    lines += [
        f"{spec.usage()} — {ctx._(spec.description)}" for spec in registry.available_to(ctx.level)
    ]
    lines.append(ctx._("Send /help <command> for details about one command."))
    return [ctx.reply("\n".join(lines))]


async def suggest_commands(registry: Registry, ctx: Context, typed: str) -> list[str]:
    prefix = typed.removeprefix("/").lower()
    return [s.name for s in registry.available_to(ctx.level) if s.name.startswith(prefix)]


def register(registry: Registry) -> None:
    registry.register(
        CommandSpec(
            name="help",
            description=N_("Show the commands you can use"),
            handler=partial(show_help, registry),
            params=(
                Param(
                    "command",
                    N_("A command to explain in detail"),
                    required=False,
                    suggest=partial(suggest_commands, registry),
                ),
            ),
            ephemeral=True,
        )
    )

"""/help: the commands a member may use here, or one of them in detail, as their declarations
say: the exact usage, every option with an example, and whole example lines."""

from __future__ import annotations

from functools import partial

from bot.core.commands import Args, CommandSpec, Param, ParamKind, Refuse
from bot.core.context import Context
from bot.core.effects import Effect
from bot.core.i18n import N_
from bot.core.registry import Registry

# What each kind of value looks like, for the option lines of /help (amounts, members and
# lengths of time say it in their own descriptions, which Discord shows too).
KINDS = {
    ParamKind.INTEGER: N_("a whole number"),
    ParamKind.WHEN: N_("a time: 2026-12-01 20:00, tomorrow 20:00, fri 20:00, in 2h or now"),
    ParamKind.ATTACHMENT: N_("a file sent with the command"),
}


async def show_help(registry: Registry, ctx: Context, args: Args) -> list[Effect]:
    wanted = " ".join((args.text("command") or "").removeprefix("/").lower().split())
    if not wanted:
        lines = [ctx._("Commands you can use:")]
        lines += [_summary(ctx, path, spec) for path, spec in _runnable(registry, ctx)]
        lines.append(ctx._("Send /help <command> for details about one command."))
        return [ctx.reply("\n".join(lines))]
    chosen = [(path, spec) for path, spec in _runnable(registry, ctx) if _names(path, wanted)]
    if not chosen:
        raise Refuse(
            ctx._(
                "There is no command /{name} you can use. Send /help for the list.",
                name=wanted[:32],
            )
        )
    return [ctx.reply("\n\n".join(_details(ctx, path, spec) for path, spec in chosen))]


def _runnable(registry: Registry, ctx: Context) -> list[tuple[str, CommandSpec]]:
    """Every command and subcommand the member may run, by its path (`drop new`)."""
    found: list[tuple[str, CommandSpec]] = []
    for spec in registry.available_to(ctx.level):
        if not spec.subcommands:
            found.append((spec.name, spec))
        found += [
            (f"{spec.name} {sub.name}", sub) for sub in spec.subcommands if sub.level <= ctx.level
        ]
    return found


def _names(path: str, wanted: str) -> bool:
    """`drop` names every /drop subcommand; `drop new` one of them."""
    return path == wanted or path.startswith(wanted + " ")


def _summary(ctx: Context, path: str, spec: CommandSpec) -> str:
    return f"{spec.usage(path).splitlines()[0]} — {ctx._(spec.description)}"


def _details(ctx: Context, path: str, spec: CommandSpec) -> str:
    lines = [spec.usage(path), ctx._(spec.description)]
    lines += [_option(ctx, param) for param in spec.params]
    if spec.examples:
        lines.append(ctx._("For example:"))
        lines += ["  " + example.replace("\n", "\n    ") for example in spec.examples]
    return "\n".join(lines)


def _option(ctx: Context, param: Param) -> str:
    line = f"  {param.name} — {ctx._(param.description)}"
    if param.kind in KINDS:
        line += f" ({ctx._(KINDS[param.kind])})"
    elif param.kind is ParamKind.TIER and ctx.settings.tiers:
        line += " (" + ctx._("one of: {choices}", choices=", ".join(ctx.settings.tiers)) + ")"
    elif param.choices:
        line += " (" + ctx._("one of: {choices}", choices=", ".join(param.choices)) + ")"
    if param.keyword:
        line += " · " + ctx._("give it as {form}", form=f"{param.name}:{param.sample()}")
    elif param.own_line:
        line += " · " + ctx._("on the lines below the command")
    if not param.required:
        line += " · " + ctx._("optional")
    return line


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
                    N_("command"),
                    N_("A command to explain in detail"),
                    required=False,
                    rest=True,
                    example="drop",
                    suggest=partial(suggest_commands, registry),
                ),
            ),
            ephemeral=True,
            examples=("/help", "/help grant", "/help drop new"),
        )
    )

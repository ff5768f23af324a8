"""Slash commands built from the shared registry: one app command per CommandSpec, a group of
subcommands where the spec has some, with Discord's own option types (users, integers with
bounds, choices, files), autocomplete, localized names and descriptions, and moderator and
creator commands hidden from members by default."""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import discord
from discord import app_commands

from bot.config import Settings
from bot.core.commands import CommandSpec, Param, ParamKind
from bot.core.i18n import Translator
from bot.core.permissions import Level
from bot.core.registry import Registry

# Called with the interaction, the command, its subcommand (or None) and the options filled in.
CommandRunner = Callable[
    [discord.Interaction, CommandSpec, CommandSpec | None, dict[str, Any]], Awaitable[None]
]
# Called while a member types an option that has suggestions: the command, its subcommand,
# the option and the text so far.
SuggestionRunner = Callable[
    [discord.Interaction, CommandSpec, CommandSpec | None, str, str], Awaitable[list[str]]
]

# Discord locales we describe commands in, and the catalogue each one reads.
_LOCALES = {
    discord.Locale.american_english: "en",
    discord.Locale.british_english: "en",
    discord.Locale.chinese: "zh_CN",
}
DESCRIPTION_LIMIT = 100
NAME_LIMIT = 32
CHOICE_LIMIT = 25
# Who sees a command in Discord's list before a server changes it in its integration
# settings: members see theirs; moderators' and creators' need Manage Messages, the usual mark
# of a moderator role (a server gives its creator role the commands there); the bot's own level
# check stays behind every command.
_HIDDEN_FROM_MEMBERS = discord.Permissions(manage_messages=True)
_FOR_ADMINS = discord.Permissions(manage_guild=True)
# Discord's rule for names and their localizations.
_NAME = re.compile(r"^[-_\w]{1,32}$")


class CatalogueTranslator(app_commands.Translator):
    """Names and descriptions of options and choices, and command descriptions, in every
    locale we have a catalogue for.

    Command names stay as they are in every language: members type the same /help everywhere,
    and the docs and the other platforms use those names. Option names are only shown on
    Discord (the option's own name is what reaches the bot), so they are translated.
    """

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        catalogue = _LOCALES.get(locale)
        if catalogue is None or context.location in (
            app_commands.TranslationContextLocation.command_name,
            app_commands.TranslationContextLocation.group_name,
        ):
            return None
        translated = Translator(catalogue).gettext(string.message)
        if context.location in (
            app_commands.TranslationContextLocation.parameter_name,
            app_commands.TranslationContextLocation.choice_name,
        ):
            return _localized_name(translated, string.message, context.location)
        return translated[:DESCRIPTION_LIMIT]


def _localized_name(
    translated: str, original: str, location: app_commands.TranslationContextLocation
) -> str | None:
    """A translated option name that Discord takes (lowercase, no spaces), or none."""
    if translated == original:
        return None
    if location is app_commands.TranslationContextLocation.choice_name:
        return translated[:DESCRIPTION_LIMIT]
    name = "_".join(translated.lower().split())[:NAME_LIMIT]
    return name if _NAME.fullmatch(name) else None


def default_permissions(level: Level) -> discord.Permissions | None:
    """Who sees a command of `level` before a server says otherwise."""
    if level >= Level.ADMIN:
        return _FOR_ADMINS
    if level >= Level.CREATOR:
        return _HIDDEN_FROM_MEMBERS
    return None


def build_commands(
    registry: Registry, settings: Settings, run: CommandRunner, suggest: SuggestionRunner
) -> list[app_commands.Command[Any, ..., None] | app_commands.Group]:
    built: list[app_commands.Command[Any, ..., None] | app_commands.Group] = []
    for spec in registry:
        if not spec.subcommands:
            command = _command(spec, None, settings, run, suggest)
            command.default_permissions = default_permissions(spec.level)
            built.append(command)
            continue
        group = app_commands.Group(
            name=spec.name,
            description=app_commands.locale_str(spec.description),
            default_permissions=default_permissions(spec.level),
        )
        for sub in spec.subcommands:
            group.add_command(_command(spec, sub, settings, run, suggest))
        built.append(group)
    return built


def _command(
    top: CommandSpec,
    sub: CommandSpec | None,
    settings: Settings,
    run: CommandRunner,
    suggest: SuggestionRunner,
) -> app_commands.Command[Any, ..., None]:
    spec = sub or top

    async def callback(interaction: discord.Interaction, **options: Any) -> None:
        await run(interaction, top, sub, options)

    # discord.py reads the options from the callback's signature, so we write one for the spec.
    interaction_param = inspect.Parameter(
        "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
    )
    callback.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [interaction_param, *(_option(param) for param in spec.params)]
    )
    callback.__discord_app_commands_param_description__ = {  # type: ignore[attr-defined]
        param.name: app_commands.locale_str(param.description) for param in spec.params
    }
    callback.__discord_app_commands_param_rename__ = {  # type: ignore[attr-defined]
        param.name: app_commands.locale_str(param.name) for param in spec.params
    }
    callback.__discord_app_commands_param_choices__ = {  # type: ignore[attr-defined]
        param.name: [
            app_commands.Choice(name=app_commands.locale_str(value), value=value)
            for value in choices
        ]
        for param in spec.params
        if (choices := _choices(param, settings))
    }
    command: app_commands.Command[Any, ..., None] = app_commands.Command(
        name=spec.name,
        description=app_commands.locale_str(spec.description),
        callback=callback,
    )
    for param in spec.params:
        if _autocompleted(param, settings):
            command.autocomplete(param.name)(_suggestions(top, sub, param.name, suggest))
    return command


def _choices(param: Param, settings: Settings) -> tuple[str, ...]:
    """A closed list Discord shows as choices: a CHOICE's, or the tiers (one at a time)."""
    if param.kind is ParamKind.CHOICE:
        return param.choices
    if param.kind is ParamKind.TIER and not param.many and len(settings.tiers) <= CHOICE_LIMIT:
        return tuple(settings.tiers)
    return ()


def _autocompleted(param: Param, settings: Settings) -> bool:
    if _choices(param, settings):
        return False
    return (
        param.suggest is not None
        or param.kind in (ParamKind.TIER, ParamKind.DURATION, ParamKind.WHEN)
        or (param.kind is ParamKind.LABEL)
    )


def _suggestions(
    top: CommandSpec, sub: CommandSpec | None, param_name: str, suggest: SuggestionRunner
) -> Callable[[discord.Interaction, str], Coroutine[Any, Any, list[app_commands.Choice[str]]]]:
    async def complete(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        values = await suggest(interaction, top, sub, param_name, current)
        return [
            app_commands.Choice(name=value[:DESCRIPTION_LIMIT], value=value) for value in values
        ]

    return complete


def _option(param: Param) -> inspect.Parameter:
    annotation: Any
    if param.kind is ParamKind.INTEGER:
        annotation = (
            app_commands.Range[int, param.minimum, param.maximum]
            if param.minimum is not None or param.maximum is not None
            else int
        )
    elif param.kind is ParamKind.MEMBER:
        annotation = discord.User
    elif param.kind is ParamKind.ATTACHMENT:
        # An option of type ATTACHMENT (11): the member picks a file in the command bar.
        annotation = discord.Attachment
    else:
        # Amounts, lengths and points in time are typed as text and read by the bot, so they
        # read the same on every platform ("25 usd", "30d", "tomorrow 20:00").
        annotation = str
    # A long text is optional on Discord even when required: without it we open a form.
    required = param.required and not param.long
    return inspect.Parameter(
        param.name,
        inspect.Parameter.KEYWORD_ONLY,
        annotation=annotation if required else annotation | None,
        default=inspect.Parameter.empty if required else None,
    )

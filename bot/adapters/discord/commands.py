"""Slash commands built from the shared registry: one app command per CommandSpec."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Literal

import discord
from discord import app_commands

from bot.core.commands import CommandSpec, Param, ParamKind
from bot.core.i18n import Translator
from bot.core.registry import Registry

# Called with the interaction, the spec and the options the member filled in.
CommandRunner = Callable[[discord.Interaction, CommandSpec, dict[str, Any]], Awaitable[None]]
# Called while a member types an option that has suggestions: the spec, the option, the text.
SuggestionRunner = Callable[[discord.Interaction, CommandSpec, str, str], Awaitable[list[str]]]

# Discord locales we describe commands in, and the catalogue each one reads.
_LOCALES = {
    discord.Locale.american_english: "en",
    discord.Locale.british_english: "en",
    discord.Locale.chinese: "zh_CN",
}
DESCRIPTION_LIMIT = 100


class CatalogueTranslator(app_commands.Translator):
    """Command and option descriptions in every locale we have a catalogue for.

    Names stay as they are in every language: members type the same /help everywhere, and the
    docs and the other platforms use those names.
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
            app_commands.TranslationContextLocation.parameter_name,
            app_commands.TranslationContextLocation.choice_name,
        ):
            return None
        return Translator(catalogue).gettext(string.message)[:DESCRIPTION_LIMIT]


def build_commands(
    registry: Registry, run: CommandRunner, suggest: SuggestionRunner
) -> list[app_commands.Command[Any, ..., None]]:
    return [_command(spec, run, suggest) for spec in registry]


def _command(
    spec: CommandSpec, run: CommandRunner, suggest: SuggestionRunner
) -> app_commands.Command[Any, ..., None]:
    async def callback(interaction: discord.Interaction, **options: Any) -> None:
        await run(interaction, spec, options)

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
    command: app_commands.Command[Any, ..., None] = app_commands.Command(
        name=spec.name,
        description=app_commands.locale_str(spec.description),
        callback=callback,
    )
    for param in spec.params:
        if param.suggest is not None:
            command.autocomplete(param.name)(_suggestions(spec, param.name, suggest))
    return command


def _suggestions(
    spec: CommandSpec, param_name: str, suggest: SuggestionRunner
) -> Callable[[discord.Interaction, str], Coroutine[Any, Any, list[app_commands.Choice[str]]]]:
    async def complete(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        values = await suggest(interaction, spec, param_name, current)
        return [
            app_commands.Choice(name=value[:DESCRIPTION_LIMIT], value=value) for value in values
        ]

    return complete


def _option(param: Param) -> inspect.Parameter:
    annotation: Any
    if param.kind is ParamKind.CHOICE:
        annotation = Literal[param.choices]
    elif param.kind is ParamKind.INTEGER:
        annotation = int
    elif param.kind is ParamKind.MEMBER:
        annotation = discord.User
    elif param.kind is ParamKind.ATTACHMENT:
        # An option of type ATTACHMENT (11): the member picks a file in the command bar.
        annotation = discord.Attachment
    else:
        annotation = str
    # A long text is optional on Discord even when required: without it we open a modal.
    required = param.required and not param.long
    return inspect.Parameter(
        param.name,
        inspect.Parameter.KEYWORD_ONLY,
        annotation=annotation if required else annotation | None,
        default=inspect.Parameter.empty if required else None,
    )

"""The command menus Telegram shows: per language, and per scope so that each person sees the
commands they may run."""

from __future__ import annotations

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BotCommandScopeChatAdministrators,
)

from bot.adapters.telegram.translate import ChatFacts
from bot.core.i18n import Translator
from bot.core.permissions import Level
from bot.core.registry import Registry

# Telegram language code -> our catalogue; "" is the default for every other language.
LANGUAGES = {"": "en", "zh": "zh_CN"}
DESCRIPTION_LIMIT = 256


def menus(registry: Registry, facts: ChatFacts) -> list[tuple[BotCommandScope, Level]]:
    """Each scope with the level whose commands it lists."""
    config = facts.config
    scopes: list[tuple[BotCommandScope, Level]] = [(BotCommandScopeAllPrivateChats(), Level.MEMBER)]
    if config.community_chat_id is not None:
        scopes += [
            (BotCommandScopeChat(config.community_chat_id), Level.MEMBER),
            # The group's admins see the moderators' commands there too.
            (BotCommandScopeChatAdministrators(config.community_chat_id), Level.ADMIN),
        ]
    else:
        scopes.append((BotCommandScopeAllGroupChats(), Level.MEMBER))
    # Configured staff get their own commands in their private chat with the bot.
    staff = {*config.creator_user_ids, *config.mod_user_ids, *config.admin_user_ids}
    scopes += [(BotCommandScopeChat(user), facts.level_for(user)) for user in sorted(staff)]
    return scopes


async def publish(bot: Bot, registry: Registry, facts: ChatFacts) -> int:
    """setMyCommands for every scope and language; returns how many menus were set."""
    published = 0
    for scope, level in menus(registry, facts):
        for language_code, catalogue in LANGUAGES.items():
            speak = Translator(catalogue)
            commands = [
                BotCommand(spec.name, speak.gettext(spec.description)[:DESCRIPTION_LIMIT])
                for spec in registry.available_to(level)
            ]
            await bot.set_my_commands(commands, scope=scope, language_code=language_code or None)
            published += 1
    return published

"""The access rule: what a member's tiers open (Discord roles, Telegram chats), and who may
enter which private chat."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set

from bot.config import Settings
from bot.core.access import Access
from bot.core.events import Platform
from bot.core.permissions import Level


def access_of(settings: Settings, tiers: Iterable[str]) -> Access:
    """What holding `tiers` opens; a tier no longer in bot.toml opens nothing."""
    roles: set[int] = set()
    chats: set[int] = set()
    for key in tiers:
        tier = settings.tiers.get(key)
        if tier is not None:
            roles.update(tier.discord_role_ids)
            chats.update(tier.telegram_chat_ids)
    return Access(frozenset(roles), frozenset(chats))


def managed_access(settings: Settings) -> Access:
    """Every role and chat some tier opens: the bot manages these and never touches others."""
    return access_of(settings, settings.tiers)


def tiers_granting(settings: Settings, platform: Platform, chat_id: str) -> dict[str, str]:
    """The tiers (key -> name) whose members may enter `chat_id`; empty when none gates it."""
    if platform is not Platform.TELEGRAM:
        return {}
    return {
        key: tier.name
        for key, tier in settings.tiers.items()
        if chat_id in {str(chat) for chat in tier.telegram_chat_ids}
    }


def may_enter(level: Level, gating_tiers: Mapping[str, str], held_tiers: Set[str]) -> bool:
    """Open chats admit everyone; gated ones admit the members of a gating tier, and the staff
    (creators and up)."""
    return not gating_tiers or level >= Level.CREATOR or bool(held_tiers & gating_tiers.keys())

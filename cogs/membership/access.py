"""The access rule: which members may enter which private chat."""

from __future__ import annotations

from bot.config import Settings
from bot.core.events import Platform
from bot.core.permissions import Level


def tiers_granting(settings: Settings, platform: Platform, chat_id: str) -> list[str]:
    """Names of the tiers whose members may enter `chat_id`; empty when no tier gates it."""
    if platform is not Platform.TELEGRAM:
        return []
    return [
        tier.name
        for tier in settings.tiers.values()
        if chat_id in {str(chat) for chat in tier.telegram_chat_ids}
    ]


def may_enter(level: Level, gating_tiers: list[str]) -> bool:
    """Open chats admit everyone; gated ones admit the staff (creators and up).

    Members of a gating tier will be admitted too once memberships exist (see the membership
    issue); until then a gated chat is staff-only, never open by accident.
    """
    return not gating_tiers or level >= Level.CREATOR

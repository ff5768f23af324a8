"""Membership: who may be in the community's paid places. Tiers, payments and renewals build on
the access rule here."""

from bot.core.commands import Registry
from cogs.membership import commands, handlers, moderation


def register(registry: Registry) -> None:
    commands.register(registry)
    moderation.register(registry)
    handlers.register(registry)


__all__ = ["register"]

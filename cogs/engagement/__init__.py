"""Engagement: contents, the interactions members have with them, and the weekly report."""

from bot.core.commands import Registry
from cogs.engagement import commands, handlers


def register(registry: Registry) -> None:
    handlers.register(registry)
    commands.register(registry)


__all__ = ["register"]

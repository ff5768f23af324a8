"""Engagement: contents, the interactions members have with them, and the weekly report."""

from bot.core.registry import Registry
from cogs.engagement import commands, listeners
from storage.interaction_recorder import InteractionRecorder


def register(registry: Registry, interactions: InteractionRecorder) -> None:
    listeners.register(registry, interactions)
    commands.register(registry)


__all__ = ["register"]

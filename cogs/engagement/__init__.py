"""Engagement: contents, the interactions members have with them, and the weekly report."""

from bot.core.registry import Registry
from cogs.engagement import commands, handlers
from storage.recording import InteractionRecorder


def register(registry: Registry, interactions: InteractionRecorder) -> None:
    handlers.register(registry, interactions)
    commands.register(registry)


__all__ = ["register"]

"""Premium content drops: creators publish to the members of their tiers, now or at a time,
and may sell a drop one-off to anyone."""

from bot.core.registry import Registry
from cogs.drops import authoring, reading


def register(registry: Registry) -> None:
    authoring.register(registry)
    reading.register(registry)


__all__ = ["register"]

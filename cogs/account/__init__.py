"""Your account: help, who you are, your language, linking your platforms together, and the
audit log for moderators."""

from bot.core.registry import Registry
from cogs.account import audit, help, linking, profile


def register(registry: Registry) -> None:
    help.register(registry)
    profile.register(registry)
    linking.register(registry)
    audit.register(registry)


__all__ = ["register"]

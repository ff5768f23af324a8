"""Platform-neutral features. Each cog registers its commands on the shared registry."""

from bot.core.commands import Registry
from cogs import account, membership


def build_registry() -> Registry:
    registry = Registry()
    account.register(registry)
    membership.register(registry)
    return registry

"""Platform-neutral features. Each cog registers its commands on the shared registry."""

from bot.core.commands import Registry
from cogs import account, membership, operations
from payments.purposes import Purposes


def build_purposes() -> Purposes:
    """The cogs that sell something register their purposes here (memberships, Q&A, drops)."""
    return Purposes()


def build_registry() -> Registry:
    registry = Registry()
    account.register(registry)
    membership.register(registry)
    operations.register(registry)
    return registry

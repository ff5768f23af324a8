"""Platform-neutral features. Each cog registers its commands on the shared registry."""

from bot.core.commands import Registry
from cogs import account, engagement, membership, operations, qa
from cogs.membership.purpose import MembershipPurpose
from cogs.qa.purpose import QuestionPurpose
from payments.purposes import Purposes


def build_purposes() -> Purposes:
    """The cogs that sell something register their purposes here (memberships, Q&A, drops)."""
    purposes = Purposes()
    purposes.register(MembershipPurpose())
    purposes.register(QuestionPurpose())
    return purposes


def build_registry() -> Registry:
    registry = Registry()
    account.register(registry)
    membership.register(registry)
    engagement.register(registry)
    qa.register(registry)
    operations.register(registry)
    return registry

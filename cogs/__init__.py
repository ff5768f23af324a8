"""Platform-neutral features. Each cog registers its commands on the shared registry."""

from bot.core.commands import Registry
from cogs import account, drops, engagement, membership, operations, qa, unlocking
from cogs.drops.purpose import DropPurpose
from cogs.membership.purpose import MembershipPurpose
from cogs.qa.purpose import ListenPurpose, QuestionPurpose
from payments.purposes import Purposes
from storage.recording import InteractionRecorder


def build_purposes(interactions: InteractionRecorder | None = None) -> Purposes:
    """The cogs that sell something register their purposes here (memberships, Q&A, drops);
    `interactions` counts what buyers unlock for the weekly report."""
    purposes = Purposes()
    purposes.register(MembershipPurpose())
    purposes.register(QuestionPurpose())
    purposes.register(ListenPurpose(interactions))
    purposes.register(DropPurpose(interactions))
    return purposes


def build_registry() -> Registry:
    registry = Registry()
    account.register(registry)
    membership.register(registry)
    engagement.register(registry)
    qa.register(registry)
    drops.register(registry)
    unlocking.register(registry)
    operations.register(registry)
    return registry

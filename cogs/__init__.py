"""Platform-neutral features. Each cog registers its commands and listeners on the shared
registry, with the services it needs."""

from collections.abc import Mapping

from bot.config import Settings
from bot.core.clock import Clock
from bot.core.registry import Registry
from cogs import account, drops, engagement, membership, operations, qa, unlocking
from cogs.drops.purpose import DropPurpose
from cogs.membership.purpose import MembershipPurpose
from cogs.qa.purpose import ListenPurpose, QuestionPurpose
from cogs.services import Services
from payments.providers.base import PaymentProvider
from payments.purposes import Purposes
from payments.service import PaymentService
from storage.interaction_recorder import InteractionRecorder


def build_purposes(interactions: InteractionRecorder) -> Purposes:
    """The cogs that sell something register their purposes here (memberships, Q&A, drops);
    `interactions` counts what buyers unlock for the weekly report."""
    purposes = Purposes()
    purposes.register(MembershipPurpose())
    purposes.register(QuestionPurpose())
    purposes.register(ListenPurpose(interactions))
    purposes.register(DropPurpose(interactions))
    return purposes


def build_services(
    *,
    settings: Settings,
    clock: Clock,
    providers: Mapping[str, PaymentProvider],
    interactions: InteractionRecorder,
) -> Services:
    """The payment service over `providers`, selling what the cogs sell."""
    payments = PaymentService(
        providers=providers, purposes=build_purposes(interactions), clock=clock, settings=settings
    )
    return Services(payments=payments, interactions=interactions)


def build_registry(services: Services) -> Registry:
    registry = Registry()
    account.register(registry)
    membership.register(registry, services.payments)
    engagement.register(registry, services.interactions)
    qa.register(registry, services)
    drops.register(registry)
    unlocking.register(registry, services.payments)
    operations.register(registry)
    return registry

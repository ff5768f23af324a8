"""Paid Q&A: members pay to ask, the money waits in escrow until an answer is accepted, and
others pay to read good answers."""

from bot.core.registry import Registry
from cogs.qa import answering, asking, experts, listeners, payouts, reading
from cogs.services import Services


def register(registry: Registry, services: Services) -> None:
    asking.register(registry, services.payments)
    answering.register(registry, services)
    reading.register(registry)
    experts.register(registry)
    listeners.register(registry)
    payouts.register(registry)


__all__ = ["register"]

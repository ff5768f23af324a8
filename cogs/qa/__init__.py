"""Paid Q&A: members pay to ask, the money waits in escrow until an answer is accepted, and
others pay to read good answers."""

from bot.core.commands import Registry
from cogs.qa import asking, commands, experts, handlers, payouts, reading


def register(registry: Registry) -> None:
    asking.register(registry)
    commands.register(registry)
    reading.register(registry)
    experts.register(registry)
    handlers.register(registry)
    payouts.register(registry)


__all__ = ["register"]

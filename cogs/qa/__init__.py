"""Paid Q&A: members pay to ask, the money waits in escrow until an answer is accepted, and
others pay to read good answers (issue 8; being built)."""

from bot.core.commands import Registry
from cogs.qa import asking, commands, payouts


def register(registry: Registry) -> None:
    asking.register(registry)
    commands.register(registry)
    payouts.register(registry)


__all__ = ["register"]

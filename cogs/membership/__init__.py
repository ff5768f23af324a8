"""Membership: who may be in the community's paid places. Tiers, payments and renewals build on
the access rule here."""

from bot.core.registry import Registry
from cogs.membership import commands, handlers, moderation
from payments.service import PaymentService


def register(registry: Registry, payments: PaymentService) -> None:
    commands.register(registry, payments)
    moderation.register(registry)
    handlers.register(registry)


__all__ = ["register"]

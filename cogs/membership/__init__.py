"""Membership: who may be in the community's paid places. Tiers, payments and renewals build on
the access rule here."""

from bot.core.registry import Registry
from cogs.membership import joining, listeners, moderation
from payments.service import PaymentService


def register(registry: Registry, payments: PaymentService) -> None:
    joining.register(registry, payments)
    moderation.register(registry)
    listeners.register(registry)


__all__ = ["register"]

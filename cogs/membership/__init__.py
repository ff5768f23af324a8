"""Membership: who may be in the community's paid places. Tiers, payments and renewals build on
the access rule here."""

from cogs.membership.handlers import register

__all__ = ["register"]

"""Your account: help, who you are, your language, and linking your platforms together."""

from cogs.account.handlers import register

__all__ = ["register"]

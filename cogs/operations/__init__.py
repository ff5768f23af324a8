"""Tools for moderators who keep the bot running: the outbox and its dead letters."""

from cogs.operations.commands import register

__all__ = ["register"]

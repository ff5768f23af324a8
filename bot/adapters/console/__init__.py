"""The console: a local community in terminals, for trying knowpay without any platform."""

from bot.adapters.console.client import BotStopped, join
from bot.adapters.console.hub import ConsoleAdapter, KeptMessage, Mailbox
from bot.adapters.console.wire import Hello

__all__ = ["BotStopped", "ConsoleAdapter", "Hello", "KeptMessage", "Mailbox", "join"]

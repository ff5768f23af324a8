"""Platform adapters: the only code that knows Discord, Telegram or a terminal exists."""

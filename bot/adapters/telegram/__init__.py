"""The Telegram adapter (python-telegram-bot): commands from the registry, updates in, effects
out, by long polling or a webhook on knowpay's own web server."""

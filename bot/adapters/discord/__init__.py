"""The Discord adapter (discord.py): slash commands from the registry, events in, effects out."""

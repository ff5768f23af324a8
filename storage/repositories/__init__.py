"""Repositories: the queries each part of the bot needs, behind names that say what they do."""

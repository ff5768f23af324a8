"""Secrets come from the environment only, and never show up in a repr or a log."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

from bot.config.schema import Settings


@dataclass(frozen=True, repr=False)
class Secrets:
    """Secrets from the environment only. ``repr()`` says set/unset, never the values."""

    discord_token: str | None = None
    telegram_token: str | None = None
    stripe_api_key: str | None = None
    stripe_webhook_secret: str | None = None
    database_url: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Secrets:
        def get(name: str) -> str | None:
            value = environ.get(name, "").strip()
            return value or None

        return cls(
            discord_token=get("DISCORD_TOKEN"),
            telegram_token=get("TELEGRAM_TOKEN"),
            stripe_api_key=get("STRIPE_API_KEY"),
            stripe_webhook_secret=get("STRIPE_WEBHOOK_SECRET"),
            database_url=get("DATABASE_URL"),
        )

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{f.name}={'set' if getattr(self, f.name) else 'unset'}" for f in fields(self)
        )
        return f"Secrets({shown})"

    __str__ = __repr__


def normalize_database_url(url: str) -> str:
    """Pick the async drivers: postgres(ql):// -> postgresql+asyncpg://, sqlite -> aiosqlite."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url.removeprefix(prefix)
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url.removeprefix("sqlite://")
    return url


def database_url(settings: Settings, secrets: Secrets) -> str:
    """``DATABASE_URL`` wins over ``[database] url``; normalised to an async driver."""
    return normalize_database_url(secrets.database_url or settings.database.url)

"""Secrets come from the environment only, and never show up in a repr or a log."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

from bot.config.errors import ConfigError
from bot.config.schema import Settings
from storage.engine import check_url, normalize_url


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

    def values(self) -> list[str]:
        """Every secret that is set: what logs must never show."""
        return [value for value in (getattr(self, f.name) for f in fields(self)) if value]

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{f.name}={'set' if getattr(self, f.name) else 'unset'}" for f in fields(self)
        )
        return f"Secrets({shown})"

    __str__ = __repr__


def database_url(settings: Settings, secrets: Secrets) -> str:
    """``DATABASE_URL`` wins over ``[database] url`` (checked with the file); async drivers."""
    if secrets.database_url is None:
        return normalize_url(settings.database.url)
    url = normalize_url(secrets.database_url)
    try:
        check_url(url)
    except ValueError as error:
        raise ConfigError("DATABASE_URL", str(error)) from None
    return url

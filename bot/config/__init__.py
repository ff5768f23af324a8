"""bot.toml schema (pydantic v2), secrets from the environment, one-line config errors.

``load_settings(path)`` returns a frozen ``Settings`` or raises ``ConfigError`` whose ``str()``
is one line naming the file and the dotted key, e.g.
``bot.toml: tiers.member.price: must not be negative (got "-1")``.
Secrets (tokens, API keys) are never read from the file: see ``Secrets.from_env``.
"""

from bot.config.errors import ConfigError
from bot.config.loading import DEFAULT_CONFIG_FILE, config_path, load_settings, settings_from_dict
from bot.config.schema import Settings, Tier
from bot.config.secrets import Secrets, database_url

__all__ = [
    "DEFAULT_CONFIG_FILE",
    "ConfigError",
    "Secrets",
    "Settings",
    "Tier",
    "config_path",
    "database_url",
    "load_settings",
    "settings_from_dict",
]

"""Reading bot.toml: which file, TOML parsing, validation into Settings."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.config.errors import ConfigError, from_validation_error
from bot.config.schema import Settings

DEFAULT_CONFIG_FILE = "bot.toml"


def settings_from_dict(data: Mapping[str, Any], *, source: str = DEFAULT_CONFIG_FILE) -> Settings:
    """Validate already-parsed TOML data; errors name ``source`` as the file."""
    community = data.get("community")
    currency = community.get("currency", "usd") if isinstance(community, Mapping) else "usd"
    context = {"currency": currency.lower() if isinstance(currency, str) else None}
    try:
        return Settings.model_validate(dict(data), context=context)
    except ValidationError as exc:
        raise from_validation_error(source, exc) from None


_TOML_AT = re.compile(r"(?P<msg>.*) \(at line (?P<line>\d+), column (?P<col>\d+)\)", re.DOTALL)
_TOML_END = re.compile(r"(?P<msg>.*) \(at end of document\)", re.DOTALL)


def _toml_error(source: str, exc: tomllib.TOMLDecodeError) -> ConfigError:
    text = str(exc)
    if match := _TOML_AT.fullmatch(text):
        where = f"line {match['line']}, column {match['col']}"
        return ConfigError(source, f"invalid TOML ({match['msg']})", key=where)
    if match := _TOML_END.fullmatch(text):
        return ConfigError(source, f"invalid TOML ({match['msg']})", key="end of file")
    return ConfigError(source, f"invalid TOML ({text})")


def load_settings(path: Path) -> Settings:
    """Read and validate a bot.toml; any problem raises a one-line ``ConfigError``."""
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError(source, "file not found") from None
    except IsADirectoryError:
        raise ConfigError(source, "is a directory, not a file") from None
    except PermissionError:
        raise ConfigError(source, "permission denied") from None
    except OSError as exc:
        raise ConfigError(source, f"cannot read the file ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            source, "not UTF-8 text (save the file as UTF-8)", key=f"line {line}"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(source, exc) from None
    return settings_from_dict(data, source=source)


def config_path(cli_value: str | None, environ: Mapping[str, str] = os.environ) -> Path:
    """The config file: ``--config`` if given, else ``$KNOWPAY_CONFIG``, else ``bot.toml``."""
    if cli_value:
        return Path(cli_value)
    return Path(environ.get("KNOWPAY_CONFIG") or DEFAULT_CONFIG_FILE)

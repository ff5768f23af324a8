"""One-line config errors: `<file>: <dotted.key>: <what is wrong>`."""

from __future__ import annotations

from pydantic import ValidationError
from pydantic_core import ErrorDetails


class ConfigError(Exception):
    """A bad or unreadable config file; ``str()`` is one line: ``<file>: <key>: <problem>``."""

    def __init__(self, file: str, problem: str, *, key: str | None = None, more: int = 0) -> None:
        self.file = file
        self.key = key
        self.problem = problem
        self.more = more
        parts = [file, key, problem] if key else [file, problem]
        line = ": ".join(parts)
        if more:
            line += f" (and {more} more problem{'s' if more != 1 else ''})"
        super().__init__(" ".join(line.splitlines()))

    def __str__(self) -> str:
        return str(self.args[0])


class KeyedValueError(ValueError):
    """A validation problem located at ``key`` below the validator's own location."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


_SECRET_WORDS = ("token", "secret", "password", "passwd", "api_key", "apikey", "private_key")


def _secret_env_var(section: str | None, key: str) -> str:
    if section == "telegram":
        return "TELEGRAM_TOKEN"
    if section == "stripe":
        return "STRIPE_WEBHOOK_SECRET" if "webhook" in key else "STRIPE_API_KEY"
    if section == "database":
        return "DATABASE_URL"
    return "DISCORD_TOKEN"


def _dotted(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def _describe(error: ErrorDetails) -> tuple[str, str]:
    """(dotted key, problem) for one pydantic error."""
    loc = tuple(error["loc"])
    kind = error["type"]
    problem = error["msg"]
    if kind == "extra_forbidden":
        name = str(loc[-1]).lower() if loc else ""
        if any(word in name for word in _SECRET_WORDS):
            section = str(loc[0]) if len(loc) > 1 else None
            env = _secret_env_var(section, name)
            problem = (
                f"secrets are read from the environment only (e.g. {env}), not from the config file"
            )
        else:
            problem = "unknown key"
    elif kind == "missing":
        problem = "required key is missing"
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        problem = "must be a table (a [section] or { key = value, ... })"
    elif kind == "value_error":
        exc = (error.get("ctx") or {}).get("error")
        if isinstance(exc, KeyedValueError):
            loc = (*loc, *exc.key.split("."))
            problem = exc.problem
        elif exc is not None:
            problem = str(exc)
        else:
            problem = problem.removeprefix("Value error, ")
    return _dotted(loc), problem


def from_validation_error(file: str, exc: ValidationError) -> ConfigError:
    errors = exc.errors()
    key, problem = _describe(errors[0])
    return ConfigError(file, problem, key=key or None, more=len(errors) - 1)

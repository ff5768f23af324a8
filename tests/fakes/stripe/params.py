"""Requests checked as Stripe checks them: the error an endpoint raises to answer with, the
invalid_request_error variants (missing, unknown, not modelled by the fake, no such object), and
the parameter checks every endpoint uses (known names, exclusive pairs, metadata, types)."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any

from tests.fakes.stripe import wire
from tests.fakes.stripe.wire import JSON


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        error_type: str,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
        saved: bool = True,  # False: failed before the endpoint ran; not idempotency-saved
        **extra: Any,
    ) -> None:
        super().__init__(status, message)
        self.status = status
        self.message = message
        self.body = wire.error(error_type, message, code=code, param=param, **extra)
        self.headers = dict(headers or {})
        self.saved = saved


def invalid(message: str, param: str | None = None, code: str | None = None) -> ApiError:
    return ApiError(400, "invalid_request_error", message, code=code, param=param, saved=False)


def missing(param: str) -> ApiError:
    return invalid(f"Missing required param: {param}.", param, "parameter_missing")


def unknown(param: str) -> ApiError:
    return invalid(
        f"Received unknown parameter: {param}. Did you mean to pass it in metadata?",
        param,
        "parameter_unknown",
    )


def unmodelled(what: str) -> ApiError:
    return invalid(f"fake Stripe does not model {what}; extend tests/fakes/stripe/")


def no_such(kind: str, object_id: str, param: str, *, status: int = 404) -> ApiError:
    return ApiError(
        status,
        "invalid_request_error",
        f"No such {kind}: '{object_id}'",
        code="resource_missing",
        param=param,
        saved=status != 400,
    )


def names(text: str) -> frozenset[str]:
    return frozenset(text.split())


def check_known(params: Mapping[str, Any], known: Iterable[str], prefix: str = "") -> None:
    allowed = set(known)
    for name in params:
        if name not in allowed:
            raise unknown(f"{prefix}[{name}]" if prefix else name)


def exclusive(params: Mapping[str, Any], first: str, second: str, *, prefix: str = "") -> None:
    if first in params and second in params:
        names = (f"{prefix}[{first}]", f"{prefix}[{second}]") if prefix else (first, second)
        raise invalid(f"You may only specify one of these parameters: {', '.join(names)}.")


def check_metadata(value: Any, param: str) -> None:
    if value is None:
        return
    metadata = as_dict(value, param)
    if len(metadata) > 50:
        raise invalid("Metadata can have at most 50 keys.", param)
    for key, item in metadata.items():
        if not isinstance(item, str):
            raise invalid(f"Invalid string: {item!r}", f"{param}[{key}]")
        if len(key) > 40:
            raise invalid("Metadata keys can be at most 40 characters long.", f"{param}[{key}]")
        if len(item) > 500:
            raise invalid("Metadata values can be at most 500 characters long.", f"{param}[{key}]")


def as_int(value: Any, param: str) -> int:
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise invalid(f"Invalid integer: {value}", param, "parameter_invalid_integer")


def as_bool(value: Any, param: str) -> bool:
    if value in ("true", True):
        return True
    if value in ("false", False):
        return False
    raise invalid(f"Invalid boolean: {value}", param)


def as_dict(value: Any, param: str) -> JSON:
    if not isinstance(value, dict):
        raise invalid(f"Invalid object: {param} must be a hash", param)
    return value


def as_list(value: Any, param: str) -> list[Any]:
    if isinstance(value, list):
        return value
    raise invalid("Invalid array", param)


def is_url(value: Any) -> bool:
    parsed = urllib.parse.urlparse(str(value))
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)

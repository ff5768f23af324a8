"""Interactions as Discord API v10 shapes them: INTERACTION_CREATE, option values checked the
way Discord's client checks them, and the message components of buttons and modals."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from tests.fakes.discord.wire import ATTACHMENT_SIZE_LIMIT, JSON


def interaction(
    *,
    interaction_id: int,
    kind: int,
    application_id: int,
    channel: JSON,
    data: JSON,
    token: str,
    locale: str,
    app_permissions: int,
    user: JSON,
    member: JSON | None,
    permissions: int,
    message: JSON | None,
) -> JSON:
    """INTERACTION_CREATE. In a guild the invoker is `member` (with `permissions`); in a DM it
    is `user`. discord.py indexes `attachment_size_limit` and `version` without defaults."""
    payload: JSON = {
        "id": str(interaction_id),
        "application_id": str(application_id),
        "type": kind,
        "data": data,
        "channel_id": channel["id"],
        "token": token,
        "version": 1,
        "app_permissions": str(app_permissions),
        "locale": locale,
        "entitlements": [],
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
    }
    if message is not None:
        payload["message"] = message
    if member is None:  # a DM with the bot
        return {**payload, "channel": channel, "user": user, "context": 1}
    guild_id = channel["guild_id"]
    return {
        **payload,
        "guild": {"id": guild_id, "locale": "en-US", "features": []},
        "guild_id": guild_id,
        "guild_locale": "en-US",
        "channel": {**channel, "permissions": str(permissions)},
        "member": {**member, "permissions": str(permissions)},
        "authorizing_integration_owners": {"0": guild_id},
        "context": 0,
    }


def scalar_option(option: JSON, raw: Any) -> Any:
    """A STRING/INTEGER/BOOLEAN/NUMBER value coerced to the declared type and checked the way
    Discord's own client checks input (bounds, choices) before it sends the interaction."""
    kind, name = option["type"], option["name"]
    value: Any
    if kind == 3:
        value = str(raw)
        if not option.get("min_length", 0) <= len(value) <= option.get("max_length", 6000):
            raise ValueError(f"{name}: length outside the declared bounds")
    elif kind in (4, 10):
        value = int(raw) if kind == 4 else float(raw)
        if not option.get("min_value", -math.inf) <= value <= option.get("max_value", math.inf):
            raise ValueError(f"{name}: {value} outside the declared bounds")
    elif kind == 5:
        value = bool(raw)
    else:
        raise ValueError(f"{name}: cannot give {raw!r} for an option of type {kind}")
    choices = [c["value"] for c in option.get("choices") or []]
    if choices and value not in choices:
        raise ValueError(f"{name}: {value!r} is not one of the choices {choices}")
    return value


def walk(components: Sequence[JSON]) -> list[JSON]:
    """Every component, depth first (action rows, labels, sections, containers)."""
    found: list[JSON] = []
    for component in components:
        found.append(component)
        nested = list(component.get("components", []))
        nested += [component[k] for k in ("component", "accessory") if k in component]
        found.extend(walk(nested))
    return found


def find_component(components: Sequence[JSON], custom_id: str) -> JSON | None:
    return next((c for c in walk(components) if c.get("custom_id") == custom_id), None)


def modal_submission(components: Sequence[JSON], values: Mapping[str, str]) -> list[JSON]:
    """A MODAL_SUBMIT mirrors the modal's layout: action rows (type 1) or labels (type 18)
    around text inputs (type 4), each with its `value`; discord.py walks both layouts."""
    out: list[JSON] = []
    for component in components:
        if component["type"] == 1:
            out.append({"type": 1, "components": modal_submission(component["components"], values)})
        elif component["type"] == 18:
            inner = modal_submission([component["component"]], values)
            if inner:
                out.append({"type": 18, "id": component.get("id", 0), "component": inner[0]})
        elif component["type"] == 4:
            custom_id, value = component["custom_id"], values.get(component["custom_id"], "")
            if component.get("required", True) and not value:
                raise ValueError(f"text input {custom_id!r} is required")
            if (
                not component.get("min_length", 0)
                <= len(value)
                <= component.get("max_length", 4000)
            ):
                raise ValueError(f"text input {custom_id!r}: length out of bounds")
            out.append(
                {"type": 4, "id": component.get("id", 0), "custom_id": custom_id, "value": value}
            )
    return out

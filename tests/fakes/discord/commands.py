"""Application commands: the bot syncs them (ids survive re-syncs), and users run them - a slash
command with its options resolved as Discord resolves them, or autocomplete while typing."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tests.fakes.discord import guild_payloads, interaction_payloads, wire
from tests.fakes.discord.interactions import InteractionResult, Interactions
from tests.fakes.discord.state import ApiError, RecordedCall, Route
from tests.fakes.discord.wire import JSON

ATTACHMENT_OPTION = 11  # application command option type for a file


class Commands(Interactions):
    """Synced application commands, and users invoking them."""

    def _routes(self) -> list[Route]:
        return [
            *super()._routes(),
            (
                "GET PUT",
                r"/applications/(\d+)(?:/guilds/(\d+))?/commands",
                self._commands,
                True,
            ),
        ]

    async def invoke_slash(
        self,
        user_id: int,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        locale: str = "en-US",
        channel: str = "general",
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> InteractionResult:
        """Run a synced command ("name" or "group sub") as `user_id` typed it in `channel`."""
        root, *path = name.split()
        scope, command = self._find_command(root)
        declared: list[JSON] = command.get("options", [])
        resolved: JSON = {}
        wrappers: list[tuple[str, int]] = []
        for part in path:  # descend into subcommand groups and subcommands
            option = next((o for o in declared if o["name"] == part and o["type"] in (1, 2)), None)
            if option is None:
                raise LookupError(f"/{root} has no subcommand {part!r}")
            wrappers.append((part, option["type"]))
            declared = option.get("options", [])
        built = self._options(declared, options or {}, resolved)
        for part, kind in reversed(wrappers):
            built = [{"name": part, "type": kind, "options": built}]
        data: JSON = {"id": command["id"], "name": root, "type": 1, "options": built}
        if scope is not None:  # discord.py looks guild commands up by data.guild_id
            data["guild_id"] = str(scope)
        if resolved:
            data["resolved"] = resolved
        payload = self._interaction(2, user_id, self.channels[channel], locale, data)
        return await self._run(payload, user_id, self.channels[channel], None, timeout)

    async def autocomplete(
        self,
        user_id: int,
        name: str,
        focused: str,
        typed: str,
        *,
        locale: str = "en-US",
        channel: str = "general",
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> InteractionResult:
        """`user_id` is typing `typed` into option `focused` of /name ("name" or "group sub"):
        ask for suggestions."""
        root, *path = name.split()
        scope, command = self._find_command(root)
        declared_list: list[JSON] = command.get("options", [])
        for part in path:
            sub = next(
                (o for o in declared_list if o["name"] == part and o["type"] in (1, 2)), None
            )
            if sub is None:
                raise LookupError(f"/{root} has no subcommand {part!r}")
            declared_list = sub.get("options", [])
        declared = {o["name"]: o for o in declared_list}
        option = declared.get(focused)
        if option is None or not option.get("autocomplete"):
            raise LookupError(f"/{name} option {focused!r} does not autocomplete")
        # Discord sends what is typed so far as text, marked focused, whatever the option type.
        built = [{"name": focused, "type": option["type"], "value": typed, "focused": True}]
        for part in reversed(path):
            built = [{"name": part, "type": 1, "options": built}]
        data: JSON = {"id": command["id"], "name": root, "type": 1, "options": built}
        if scope is not None:
            data["guild_id"] = str(scope)
        payload = self._interaction(4, user_id, self.channels[channel], locale, data)
        return await self._run(payload, user_id, self.channels[channel], None, timeout)

    def _find_command(self, name: str) -> tuple[int | None, JSON]:
        for scope in (self.guild_id, None):
            for command in self.commands_by_scope.get(scope, []):
                if command["name"] == name and command.get("type", 1) == 1:
                    return scope, command
        raise LookupError(
            f"/{name} was never synced (PUT .../commands); Discord would not offer it"
        )

    def _options(
        self, declared: list[JSON], values: Mapping[str, Any], resolved: JSON
    ) -> list[JSON]:
        by_name = {o["name"]: o for o in declared}
        if unknown := set(values) - set(by_name):
            raise ValueError(f"unknown options {sorted(unknown)}; declared: {sorted(by_name)}")
        built = []
        for option in declared:
            if option["name"] not in values:
                if option.get("required"):
                    raise ValueError(f"required option {option['name']!r} missing")
                continue
            value = self._option_value(option, values[option["name"]], resolved)
            built.append({"name": option["name"], "type": option["type"], "value": value})
        return built

    def _option_value(self, option: JSON, raw: Any, resolved: JSON) -> Any:
        """Snowflake options carry their objects in `resolved`, as Discord sends them."""
        kind = option["type"]
        if kind == ATTACHMENT_OPTION:
            uploaded = self._uploaded.get(str(raw))
            if uploaded is None:
                raise ValueError(f"{option['name']}: no uploaded file {raw!r} (fake.upload first)")
            resolved.setdefault("attachments", {})[str(raw)] = uploaded
            return str(raw)
        if kind not in (6, 7, 8, 9):
            return interaction_payloads.scalar_option(option, raw)
        key = str(int(raw))
        if kind in (6, 9) and int(raw) in self._users:
            resolved.setdefault("users", {})[key] = self._users[int(raw)]
            if int(raw) in self._members:
                member = guild_payloads.without_user(self._members[int(raw)])
                member["permissions"] = str(self._permissions(int(raw)))
                resolved.setdefault("members", {})[key] = member
        elif kind in (8, 9) and int(raw) in self._roles:
            resolved.setdefault("roles", {})[key] = self._roles[int(raw)]
        elif kind == 7 and int(raw) in self._channels:
            channel = {**self._channels[int(raw)], "permissions": str(wire.ALL_PERMISSIONS)}
            resolved.setdefault("channels", {})[key] = channel
        else:
            raise ValueError(f"{option['name']}: no user/role/channel {raw!r} (type {kind})")
        return key

    async def _commands(self, call: RecordedCall, m: re.Match[str]) -> tuple[int, Any]:
        if int(m[1]) != self.application_id:
            raise ApiError(403, 50001)
        scope = int(m[2]) if m[2] else None
        if scope not in (None, self.guild_id):
            raise ApiError(403, 50001)  # the bot is not in that guild
        if call.method == "GET":
            return 200, self.commands_by_scope.get(scope, [])
        previous = {(c["name"], c["type"]): c for c in self.commands_by_scope.get(scope, [])}
        synced = []
        for command in call.json or []:
            kind = command.get("type", 1)
            name, description = command.get("name", ""), command.get("description", "")
            if kind == 1 and not (re.fullmatch(r"[-_\w]{1,32}", name) and name == name.lower()):
                raise ApiError(400, 50035, f"Invalid Form Body: command name {name!r}")
            if kind == 1 and not 1 <= len(description) <= 100:
                raise ApiError(400, 50035, f"Invalid Form Body: description of /{name}")
            if kind == 1:
                _check_localizations(command, f"/{name}")
                _check_options(command.get("options", []), f"/{name}", depth=0)
            old = previous.get((name, kind))
            synced.append(
                {
                    "nsfw": False,
                    "default_member_permissions": None,
                    "integration_types": [0],
                    **command,
                    "id": old["id"] if old else str(self._snowflake()),  # ids survive re-syncs
                    "application_id": str(self.application_id),
                    "version": str(self._snowflake()),
                    "type": kind,
                    "description": description,
                    **({"guild_id": str(scope)} if scope else {}),
                }
            )
        if len({(c["name"], c["type"]) for c in synced}) != len(synced):
            raise ApiError(400, 50035, "Invalid Form Body: duplicate command names")
        self.commands_by_scope[scope] = self.synced_commands = synced
        return 200, synced


_NAME = re.compile(r"^[-_\w]{1,32}$")
# Discord's option types: SUB_COMMAND 1, SUB_COMMAND_GROUP 2, STRING 3, INTEGER 4, BOOLEAN 5,
# USER 6, CHANNEL 7, ROLE 8, MENTIONABLE 9, NUMBER 10, ATTACHMENT 11.
_VALUE_TYPES = {3, 4, 5, 6, 7, 8, 9, 10, 11}


def _check_name(name: str, where: str) -> None:
    if not (_NAME.fullmatch(name) and name == name.lower()):
        raise ApiError(400, 50035, f"Invalid Form Body: name {name!r} of {where}")


def _check_localizations(thing: JSON, where: str) -> None:
    """What Discord refuses in localized names and descriptions."""
    for locale, name in (thing.get("name_localizations") or {}).items():
        if locale not in wire.LOCALES:
            raise ApiError(400, 50035, f"Invalid Form Body: locale {locale!r} of {where}")
        if thing.get("type", 1) in (1, 2, *_VALUE_TYPES) and "value" not in thing:
            _check_name(name, f"{where} ({locale})")
    for locale, text in (thing.get("description_localizations") or {}).items():
        if locale not in wire.LOCALES or not 1 <= len(text) <= 100:
            raise ApiError(400, 50035, f"Invalid Form Body: description ({locale}) of {where}")


def _check_options(options: list[JSON], where: str, *, depth: int) -> None:
    """Discord's rules for a command's options: at most 25, named as commands are, described
    in 1 to 100 characters, required ones first, choices at most 25 and never with
    autocomplete, bounds only on numbers, subcommands only at the top (or in a group)."""
    if len(options) > 25:
        raise ApiError(400, 50035, f"Invalid Form Body: more than 25 options in {where}")
    seen_optional = False
    for option in options:
        name, kind = option.get("name", ""), option.get("type")
        here = f"{where} {name}"
        _check_name(name, here)
        if not 1 <= len(option.get("description", "")) <= 100:
            raise ApiError(400, 50035, f"Invalid Form Body: description of {here}")
        _check_localizations(option, here)
        if kind in (1, 2):
            if depth > (0 if kind == 2 else 1):
                raise ApiError(400, 50035, f"Invalid Form Body: {here} nests too deep")
            _check_options(option.get("options", []), here, depth=depth + 1)
            continue
        if kind not in _VALUE_TYPES:
            raise ApiError(400, 50035, f"Invalid Form Body: type {kind!r} of {here}")
        required = bool(option.get("required"))
        if required and seen_optional:
            raise ApiError(400, 50035, f"Invalid Form Body: {here} is required after optionals")
        seen_optional |= not required
        choices = option.get("choices") or []
        if len(choices) > 25 or (choices and option.get("autocomplete")):
            raise ApiError(400, 50035, f"Invalid Form Body: choices of {here}")
        for choice in choices:
            if not 1 <= len(choice.get("name", "")) <= 100:
                raise ApiError(400, 50035, f"Invalid Form Body: a choice of {here}")
        if ("min_value" in option or "max_value" in option) and kind not in (4, 10):
            raise ApiError(400, 50035, f"Invalid Form Body: bounds on {here}")

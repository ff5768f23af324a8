"""Commands are declared once, as data, and every adapter builds its own UI from them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from bot.core.i18n import N_
from bot.core.permissions import Level
from bot.core.text import clean

if TYPE_CHECKING:
    from bot.core.context import Context
    from bot.core.effects import Effect
    from bot.core.events import Attachment
    from storage.models import Member


class ParamKind(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    CHOICE = "choice"
    # Someone in the community: `@name`, a Discord mention `<@123>`, or `#<member id>`.
    MEMBER = "member"
    # A file sent with the command (a Discord attachment option, a Telegram document): never
    # typed, so text arguments skip it; it reaches the handler as an Attachment.
    ATTACHMENT = "attachment"


# Offers values for a parameter while the member is still typing it (Discord autocomplete).
Suggester = Callable[["Context", str], Awaitable[list[str]]]


@dataclass(frozen=True)
class Param:
    name: str
    description: str  # a message id, marked with N_()
    kind: ParamKind = ParamKind.TEXT
    required: bool = True
    choices: tuple[str, ...] = ()
    # Takes the rest of the line, spaces included (question text, reasons).
    rest: bool = False
    # Long text (a question, a drop's body): platforms with forms ask for it in one (a Discord
    # modal) when the command is run without it.
    long: bool = False
    # Ask for the long text in a form only when the command's first argument is one of these
    # (`/drop new` takes a body, `/drop list` does not); empty: always.
    form_when: tuple[str, ...] = ()
    suggest: Suggester | None = None

    def __post_init__(self) -> None:
        # Only CHOICE params are checked against their choices and shown as a list on Discord.
        if (self.kind is ParamKind.CHOICE) != bool(self.choices):
            raise ValueError(f"param {self.name}: choices go with kind=ParamKind.CHOICE")

    def usage(self) -> str:
        label = "|".join(self.choices) if self.choices else self.name
        return f"<{label}>" if self.required else f"[{label}]"


@dataclass(frozen=True)
class Args:
    """A command's arguments after parsing, with members already looked up."""

    values: Mapping[str, str] = field(default_factory=dict)
    members: Mapping[str, Member] = field(default_factory=dict)
    attachments: Mapping[str, Attachment] = field(default_factory=dict)

    def text(self, name: str) -> str | None:
        return self.values.get(name)

    def integer(self, name: str) -> int | None:
        value = self.values.get(name)
        return None if value is None else int(value)

    def member(self, name: str) -> Member | None:
        return self.members.get(name)

    def attachment(self, name: str) -> Attachment | None:
        return self.attachments.get(name)


Handler = Callable[["Context", Args], Awaitable[list["Effect"]]]


@dataclass(frozen=True)
class CommandSpec:
    name: str
    description: str  # a message id, marked with N_()
    handler: Handler
    params: tuple[Param, ...] = ()
    level: Level = Level.MEMBER
    ephemeral: bool = False

    def usage(self) -> str:
        return " ".join([f"/{self.name}", *(p.usage() for p in self.params)])


class ArgumentError(Exception):
    """A user typed arguments that do not fit the command; `message` is an untranslated id."""

    def __init__(self, message: str, **values: str) -> None:
        super().__init__(message)
        self.message = message
        self.values = values


def split_command(text: str) -> tuple[str, str] | None:
    """`/link@knowpay_bot ABC` -> ("link", "ABC"); None when the text is not a command."""
    stripped = clean(text).strip()
    if not stripped.startswith("/"):
        return None
    head, _, rest = stripped[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    return name, rest.strip()


def attachment_param(spec: CommandSpec) -> Param | None:
    """The parameter a file sent with the command fills (one file per message on Telegram)."""
    return next((p for p in spec.params if p.kind is ParamKind.ATTACHMENT), None)


def parse_arguments(
    spec: CommandSpec, event_arguments: str, options: Mapping[str, str] | None
) -> dict[str, str]:
    """Check arguments against the spec and return them by parameter name (members unresolved)."""
    values = dict(options) if options is not None else _split_text(spec, event_arguments)
    for param in spec.params:
        if param.kind is ParamKind.ATTACHMENT:
            continue  # files come apart from the typed arguments (CommandEvent.attachments)
        value = values.get(param.name)
        if value is None or value == "":
            values.pop(param.name, None)
            if param.required:
                raise ArgumentError(N_("Missing <{param}>."), param=param.name)
            continue
        if param.kind is ParamKind.CHOICE and value not in param.choices:
            raise ArgumentError(
                N_("“{value}” is not one of: {choices}."),
                value=value,
                choices=", ".join(param.choices),
            )
        if param.kind is ParamKind.INTEGER and not _is_integer(value):
            raise ArgumentError(N_("<{param}> must be a whole number."), param=param.name)
    unknown = set(values) - {p.name for p in spec.params}
    if unknown:
        raise ArgumentError(N_("Too many arguments."))
    return values


def missing_long_text(
    spec: CommandSpec, arguments: str, options: Mapping[str, str] | None
) -> list[Param]:
    """The long-text params a command was run without: adapters ask for them in a form (a
    Discord modal) or a reply prompt (Telegram) instead of refusing the command."""
    given = dict(options) if options is not None else _split_text(spec, arguments)
    first = given.get(spec.params[0].name) if spec.params else None
    return [
        param
        for param in spec.params
        if param.long
        and not given.get(param.name)
        and (not param.form_when or first in param.form_when)
    ]


def long_text_length(spec: CommandSpec, arguments: str, options: Mapping[str, str] | None) -> int:
    """How many of the characters typed are long text (a question, a drop's body): those have
    a limit of their own."""
    given = dict(options) if options is not None else _split_text(spec, arguments)
    return sum(len(given.get(param.name, "")) for param in spec.params if param.long)


def _split_text(spec: CommandSpec, text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    remaining = text.strip()
    for param in spec.params:
        if param.kind is ParamKind.ATTACHMENT:
            continue
        if not remaining:
            break
        if param.rest:
            values[param.name] = remaining
            remaining = ""
            break
        # Any blank ends a word: a line break too, before the long text typed on later lines.
        word, *rest = remaining.split(maxsplit=1)
        values[param.name] = word
        remaining = rest[0] if rest else ""
    if remaining:
        values["\0extra"] = remaining
    return values


def _is_integer(value: str) -> bool:
    return value.lstrip("-").isdigit() and len(value) <= 18

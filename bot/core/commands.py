"""The command language: commands are declared once, as data, with typed parameters and
subcommands; every adapter builds its own interface from the declarations, and one parser
reads what people type (bot/core/parsing.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar

from bot.core.effects import Button
from bot.core.events import Attachment
from bot.core.money import Money
from bot.core.permissions import Level
from bot.core.values import DROP, QUESTION, Duration, Label
from storage.models import Member

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.core.context import Context
    from bot.core.effects import Effect


class ParamKind(StrEnum):
    TEXT = "text"
    # A whole number, within `minimum` and `maximum` when they are set.
    INTEGER = "integer"
    # One of `choices`.
    CHOICE = "choice"
    # Someone in the community: `@name`, a Discord mention `<@123>`, or `#<member id>`.
    MEMBER = "member"
    # An amount: `25`, `25.50`, `25 usd`, `¥25`; the community currency unless another is named.
    MONEY = "money"
    # A length of time: `30d`, `2w`, `1y`, `lifetime`.
    DURATION = "duration"
    # A point in time, in the community's time zone: `tomorrow 20:00`, `fri 18:30`, `in 2h`.
    WHEN = "when"
    # A tier of bot.toml, by its key (several, comma-separated, when `many`).
    TIER = "tier"
    # A drop (`D7`) or a paid question (`12`), of the kinds in `labels`.
    LABEL = "label"
    # A file sent with the command (a Discord attachment option, a Telegram document): never
    # typed, so text arguments skip it; it reaches the handler as an Attachment.
    ATTACHMENT = "attachment"


# Offers values for a parameter while the member is still typing it (Discord autocomplete),
# and as buttons when a text platform asks for it.
Suggester = Callable[["Context", str], Awaitable[list[str]]]
# Reads a TEXT parameter of a cog's own kind (an ISO week) given the settings and the time
# now; raises Unreadable for what does not read.
Reader = Callable[[str, "Settings", datetime], object]

# Shown where a parameter declares no example of its own.
EXAMPLES = {
    ParamKind.INTEGER: "12",
    ParamKind.MEMBER: "@name",
    ParamKind.MONEY: "25",
    ParamKind.DURATION: "30d",
    ParamKind.WHEN: "tomorrow 20:00",
}


@dataclass(frozen=True)
class Param:
    name: str  # what the option is called everywhere (typed as `name:value` when keyword)
    description: str  # a message id, marked with N_()
    kind: ParamKind = ParamKind.TEXT
    required: bool = True
    choices: tuple[str, ...] = ()
    # Given by name on text platforms (`price:25`, `reason:"paid by transfer"`), anywhere in
    # the line; all others are given in their declared order.
    keyword: bool = False
    # Takes the rest of the line, spaces included (a question, a reason).
    rest: bool = False
    # Long text (a question, a drop's body): asked for in a form (a Discord modal), by a reply
    # (Telegram) or over several lines (console) when the command comes without it.
    long: bool = False
    # The long text starts on the line after the command and its options (a drop's title and
    # body), so nothing left on the first line is taken for it.
    own_line: bool = False
    minimum: int | None = None
    maximum: int | None = None
    # TIER: one or more, comma-separated (`member,pro`).
    many: bool = False
    # LABEL: which contents it names.
    labels: tuple[str, ...] = ()
    # MONEY: any currency (a transfer booked by hand), not only the community's.
    any_currency: bool = False
    example: str = ""
    suggest: Suggester | None = None
    reader: Reader | None = None

    def __post_init__(self) -> None:
        # Only CHOICE params are checked against their choices and shown as a list on Discord.
        if (self.kind is ParamKind.CHOICE) != bool(self.choices):
            raise ValueError(f"param {self.name}: choices go with kind=ParamKind.CHOICE")
        if (self.kind is ParamKind.LABEL) != bool(self.labels):
            raise ValueError(f"param {self.name}: labels go with kind=ParamKind.LABEL")
        if not set(self.labels) <= {DROP, QUESTION}:
            raise ValueError(f"param {self.name}: labels are {DROP} or {QUESTION}")
        if self.own_line and not (self.long and self.rest):
            raise ValueError(f"param {self.name}: own_line is for a long text that takes the rest")
        if self.keyword and self.kind is ParamKind.ATTACHMENT:
            raise ValueError(f"param {self.name}: a file is never typed")
        if self.reader is not None and self.kind is not ParamKind.TEXT:
            raise ValueError(f"param {self.name}: a reader reads a TEXT parameter")

    @property
    def typed(self) -> bool:
        """Typed in a text line (a file comes apart from the text)."""
        return self.kind is not ParamKind.ATTACHMENT

    def sample(self) -> str:
        """A value of this parameter, for usage lines and refusals."""
        if self.example:
            return self.example
        if self.choices:
            return self.choices[0]
        if self.kind is ParamKind.LABEL:
            return "D7" if DROP in self.labels else "12"
        return EXAMPLES.get(self.kind, self.name)

    def usage(self) -> str:
        if self.keyword:
            shown = f"{self.name}:{self.sample()}"
        elif self.choices:
            shown = "|".join(self.choices)
        elif self.kind is ParamKind.MEMBER:
            shown = f"@{self.name}"  # typed as a mention: @name, #12
        else:
            shown = self.name
        return f"<{shown}>" if self.required else f"[{shown}]"


Handler = Callable[["Context", "Args"], Awaitable[list["Effect"]]]


@dataclass(frozen=True)
class CommandSpec:
    """A command: its parameters and handler, or its subcommands (`/drop new`, `/drop list`)."""

    name: str
    description: str  # a message id, marked with N_()
    handler: Handler | None = None
    params: tuple[Param, ...] = ()
    subcommands: tuple[CommandSpec, ...] = ()
    level: Level = Level.MEMBER
    ephemeral: bool = False
    # Whole lines, shown by /help: "/grant @grace pro 30d paid:300cny ref:TX-7".
    examples: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if (self.handler is None) == (not self.subcommands):
            raise ValueError(f"/{self.name}: a handler, or subcommands, exactly one of them")
        if self.subcommands and self.params:
            raise ValueError(f"/{self.name}: the subcommands take the parameters")
        if any(sub.subcommands for sub in self.subcommands):
            raise ValueError(f"/{self.name}: subcommands do not nest")
        if any(sub.level < self.level for sub in self.subcommands):
            raise ValueError(f"/{self.name}: a subcommand is for its command's level or above")
        names = [p.name for p in self.params]
        if len(names) != len(set(names)):
            raise ValueError(f"/{self.name}: two parameters share a name")
        positional = [p for p in self.params if p.typed and not p.keyword]
        if any(p.rest for p in positional[:-1]):
            raise ValueError(f"/{self.name}: only the last parameter may take the rest of the line")
        seen_optional = False
        for param in positional:
            if param.required and seen_optional and not param.long:
                raise ValueError(f"/{self.name}: a required parameter after an optional one")
            seen_optional |= not param.required

    def subcommand(self, name: str) -> CommandSpec | None:
        return next((sub for sub in self.subcommands if sub.name == name), None)

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def usage(self, path: str | None = None) -> str:
        """`/grant <member> <tier> [duration] [paid:25]`; a text on its own line below."""
        head = [f"/{path or self.name}"]
        below: list[str] = []
        for param in self.params:
            (below if param.own_line else head).append(param.usage())
        line = " ".join(head)
        return "\n".join([line, *(f"  {shown}" for shown in below)])


T = TypeVar("T")


@dataclass(frozen=True)
class Args:
    """A command's arguments, read and checked: typed values by parameter name."""

    values: Mapping[str, object] = field(default_factory=dict)

    def get(self, name: str, kind: type[T]) -> T | None:
        """The value of `name`, of a cog's own kind (read by a Param's reader)."""
        value = self.values.get(name)
        if value is None:
            return None
        if not isinstance(value, kind):
            raise TypeError(f"argument {name} is a {type(value).__name__}, not a {kind.__name__}")
        return value

    def text(self, name: str) -> str | None:
        return self.get(name, str)

    def choice(self, name: str) -> str | None:
        return self.get(name, str)

    def integer(self, name: str) -> int | None:
        return self.get(name, int)

    def member(self, name: str) -> Member | None:
        return self.get(name, Member)

    def money(self, name: str) -> Money | None:
        return self.get(name, Money)

    def duration(self, name: str) -> Duration | None:
        return self.get(name, Duration)

    def when(self, name: str) -> datetime | None:
        return self.get(name, datetime)

    def tier(self, name: str) -> str | None:
        return self.get(name, str)

    def tiers(self, name: str) -> tuple[str, ...]:
        return self.get(name, tuple) or ()

    def label(self, name: str) -> Label | None:
        return self.get(name, Label)

    def attachment(self, name: str) -> Attachment | None:
        return self.get(name, Attachment)


class Refuse(Exception):
    """A handler's way to answer and stop: the dispatcher replies with `text` (already in the
    member's language), privately, and nothing the handler wrote is kept."""

    def __init__(self, text: str, *, buttons: tuple[Button, ...] = ()) -> None:
        super().__init__(text)
        self.text = text
        self.buttons = buttons

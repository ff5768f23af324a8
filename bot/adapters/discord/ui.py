"""Buttons and modals: the Discord side of Reply.buttons and Param.long."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

import discord

from bot.core.effects import Button

COMMAND_BUTTON_PREFIX = "kp:cmd:"
CUSTOM_ID_LIMIT = 100
TEXT_INPUT_LIMIT = 4000
LABEL_LIMIT = 45
MODAL_COMPONENT_LIMIT = 5  # text boxes (each in its own row) in one modal


class CommandButtonHost(Protocol):
    """The client that knows how to run a command typed as text (a pressed button)."""

    async def run_button_command(self, interaction: discord.Interaction, command: str) -> None: ...


class CommandButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(re.escape(COMMAND_BUTTON_PREFIX) + r"(?P<command>/.+)"),
):
    """A button that runs a command as the member who presses it.

    The command lives in the custom id, so buttons keep working after a restart: nothing about
    them is kept in memory.
    """

    def __init__(self, command: str, label: str = "") -> None:
        custom_id = (COMMAND_BUTTON_PREFIX + command)[:CUSTOM_ID_LIMIT]
        super().__init__(
            discord.ui.Button(
                label=label[:80] or command, custom_id=custom_id, style=discord.ButtonStyle.primary
            )
        )
        self.command = command

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> CommandButton:
        return cls(match["command"])

    async def callback(self, interaction: discord.Interaction) -> None:
        host: CommandButtonHost = interaction.client  # type: ignore[assignment]
        await host.run_button_command(interaction, self.command)


def view_for(buttons: Sequence[Button]) -> discord.ui.View | None:
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    for button in buttons:
        if button.url is not None:
            view.add_item(discord.ui.Button(label=button.label[:80], url=button.url))
        elif button.command is not None:
            view.add_item(CommandButton(button.command, button.label))
    return view


Submit = Callable[[discord.Interaction, dict[str, str]], Awaitable[None]]


class LongTextModal(discord.ui.Modal):
    """Asks for the long text a command needs (a question, a drop's body) in a form.

    A text box holds at most 4,000 characters, so a text allowed to be longer gets as many
    boxes as it needs (a modal holds at most five): the first required, the others optional
    continuations, joined with a newline in order."""

    def __init__(
        self,
        *,
        title: str,
        fields: Sequence[tuple[str, str]],
        max_length: int,
        on_submit: Submit,
    ) -> None:
        super().__init__(title=title[:LABEL_LIMIT], timeout=15 * 60)
        self._on_submit = on_submit
        self._inputs: dict[str, list[discord.ui.TextInput[LongTextModal]]] = {}
        count = boxes_per_field(len(fields), max_length)
        for name, label in fields:
            boxes = [_text_input(name, label, n, count) for n in range(1, count + 1)]
            self._inputs[name] = boxes
            for box in boxes:
                self.add_item(box)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        values = {
            name: "\n".join(box.value for box in boxes if box.value)
            for name, boxes in self._inputs.items()
        }
        await self._on_submit(interaction, values)


def boxes_per_field(fields: int, max_length: int) -> int:
    """Text boxes for each of `fields` long texts of up to `max_length` characters."""
    needed = -(-max_length // TEXT_INPUT_LIMIT)
    return max(1, min(needed, MODAL_COMPONENT_LIMIT // max(fields, 1)))


def _text_input(name: str, label: str, n: int, count: int) -> discord.ui.TextInput[LongTextModal]:
    # "(2/3)" rather than words: it reads the same in every language.
    suffix = f" ({n}/{count})" if count > 1 else ""
    return discord.ui.TextInput(
        label=label[: LABEL_LIMIT - len(suffix)] + suffix,
        custom_id=name if n == 1 else f"{name}:{n}",
        style=discord.TextStyle.paragraph,
        max_length=TEXT_INPUT_LIMIT,
        required=n == 1,
    )

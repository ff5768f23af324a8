"""One person's conversation with the bot in a terminal: commands they type, replies, and what
the outbox brings them (private messages, posts in the community)."""

from __future__ import annotations

import os
from typing import Protocol

from bot.core.dispatcher import Dispatcher
from bot.core.effects import Ask, Button, DirectMessage, Reply
from bot.core.events import Actor, CommandEvent, Place, Platform
from bot.core.i18n import N_, Translator, negotiate
from bot.core.parsing import split_command
from bot.core.permissions import Level


def terminal_language() -> str | None:
    """The language this terminal's person reads, as the environment says."""
    return os.environ.get("LC_ALL") or os.environ.get("LANG")


class Terminal(Protocol):
    interactive: bool

    def show(self, text: str) -> None: ...

    def prompt(self, text: str) -> None: ...

    async def next_line(self) -> str | None:
        """The next line typed, or None when the terminal ended or was closed."""
        ...

    def close(self) -> None: ...


class ConsoleSession:
    def __init__(
        self,
        dispatcher: Dispatcher,
        terminal: Terminal,
        *,
        user: str,
        level: Level,
        lang: str | None,
        default_locale: str,
    ) -> None:
        self._dispatcher = dispatcher
        self.terminal = terminal
        self.translator = Translator(negotiate(lang) or default_locale)
        self.actor = Actor(
            platform=Platform.CONSOLE,
            user_id=user.lower(),
            display_name=user,
            username=user,
            locale_hint=lang,
            level=level,
        )
        self._place = Place(platform=Platform.CONSOLE, chat_id=user.lower(), is_private=True)

    @property
    def user_id(self) -> str:
        return self.actor.user_id

    def greet(self) -> None:
        if self.terminal.interactive:
            self.show(
                self.translator.gettext(
                    "knowpay console. You are {name} ({role}). "
                    "Type /help to begin, Ctrl-D to leave.",
                    name=self.actor.display_name,
                    role=self.translator.gettext(Level(self.actor.level or 0).label),
                )
            )

    async def converse(self) -> None:
        """Serve what is typed until the terminal ends."""
        while True:
            self.terminal.prompt(f"{self.actor.display_name}> ")
            line = await self.terminal.next_line()
            if line is None:
                return
            if line.strip():
                await self._serve(line)

    def show(self, text: str, buttons: tuple[Button, ...] = ()) -> None:
        # A terminal has no buttons: each is its label and what pressing it would do.
        self.terminal.show(
            "\n".join([text, *(f"  [{b.label}] {b.url or b.command}" for b in buttons)])
        )

    def show_private(self, text: str, buttons: tuple[Button, ...] = ()) -> None:
        """A private message, marked so, as a DM stands apart from the chat elsewhere."""
        marked = self.translator.gettext("Private message")
        self.show(f"📬 {marked}: {text}", buttons)

    async def _serve(self, line: str) -> None:
        """Run one command; when the bot asks for something the command needs, the next line
        (or lines, up to one with only a dot, for a long text) answers it."""
        while True:
            name, arguments = split_command(line) or ("", "")
            event = CommandEvent(
                actor=self.actor, place=self._place, name=name, arguments=arguments
            )
            asked: Ask | None = None
            for effect in await self._dispatcher.handle(event):
                if isinstance(effect, Ask):
                    asked = effect
                elif isinstance(effect, Reply | DirectMessage):
                    # The terminal is private already: a DM is just another line here.
                    self.show(effect.text, effect.buttons)
            if asked is None:
                return
            answer = await self._answer(asked)
            if answer is None:
                return
            line = asked.completed(answer)

    async def _answer(self, asked: Ask) -> str | None:
        """The member's answer to a question: the next line, or for a long text every line up
        to one with only a dot (as Discord asks in a form and Telegram by a reply)."""
        how = (
            N_("Type it over as many lines as you like, then a line with only a dot.")
            if asked.long
            else N_("Type it on the next line.")
        )
        self.show(f"{asked.text}\n{self.translator.gettext(how)}")
        if not asked.long:
            answer = await self.terminal.next_line()
            return answer if answer is not None and answer.strip() else None
        typed: list[str] = []
        while (answer := await self.terminal.next_line()) is not None and answer.strip() != ".":
            typed.append(answer)
        return "\n".join(typed) if any(t.strip() for t in typed) else None

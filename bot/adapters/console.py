"""The console adapter: chat with the bot in a terminal, or pipe commands through it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from typing import TextIO

from bot.core.dispatcher import Dispatcher
from bot.core.effects import (
    Ask,
    DirectMessage,
    DurableEffect,
    EditMessage,
    FileLoader,
    NotifyMember,
    PostToChat,
    Reply,
)
from bot.core.events import Actor, CommandEvent, Place, Platform
from bot.core.i18n import N_, Translator, negotiate
from bot.core.outbox import Recipient
from bot.core.parsing import split_command
from bot.core.permissions import Level
from bot.core.text import format_size, with_heading

_EOF = None


class ConsoleAdapter:
    name = "console"
    platform = "console"

    def __init__(
        self,
        dispatcher: Dispatcher,
        *,
        user: str,
        level: Level,
        stdin: TextIO,
        stdout: TextIO,
        default_locale: str,
        files: FileLoader | None = None,
    ) -> None:
        self._dispatcher = dispatcher
        self._files = files
        self._stdin = stdin
        self._stdout = stdout
        self._interactive = stdin.isatty()
        lang = os.environ.get("LC_ALL") or os.environ.get("LANG")
        self._translator = Translator(negotiate(lang) or default_locale)
        self._actor = Actor(
            platform=Platform.CONSOLE,
            user_id=user.lower(),
            display_name=user,
            username=user,
            locale_hint=lang,
            level=level,
        )
        self._place = Place(platform=Platform.CONSOLE, chat_id=user.lower(), is_private=True)
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        lines: asyncio.Queue[str | None] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        # A daemon thread, because a blocking read on a terminal cannot be cancelled and
        # must never keep the process alive after a shutdown.
        threading.Thread(target=self._read, args=(loop, lines), daemon=True).start()
        if self._interactive:
            self._write(
                self._translator.gettext(
                    "knowpay console. You are {name} ({role}). "
                    "Type /help to begin, Ctrl-D to leave.",
                    name=self._actor.display_name,
                    role=self._translator.gettext(Level(self._actor.level or 0).label),
                )
            )
        while not self._stopping.is_set():
            if self._interactive:
                self._stdout.write(f"{self._actor.display_name}> ")
                self._stdout.flush()
            line = await self._next_line(lines)
            if line is _EOF:
                break
            if not line.strip():
                continue
            await self._serve(line, lines)

    async def stop(self) -> None:
        self._stopping.set()

    async def deliver(self, effect: DurableEffect, recipient: Recipient | None) -> None:
        """The outbox's deliveries, shown in the terminal (there is no other place)."""
        if isinstance(effect, NotifyMember) and recipient is not None:
            self._write(f"📬 {recipient.display_name}: {effect.text}")
            await self._show_file(effect.file_id)
        elif isinstance(effect, PostToChat):
            text = effect.text
            if effect.thread_title is not None:
                text = with_heading(effect.thread_title, text)
            self._write(f"📣 {text}")
            await self._show_file(effect.file_id)
        elif isinstance(effect, EditMessage):
            self._write(f"✏️ edited: {effect.text}")

    async def _show_file(self, file_id: int | None) -> None:
        """A terminal cannot hold a file: it shows what went with the message."""
        file = await self._files(file_id) if file_id is not None and self._files else None
        if file is not None:
            self._write(f"📎 {file.filename} ({format_size(len(file.data))})")

    async def _next_line(self, lines: asyncio.Queue[str | None]) -> str | None:
        getter = asyncio.ensure_future(lines.get())
        stopper = asyncio.ensure_future(self._stopping.wait())
        done, pending = await asyncio.wait({getter, stopper}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        return getter.result() if getter in done else _EOF

    async def _serve(self, line: str, lines: asyncio.Queue[str | None]) -> None:
        """Run one command; when the bot asks for something the command needs, the next line
        (or lines, up to one with only a dot, for a long text) answers it."""
        while True:
            name, arguments = split_command(line) or ("", "")
            event = CommandEvent(
                actor=self._actor, place=self._place, name=name, arguments=arguments
            )
            asked: Ask | None = None
            for effect in await self._dispatcher.handle(event):
                if isinstance(effect, Ask):
                    asked = effect
                elif isinstance(effect, Reply | DirectMessage):
                    # The terminal is private already: a DM is just another line here.
                    buttons = [f"  [{b.label}] {b.url or b.command}" for b in effect.buttons]
                    self._write("\n".join([effect.text, *buttons]))
            if asked is None:
                return
            answer = await self._answer(asked, lines)
            if answer is None:
                return
            line = asked.completed(answer)

    async def _answer(self, asked: Ask, lines: asyncio.Queue[str | None]) -> str | None:
        """The member's answer to a question: the next line, or for a long text every line up
        to one with only a dot (as Discord asks in a form and Telegram by a reply)."""
        how = (
            N_("Type it over as many lines as you like, then a line with only a dot.")
            if asked.long
            else N_("Type it on the next line.")
        )
        self._write(f"{asked.text}\n{self._translator.gettext(how)}")
        if not asked.long:
            answer = await self._next_line(lines)
            return answer if answer is not _EOF and answer.strip() else None
        typed: list[str] = []
        while (answer := await self._next_line(lines)) is not _EOF and answer.strip() != ".":
            typed.append(answer)
        return "\n".join(typed) if any(t.strip() for t in typed) else None

    def _write(self, text: str) -> None:
        self._stdout.write(text + "\n")
        if self._interactive:
            self._stdout.write("\n")
        self._stdout.flush()

    def _read(self, loop: asyncio.AbstractEventLoop, lines: asyncio.Queue[str | None]) -> None:
        try:
            for line in self._stdin:
                loop.call_soon_threadsafe(lines.put_nowait, line.rstrip("\r\n"))
        except (OSError, ValueError, UnicodeDecodeError):
            pass
        finally:
            # The loop is gone when the bot stopped first; then nobody waits for EOF.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(lines.put_nowait, _EOF)

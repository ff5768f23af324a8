"""The console adapter: one local community with many people in it.

The person at this process's terminal talks to the bot directly; anyone else joins with
`knowpay console --as NAME`, a client of this process over a local socket. The outbox's
deliveries come here: a private message goes to the terminals of the person it is for (or is
kept for them until they connect), a post in the community to everyone's."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TextIO

from bot.adapters.console.session import ConsoleSession, Terminal, terminal_language
from bot.adapters.console.terminals import LocalTerminal, SocketTerminal
from bot.adapters.console.wire import LINE_LIMIT, Hello, WireError, decode_to_bot
from bot.core.dispatcher import Dispatcher
from bot.core.effects import (
    DurableEffect,
    EditMessage,
    FileLoader,
    NotifyMember,
    PostToChat,
)
from bot.core.outbox import PermanentFailure, Recipient
from bot.core.permissions import Level
from bot.core.text import format_size, with_heading
from bot.errors import StartupError

log = logging.getLogger(__name__)

HELLO_SECONDS = 5.0


@dataclass(frozen=True)
class KeptMessage:
    """A private message that came while its reader had no terminal open."""

    user_id: str
    text: str
    file_id: int | None = None


class Mailbox(Protocol):
    """Where private messages wait for a reader who is not at a terminal."""

    async def keep(self, message: KeptMessage) -> None: ...

    async def take(self, user_id: str) -> Sequence[KeptMessage]:
        """The messages kept for `user_id`, oldest first; each is handed out once."""
        ...


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
        mailbox: Mailbox | None = None,
        socket_path: Path | None = None,
    ) -> None:
        self._dispatcher = dispatcher
        self._default_locale = default_locale
        self._files = files
        self._mailbox = mailbox
        self._socket_path = socket_path
        local = LocalTerminal(stdin, stdout)
        self._local = self._session(local, user, level, terminal_language())
        # This process's terminal is there from the start; clients come and go.
        self._sessions: list[ConsoleSession] = [self._local]
        # Set once clients can connect (the socket is bound).
        self.listening = asyncio.Event()

    async def run(self) -> None:
        path = self._socket_path
        server = await self._listen(path) if path is not None else None
        try:
            await self._attend(self._local)
        finally:
            if server is not None and path is not None:
                server.close()
                for session in self._sessions:
                    session.terminal.close()
                _forget(path)

    async def stop(self) -> None:
        self._local.terminal.close()

    async def deliver(self, effect: DurableEffect, recipient: Recipient | None) -> None:
        """The outbox's deliveries, shown in the terminals they are for."""
        if isinstance(effect, NotifyMember) and recipient is not None:
            readers = [s for s in self._sessions if s.user_id == recipient.user_id]
            for reader in readers:
                reader.show_private(effect.text, effect.buttons)
                await self._show_file(reader, effect.file_id)
            if not readers:
                await self._keep(
                    recipient, KeptMessage(recipient.user_id, effect.text, effect.file_id)
                )
        elif isinstance(effect, PostToChat):
            text = effect.text
            if effect.thread_title is not None:
                text = with_heading(effect.thread_title, text)
            for session in self._sessions:
                session.show(f"📣 {text}", effect.buttons)
                await self._show_file(session, effect.file_id)
        elif isinstance(effect, EditMessage):
            for session in self._sessions:
                edited = session.translator.gettext("edited")
                session.show(f"✏️ {edited}: {effect.text}")

    async def _keep(self, recipient: Recipient, message: KeptMessage) -> None:
        if self._mailbox is None:
            raise PermanentFailure(f"{recipient.display_name} is at no console")
        await self._mailbox.keep(message)

    async def _attend(self, session: ConsoleSession) -> None:
        """A person's time at a terminal: greeted, handed what came while they were away,
        then served until they leave."""
        session.greet()
        if self._mailbox is not None:
            kept = await self._mailbox.take(session.user_id)
            if kept:
                session.show(session.translator.gettext("While you were away:"))
            for message in kept:
                session.show_private(message.text)
                await self._show_file(session, message.file_id)
        await session.converse()

    async def _listen(self, path: Path) -> asyncio.Server:
        if await _answers(path):
            raise StartupError(f"console: a knowpay already runs on this database ({path})")
        _forget(path)  # left by a run that was killed
        try:
            # Only this user may connect: whoever does acts with the role they name.
            old_mask = os.umask(0o177)
            try:
                server = await asyncio.start_unix_server(self._welcome, path, limit=LINE_LIMIT)
            finally:
                os.umask(old_mask)
        except OSError as error:
            raise StartupError(
                f"console: cannot listen on {path} ({error.strerror or error})"
            ) from None
        log.info("console socket listening on %s", path)
        self.listening.set()
        return server

    async def _welcome(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """A `knowpay console` client: it says who it is, then talks like a local terminal."""
        try:
            hello = await _hello(reader)
            level = Level.parse(hello.role)
        except (TimeoutError, OSError, ValueError, WireError) as error:
            log.warning("console client refused: %s", error)
            writer.close()
            return
        terminal = SocketTerminal(reader, writer, interactive=hello.interactive)
        session = self._session(terminal, hello.user, level, hello.lang)
        self._sessions.append(session)
        try:
            await self._attend(session)
        finally:
            self._sessions.remove(session)
            terminal.close()

    def _session(
        self, terminal: Terminal, user: str, level: Level, lang: str | None
    ) -> ConsoleSession:
        return ConsoleSession(
            self._dispatcher,
            terminal,
            user=user,
            level=level,
            lang=lang,
            default_locale=self._default_locale,
        )

    async def _show_file(self, session: ConsoleSession, file_id: int | None) -> None:
        """A terminal cannot hold a file: it shows what went with the message."""
        file = await self._files(file_id) if file_id is not None and self._files else None
        if file is not None:
            session.show(f"📎 {file.filename} ({format_size(len(file.data))})")


async def _hello(reader: asyncio.StreamReader) -> Hello:
    raw = await asyncio.wait_for(reader.readline(), HELLO_SECONDS)
    hello = decode_to_bot(raw).hello
    if hello is None:
        raise WireError("the client did not say who it is")
    return hello


async def _answers(path: Path) -> bool:
    """Whether a bot serves the console socket at `path`."""
    try:
        _reader, writer = await asyncio.open_unix_connection(path)
    except OSError:
        return False
    writer.close()
    return True


def _forget(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()

"""The terminals a console conversation runs in: this process's own (stdin and stdout), or a
`knowpay console` client's at the other end of the local socket."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import TextIO

from bot.adapters.console.screen import Screen
from bot.adapters.console.wire import ToTerminal, WireError, decode_to_bot


class _Lines:
    """Typed lines waiting to be read, until the terminal ends (None) or is closed."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._closed = asyncio.Event()

    def put(self, line: str | None) -> None:
        self._queue.put_nowait(line)

    async def next_line(self) -> str | None:
        if self._closed.is_set():
            return None
        getter = asyncio.ensure_future(self._queue.get())
        closer = asyncio.ensure_future(self._closed.wait())
        done, pending = await asyncio.wait({getter, closer}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        return getter.result() if getter in done else None

    def close(self) -> None:
        self._closed.set()


class LocalTerminal:
    """This process's stdin and stdout."""

    def __init__(self, stdin: TextIO, stdout: TextIO) -> None:
        self._stdin = stdin
        self.interactive = stdin.isatty()
        self._screen = Screen(stdout, interactive=self.interactive)
        self._lines = _Lines()
        self._reading = False

    def show(self, text: str) -> None:
        self._screen.show(text)

    def prompt(self, text: str) -> None:
        self._screen.prompt(text)

    async def next_line(self) -> str | None:
        if not self._reading:
            self._reading = True
            # A daemon thread, because a blocking read on a terminal cannot be cancelled and
            # must never keep the process alive after a shutdown.
            feed = threadsafe(asyncio.get_running_loop(), self._lines.put)
            threading.Thread(target=read_lines, args=(self._stdin, feed), daemon=True).start()
        line = await self._lines.next_line()
        self._screen.typed()
        return line

    def close(self) -> None:
        self._lines.close()


class SocketTerminal:
    """A client's terminal: what its person types arrives as lines on the socket."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, interactive: bool
    ) -> None:
        self.interactive = interactive
        self._writer = writer
        self._lines = _Lines()
        self._receiving = asyncio.create_task(self._receive(reader), name="console-client")

    def show(self, text: str) -> None:
        self._send(ToTerminal(show=text))

    def prompt(self, text: str) -> None:
        if self.interactive:
            self._send(ToTerminal(prompt=text))

    async def next_line(self) -> str | None:
        return await self._lines.next_line()

    def close(self) -> None:
        self._lines.close()
        self._receiving.cancel()
        self._writer.close()

    def _send(self, message: ToTerminal) -> None:
        # A client that went away takes nothing more; its session ends at its next read.
        if not self._writer.is_closing():
            self._writer.write(message.encode())

    async def _receive(self, reader: asyncio.StreamReader) -> None:
        try:
            while raw := await reader.readline():
                if (line := decode_to_bot(raw).line) is not None:
                    self._lines.put(line)
        except (OSError, ValueError, WireError):
            pass  # a broken client ends its session like an end of input
        finally:
            self._lines.put(None)


def read_lines(stdin: TextIO, feed: Callable[[str | None], None]) -> None:
    """Every line of `stdin`, then None at its end (run in a thread of its own)."""
    try:
        for line in stdin:
            feed(line.rstrip("\r\n"))
    except (OSError, ValueError, UnicodeDecodeError):
        pass
    finally:
        feed(None)


def threadsafe(
    loop: asyncio.AbstractEventLoop, put: Callable[[str | None], None]
) -> Callable[[str | None], None]:
    """`put`, callable from another thread: it runs on `loop`."""

    def feed(line: str | None) -> None:
        # The loop is gone when the bot stopped first; then nobody waits for the line.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(put, line)

    return feed

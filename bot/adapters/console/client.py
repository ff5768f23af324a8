"""`knowpay console --as NAME` beside a running bot: this terminal joins its community over the
local socket, so what is for NAME arrives here, and the bot's web page and outbox serve it."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import TextIO

from bot.adapters.console.screen import Screen
from bot.adapters.console.terminals import read_lines, threadsafe
from bot.adapters.console.wire import LINE_LIMIT, Hello, ToBot, WireError, decode_to_terminal


class BotStopped(Exception):
    """The bot ended the conversation before this terminal did (it was stopped)."""


async def join(path: Path, hello: Hello, stdin: TextIO, stdout: TextIO) -> bool:
    """Talk to the bot at `path` until this terminal's input ends; False when no bot answers
    there (nothing was sent or shown)."""
    try:
        reader, writer = await asyncio.open_unix_connection(path, limit=LINE_LIMIT)
    except OSError:
        return False
    screen = Screen(stdout, interactive=hello.interactive)
    ended = threading.Event()

    def send(line: str | None) -> None:
        if writer.is_closing():
            return
        if line is None:
            ended.set()
            writer.write_eof()  # the bot finishes what was typed, then closes
        else:
            screen.typed()
            writer.write(ToBot(line=line).encode())

    writer.write(ToBot(hello=hello).encode())
    feed = threadsafe(asyncio.get_running_loop(), send)
    threading.Thread(target=read_lines, args=(stdin, feed), daemon=True).start()
    try:
        while raw := await reader.readline():
            message = decode_to_terminal(raw)
            if message.show is not None:
                screen.show(message.show)
            if message.prompt is not None:
                screen.prompt(message.prompt)
    except (OSError, WireError):
        pass
    finally:
        writer.close()
    if not ended.is_set():
        screen.show("")  # off the prompt, for the line that says why this ends
        raise BotStopped
    return True

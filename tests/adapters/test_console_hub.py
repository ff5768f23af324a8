"""The console hub: one local community with many people in it, each at their own terminal
(this process's, or a `knowpay console` client's over the local socket), where a private
message reaches only its reader, and waits for them when they are away."""

from __future__ import annotations

import asyncio
import io
import os
import stat
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import pytest

from bot.adapters.console import BotStopped, ConsoleAdapter, Hello, join
from bot.adapters.console.screen import Screen
from bot.adapters.console.wire import ToBot, decode_to_terminal
from bot.console_wiring import StoredMailbox
from bot.core.clock import FakeClock
from bot.core.dispatcher import Dispatcher
from bot.core.effects import Button, NotifyMember, PostToChat
from bot.core.outbox import PermanentFailure, Recipient
from bot.core.permissions import Level
from bot.errors import StartupError
from storage.uow import UnitOfWorkFactory


@dataclass
class Client:
    """The far end of the socket, as `knowpay console` speaks it."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    def say(self, line: str) -> None:
        self.writer.write(ToBot(line=line).encode())

    async def until(self, marker: str) -> str:
        """What the bot showed this terminal, up to a message with `marker`."""
        seen: list[str] = []
        async with asyncio.timeout(10):
            while not any(marker in text for text in seen):
                raw = await self.reader.readline()
                assert raw, f"{marker!r} never came: {seen!r}"
                seen += [decode_to_terminal(raw).show or ""]
        return "\n".join(seen)

    async def leave(self) -> None:
        self.writer.write_eof()
        async with asyncio.timeout(10):
            while await self.reader.readline():
                pass
        self.writer.close()


class WatchedOutput(io.StringIO):
    """A client's stdout that can be waited on."""

    def __init__(self) -> None:
        super().__init__()
        self._written = asyncio.Condition()

    def write(self, text: str) -> int:
        written = super().write(text)
        asyncio.get_running_loop().create_task(self._notify())
        return written

    async def _notify(self) -> None:
        async with self._written:
            self._written.notify_all()

    async def until(self, marker: str) -> None:
        async with asyncio.timeout(10), self._written:
            await self._written.wait_for(lambda: marker in self.getvalue())


async def _connect(path: Path, user: str, role: str = "member") -> Client:
    reader, writer = await asyncio.open_unix_connection(path)
    writer.write(ToBot(hello=Hello(user=user, role=role)).encode())
    client = Client(reader, writer)
    client.say("/whoami")
    await client.until(f"({user})")  # the session is there once it answered
    return client


@dataclass
class Hub:
    adapter: ConsoleAdapter
    path: Path
    local: io.StringIO
    _stdin_end: int
    _left: bool = False

    def local_leaves(self) -> None:
        if not self._left:
            self._left = True
            os.close(self._stdin_end)


@pytest.fixture
async def hub(
    tmp_path: Path, dispatcher: Dispatcher, uow: UnitOfWorkFactory, clock: FakeClock
) -> AsyncIterator[Hub]:
    read_end, write_end = os.pipe()
    local = io.StringIO()
    path = tmp_path / "knowpay-console.sock"
    with os.fdopen(read_end) as stdin:
        adapter = _adapter(dispatcher, stdin, local, path, StoredMailbox(uow, clock))
        running = asyncio.create_task(adapter.run())
        await asyncio.wait_for(adapter.listening.wait(), 10)
        started = Hub(adapter, path, local, write_end)
        try:
            yield started
        finally:
            await adapter.stop()
            await asyncio.wait_for(running, 10)
            started.local_leaves()


def _adapter(
    dispatcher: Dispatcher,
    stdin: TextIO,
    stdout: TextIO,
    path: Path,
    mailbox: StoredMailbox | None,
) -> ConsoleAdapter:
    return ConsoleAdapter(
        dispatcher,
        user="ada",
        level=Level.OWNER,
        stdin=stdin,
        stdout=stdout,
        default_locale="en",
        mailbox=mailbox,
        socket_path=path,
    )


def _to(user: str) -> Recipient:
    return Recipient(member_id=1, platform="console", user_id=user, display_name=user)


async def test_a_private_message_reaches_its_readers_terminal_alone(hub: Hub) -> None:
    alice = await _connect(hub.path, "alice")
    bob = await _connect(hub.path, "bob")
    pay = Button("Renew", url="http://127.0.0.1:8080/sandbox/checkout/x")
    await hub.adapter.deliver(NotifyMember(1, "Your trial ends soon.", (pay,)), _to("alice"))
    shown = await alice.until("Your trial ends soon.")
    assert shown == (
        "📬 Private message: Your trial ends soon.\n"
        "  [Renew] http://127.0.0.1:8080/sandbox/checkout/x"
    )
    bob.say("/whoami")
    assert "trial" not in await bob.until("(bob)")
    assert "trial" not in hub.local.getvalue()
    await hub.adapter.deliver(NotifyMember(1, "Owner's news."), _to("ada"))
    assert "📬 Private message: Owner's news.\n" in hub.local.getvalue()
    await alice.leave()
    await bob.leave()


async def test_a_post_in_the_community_reaches_everyone(hub: Hub) -> None:
    alice = await _connect(hub.path, "alice")
    await hub.adapter.deliver(PostToChat("console", "ada", "Drop D1 is out."), None)
    assert await alice.until("Drop D1") == "📣 Drop D1 is out."
    assert "📣 Drop D1 is out.\n" in hub.local.getvalue()
    await alice.leave()


async def test_a_message_for_someone_away_waits_for_them_and_shows_once(hub: Hub) -> None:
    await hub.adapter.deliver(NotifyMember(1, "Your answer came."), _to("carol"))
    reader, writer = await asyncio.open_unix_connection(hub.path)
    writer.write(ToBot(hello=Hello(user="Carol", role="member")).encode())
    carol = Client(reader, writer)
    assert await carol.until("answer came") == (
        "While you were away:\n📬 Private message: Your answer came."
    )
    await carol.leave()
    again = await _connect(hub.path, "carol")
    again.say("/whoami")
    assert "answer came" not in await again.until("(carol)")
    await again.leave()


async def test_join_runs_a_piped_session_and_says_when_no_bot_answers(
    hub: Hub, tmp_path: Path
) -> None:
    out = io.StringIO()
    hello = Hello(user="lee", role="creator")
    assert await join(hub.path, hello, io.StringIO("/whoami\n"), out)
    assert "You are member #1 (lee)." in out.getvalue()
    assert "Role: creator" in out.getvalue()
    nowhere = io.StringIO()
    assert not await join(tmp_path / "none.sock", hello, io.StringIO("/whoami\n"), nowhere)
    assert nowhere.getvalue() == ""


async def test_a_client_hears_when_the_bot_stops(hub: Hub) -> None:
    read_end, write_end = os.pipe()
    with os.fdopen(read_end) as stdin:
        out = WatchedOutput()
        joined = asyncio.create_task(join(hub.path, Hello(user="lee", role="member"), stdin, out))
        try:
            os.write(write_end, b"/whoami\n")
            await out.until("(lee)")
            hub.local_leaves()  # the owner closes `knowpay run`: every terminal ends with it
            with pytest.raises(BotStopped):
                await asyncio.wait_for(joined, 10)
        finally:
            # The client's reading thread ends at this end of input, before its file closes.
            os.close(write_end)


async def test_the_socket_is_its_owners_alone_and_one_bot_holds_it(
    hub: Hub, dispatcher: Dispatcher
) -> None:
    assert stat.S_IMODE(hub.path.stat().st_mode) == 0o600
    second = _adapter(dispatcher, io.StringIO(), io.StringIO(), hub.path, None)
    with pytest.raises(StartupError, match="a knowpay already runs on this database"):
        await second.run()


@pytest.mark.parametrize(
    "first_line",
    [b"hello\n", b'{"line": "/whoami"}\n', b'{"hello": {"user": "x", "role": "god"}}\n'],
)
async def test_a_client_that_does_not_say_who_it_is_is_turned_away(
    hub: Hub, first_line: bytes
) -> None:
    reader, writer = await asyncio.open_unix_connection(hub.path)
    writer.write(first_line)
    assert await asyncio.wait_for(reader.read(), 10) == b""  # closed, nothing served
    writer.close()
    assert await _connect(hub.path, "alice")  # and the bot goes on


async def test_without_a_mailbox_a_message_for_nobody_fails_for_good(
    dispatcher: Dispatcher, tmp_path: Path
) -> None:
    adapter = _adapter(dispatcher, io.StringIO(), io.StringIO(), tmp_path / "s.sock", None)
    with pytest.raises(PermanentFailure, match="carol is at no console"):
        await adapter.deliver(NotifyMember(1, "hi"), _to("carol"))


def test_a_message_that_comes_while_the_prompt_waits_is_printed_above_it() -> None:
    out = io.StringIO()
    screen = Screen(out, interactive=True)
    screen.prompt("alice> ")
    screen.show("📬 Private message: hi")
    assert out.getvalue() == "alice> \n📬 Private message: hi\n\nalice> "
    screen.typed()
    screen.show("next")
    assert out.getvalue().endswith("alice> next\n\n")

"""The console shows the outbox's posts in the terminal, a thread's title as a heading, and
their edits."""

from __future__ import annotations

import io

from bot.adapters.console import ConsoleAdapter
from bot.core.clock import FakeClock
from bot.core.dispatcher import Dispatcher
from bot.core.effects import EditMessage, PostToChat
from bot.core.permissions import Level
from storage.uow import UnitOfWorkFactory
from tests.adapters.conftest import content_messages, deliver_post


def _console(dispatcher: Dispatcher, terminal: io.StringIO) -> ConsoleAdapter:
    return ConsoleAdapter(
        dispatcher,
        user="ada",
        level=Level.MEMBER,
        stdin=io.StringIO(),
        stdout=terminal,
        default_locale="en",
    )


async def test_a_post_that_starts_a_thread_prints_its_title_first(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory, clock: FakeClock
) -> None:
    terminal = io.StringIO()
    console = _console(dispatcher, terminal)
    question = PostToChat(
        "console", "ada", "I start a task group.", thread_title="Cancel\nsafely?", content_ref="q:1"
    )
    item = await deliver_post(uow, clock, console, question)
    await console.deliver(PostToChat("console", "ada", "Weekly news"), None)
    assert terminal.getvalue() == "📣 # Cancel safely?\n\nI start a task group.\n📣 Weekly news\n"
    assert item.status == "done"
    assert await content_messages(uow) == []  # the terminal has no messages to react to


async def test_an_edit_prints_the_new_text(dispatcher: Dispatcher) -> None:
    terminal = io.StringIO()
    console = _console(dispatcher, terminal)
    await console.deliver(EditMessage("console", "ada", "m1", "Weekly news, fixed"), None)
    assert terminal.getvalue() == "✏️ edited: Weekly news, fixed\n"

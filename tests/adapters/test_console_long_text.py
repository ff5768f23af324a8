"""In the console, a command run without its long text (a question, a drop) asks for it over
several lines, ended by a line with only a dot."""

from __future__ import annotations

import io

from bot.adapters.console import ConsoleAdapter
from bot.core.clock import FakeClock
from bot.core.dispatcher import Dispatcher
from bot.core.permissions import Level
from storage.uow import UnitOfWorkFactory
from tests.cogs.conftest import QA_SETTINGS
from tests.conftest import dispatcher_for


async def _session(dispatcher: Dispatcher, typed: str, level: Level) -> str:
    terminal = io.StringIO()
    console = ConsoleAdapter(
        dispatcher,
        user="ada",
        level=level,
        stdin=io.StringIO(typed),
        stdout=terminal,
        default_locale="en",
    )
    await console.run()
    return terminal.getvalue()


async def test_the_console_asks_for_long_text_over_several_lines(
    uow: UnitOfWorkFactory, clock: FakeClock
) -> None:
    dispatcher = dispatcher_for(uow, clock, QA_SETTINGS)
    typed = "/ask\nWhy is this slow?\n```\nawait  main()\n```\n.\n/whoami\n"
    out = await _session(dispatcher, typed, Level.MEMBER)
    assert out.startswith(
        "/ask needs <question>: Your question.\n"
        "Type it over as many lines as you like, then a line with only a dot.\n"
    )
    assert "You are member #1 (ada)." in out  # the dot ended the question, not the session
    async with uow() as unit:
        question = await unit.questions.get(1)
    assert question is not None
    assert question.text == "Why is this slow?\n```\nawait  main()\n```"


async def test_nobody_is_asked_for_text_they_may_not_send(dispatcher: Dispatcher) -> None:
    out = await _session(dispatcher, "/drop new\n", Level.MEMBER)
    assert out == "You need the creator role to use /drop.\n"

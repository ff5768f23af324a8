"""The docs users read say what the bot does: the README's command table is /help's list."""

from __future__ import annotations

from bot.core.dispatcher import Dispatcher
from bot.core.permissions import Level
from tests.conftest import REPO, actor, say


async def test_the_readme_lists_every_command_as_help_shows_it(dispatcher: Dispatcher) -> None:
    shown = await say(dispatcher, actor("owner", level=Level.OWNER), "/help")
    rows = (REPO / "README.md").read_text(encoding="utf-8").replace("\\|", "|")
    listed = shown.splitlines()[1:-1]
    assert len(listed) >= 30
    for line in listed:
        usage, description = line.split(" — ", 1)
        assert f"| `{usage}` |" in rows, usage
        assert f"| {description} |" in rows, description

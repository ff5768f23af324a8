"""The console's place in a run: its socket, named after the database (one local community is
one database), and the mailbox that keeps private messages for people not at a terminal."""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.adapters.console import ConsoleAdapter, KeptMessage
from bot.config import Secrets, Settings, database_url
from bot.core.clock import Clock
from bot.core.dispatcher import Dispatcher
from bot.core.permissions import Level
from cogs.drops.service import load_file
from storage.uow import UnitOfWorkFactory

# The longest path a Unix socket may have is about 104 bytes on some systems.
_SOCKET_PATH_LIMIT = 100


def console_socket(settings: Settings, secrets: Secrets) -> Path:
    """Beside a SQLite database (`knowpay.db` has `knowpay-console.sock`); for a server
    database, or a path too long for a socket, in the user's runtime folder under a name
    drawn from the database's URL."""
    url = make_url(database_url(settings, secrets))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        database = Path(url.database)
        beside = database.with_name(f"{database.stem}-console.sock")
        if len(str(beside.absolute())) < _SOCKET_PATH_LIMIT:
            return beside
    digest = hashlib.sha256(url.render_as_string(hide_password=False).encode()).hexdigest()
    folder = Path(os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir())
    return folder / f"knowpay-console-{digest[:16]}.sock"


class StoredMailbox:
    """Private messages kept in the database, so one sent while its reader is away (or the
    bot restarts) is still shown when they connect."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def keep(self, message: KeptMessage) -> None:
        async with self._uow() as unit:
            await unit.console_messages.keep(
                message.user_id, message.text, message.file_id, self._clock.now()
            )

    async def take(self, user_id: str) -> Sequence[KeptMessage]:
        async with self._uow() as unit:
            rows = await unit.console_messages.take_unshown(user_id, self._clock.now())
            return [KeptMessage(row.user_id, row.text, row.file_id) for row in rows]


def console_hub(
    settings: Settings,
    secrets: Secrets,
    dispatcher: Dispatcher,
    uow: UnitOfWorkFactory,
    clock: Clock,
    *,
    user: str,
    level: Level,
    hosting: bool = True,
) -> ConsoleAdapter:
    """The console for this terminal's person; `hosting`, everyone else's too, on the socket,
    with the mailbox for those away."""
    return ConsoleAdapter(
        dispatcher,
        user=user,
        level=level,
        stdin=sys.stdin,
        stdout=sys.stdout,
        default_locale=settings.community.default_locale,
        files=partial(load_file, uow),
        mailbox=StoredMailbox(uow, clock) if hosting else None,
        socket_path=console_socket(settings, secrets) if hosting else None,
    )

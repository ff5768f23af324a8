"""The unit of work: one transaction per handled event, committed only if the handler succeeds."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.engine import write_turn
from storage.repositories.audit import AuditRepository
from storage.repositories.console_messages import ConsoleMessageRepository
from storage.repositories.contents import ContentRepository
from storage.repositories.drops import DropRepository
from storage.repositories.ledger import LedgerRepository
from storage.repositories.link_codes import LinkCodeRepository
from storage.repositories.members import MemberRepository
from storage.repositories.memberships import MembershipRepository
from storage.repositories.mrr import MrrRepository
from storage.repositories.outbox import OutboxRepository
from storage.repositories.payments import PaymentRepository
from storage.repositories.questions import QuestionRepository
from storage.repositories.sandbox import SandboxRepository
from storage.repositories.webhook_events import WebhookEventRepository


class UnitOfWork:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.members = MemberRepository(session)
        self.audit = AuditRepository(session)
        self.link_codes = LinkCodeRepository(session)
        self.payments = PaymentRepository(session)
        self.memberships = MembershipRepository(session)
        self.mrr = MrrRepository(session)
        self.webhook_events = WebhookEventRepository(session)
        self.ledger = LedgerRepository(session)
        self.outbox = OutboxRepository(session)
        self.contents = ContentRepository(session)
        self.questions = QuestionRepository(session)
        self.drops = DropRepository(session)
        self.sandbox = SandboxRepository(session)
        self.console_messages = ConsoleMessageRepository(session)


class UnitOfWorkFactory:
    def __init__(self, sessionmaker: async_sessionmaker[Any]) -> None:
        self._sessionmaker = sessionmaker
        bind = sessionmaker.kw.get("bind")
        if not isinstance(bind, AsyncEngine):
            raise TypeError("units of work need a sessionmaker bound to an AsyncEngine")
        # What else writes to the same database (the batched interaction recorder) shares it.
        self.engine = bind
        self._turn = write_turn(bind)

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[UnitOfWork]:
        """One transaction. Units of work never nest: on SQLite they take turns."""
        async with contextlib.AsyncExitStack() as stack:
            if self._turn is not None:
                await stack.enter_async_context(self._turn)
            session = await stack.enter_async_context(self._sessionmaker())
            await stack.enter_async_context(session.begin())
            yield UnitOfWork(session)

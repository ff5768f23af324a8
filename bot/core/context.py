"""What a handler gets to work with while it serves one event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.core.clock import Clock
from bot.core.commands import CommandSpec, Registry
from bot.core.effects import Effect, Reply
from bot.core.events import CommandEvent, DomainEvent
from bot.core.i18n import Translator
from bot.core.permissions import Level
from storage.models import Member, PlatformIdentity
from storage.recording import InteractionRecorder
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from payments.service import PaymentService


@dataclass
class Context:
    event: CommandEvent
    spec: CommandSpec
    uow: UnitOfWork
    member: Member
    identity: PlatformIdentity
    level: Level
    translator: Translator
    clock: Clock
    registry: Registry
    settings: Settings
    # For commands that sell something; None where no payments are wired (some tests).
    payments: PaymentService | None = None
    # Where interactions go (the batched recorder); None where none is wired (some tests).
    interactions: InteractionRecorder | None = None

    def _(self, message: str, /, **values: object) -> str:
        return self.translator.gettext(message, **values)

    def reply(self, text: str) -> Reply:
        return Reply(text, ephemeral=self.spec.ephemeral)

    async def announce(self, event: DomainEvent) -> list[Effect]:
        """Let the other cogs act on `event` in this command's transaction."""
        listening = EventContext(
            uow=self.uow,
            member=self.member,
            identity=self.identity,
            translator=self.translator,
            clock=self.clock,
            settings=self.settings,
            interactions=self.interactions,
        )
        return await self.registry.notify(listening, event)


@dataclass
class EventContext:
    """What a listener gets for a platform event (a reaction, a join request)."""

    uow: UnitOfWork
    member: Member
    identity: PlatformIdentity
    translator: Translator
    clock: Clock
    settings: Settings
    interactions: InteractionRecorder | None = None

    def _(self, message: str, /, **values: object) -> str:
        return self.translator.gettext(message, **values)

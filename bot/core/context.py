"""What a command's handler gets to work with while it serves one event."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from bot.core.clock import Clock
from bot.core.effects import Effect, Reply
from bot.core.events import CommandEvent, DomainEvent
from bot.core.i18n import Translator
from bot.core.listening import EventContext, Listeners
from bot.core.permissions import Level
from storage.models import Member, PlatformIdentity
from storage.uow import UnitOfWork


@dataclass
class Context:
    event: CommandEvent
    uow: UnitOfWork
    member: Member
    identity: PlatformIdentity
    level: Level
    translator: Translator
    clock: Clock
    settings: Settings
    listeners: Listeners
    # The command's replies are seen only by the member who ran it.
    ephemeral: bool = False

    def _(self, message: str, /, **values: object) -> str:
        return self.translator.gettext(message, **values)

    def reply(self, text: str) -> Reply:
        return Reply(text, ephemeral=self.ephemeral)

    async def announce(self, event: DomainEvent) -> list[Effect]:
        """Let the other cogs act on `event` in this command's transaction."""
        listening = EventContext(
            uow=self.uow,
            member=self.member,
            identity=self.identity,
            translator=self.translator,
            clock=self.clock,
            settings=self.settings,
        )
        return await self.listeners.notify(listening, event)

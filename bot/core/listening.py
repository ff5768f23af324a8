"""Listeners: cogs acting on platform events (a reaction, a join request) and on each other's
domain events (accounts linked), in the transaction of the event that caused them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.config import Settings
from bot.core.clock import Clock
from bot.core.effects import Effect
from bot.core.events import DomainEvent, PlatformEvent
from bot.core.i18n import Translator
from storage.models import Member, PlatformIdentity
from storage.uow import UnitOfWork


@dataclass
class EventContext:
    """What a listener gets for a platform event (a reaction, a join request)."""

    uow: UnitOfWork
    member: Member
    identity: PlatformIdentity
    translator: Translator
    clock: Clock
    settings: Settings

    def _(self, message: str, /, **values: object) -> str:
        return self.translator.gettext(message, **values)


E = TypeVar("E", bound="PlatformEvent | DomainEvent")
# A listener may answer with effects (a DM, a join request's answer) or with nothing.
Listener = Callable[[EventContext, E], Awaitable[list[Effect] | None]]


class Listeners:
    """Who listens to which event, in the order they registered."""

    def __init__(self) -> None:
        self._listeners: dict[type[Any], list[Listener[Any]]] = {}

    def listen(self, event_type: type[E], listener: Listener[E]) -> None:
        """Call `listener` for every event of `event_type` (reactions, joins, linked accounts)."""
        self._listeners.setdefault(event_type, []).append(listener)

    async def notify(self, ctx: EventContext, event: PlatformEvent | DomainEvent) -> list[Effect]:
        """Run the listeners of `event`; what they answer."""
        effects: list[Effect] = []
        for listener in self._listeners.get(type(event), []):
            effects += await listener(ctx, event) or []
        return effects

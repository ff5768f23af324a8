"""The registry: every command the bot knows, and who listens to which event; the cogs fill
it once at start-up and every adapter builds its interface from it."""

from __future__ import annotations

from collections.abc import Iterator

from bot.core.commands import CommandSpec
from bot.core.listening import E, Listener, Listeners
from bot.core.permissions import Level


class Registry:
    def __init__(self) -> None:
        self._specs: dict[str, CommandSpec] = {}
        self.listeners = Listeners()

    def listen(self, event_type: type[E], listener: Listener[E]) -> None:
        """Call `listener` for every event of `event_type` (reactions, joins, linked accounts)."""
        self.listeners.listen(event_type, listener)

    def register(self, spec: CommandSpec) -> None:
        """Add a command (its spec checks itself when it is made)."""
        if spec.name in self._specs:
            raise ValueError(f"command /{spec.name} is registered twice")
        self._specs[spec.name] = spec

    def get(self, name: str) -> CommandSpec | None:
        return self._specs.get(name)

    def __iter__(self) -> Iterator[CommandSpec]:
        return iter(sorted(self._specs.values(), key=lambda s: s.name))

    def available_to(self, level: Level) -> list[CommandSpec]:
        return [spec for spec in self if spec.level <= level]

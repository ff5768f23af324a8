"""The platform-access port: what a platform's adapter offers for keeping roles and private
chats in line with the memberships (reconcile). The membership cog decides; the adapters list
and change access on their platforms."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bot.core.events import Platform


@dataclass(frozen=True)
class Access:
    """The platform access a set of tiers opens. Tiers may share a role or a chat: a member
    keeps it while any tier they hold opens it."""

    roles: frozenset[int] = frozenset()
    chats: frozenset[int] = frozenset()

    def __sub__(self, other: Access) -> Access:
        return Access(self.roles - other.roles, self.chats - other.chats)

    def __bool__(self) -> bool:
        return bool(self.roles or self.chats)


@dataclass(frozen=True)
class Holder:
    """A platform account and the managed roles (or chats) it holds now."""

    user_id: str
    held: frozenset[int]


class PlatformAccess(Protocol):
    """A platform's side of reconciling, implemented by its adapter."""

    platform: Platform

    def managed(self, access: Access) -> frozenset[int]:
        """The part of `access` that lives on this platform (role ids, or chat ids)."""
        ...

    def holders(
        self, managed: frozenset[int], suspects: Mapping[str, frozenset[int]]
    ) -> AsyncIterator[Holder]:
        """Who holds what of `managed`: every account where the platform can list them
        (Discord), else the `suspects`, asked only about the targets they may hold wrongly."""
        ...

    async def take(self, user_id: str, target: int, reason: str) -> None: ...


@runtime_checkable
class Restores(Protocol):
    """A platform where missing access can be put back (Discord roles). Nobody can be pulled
    into a Telegram chat (people come in by invitation or join request): there, only strays
    are repaired."""

    async def give(self, user_id: str, target: int, reason: str) -> None: ...

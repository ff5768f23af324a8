"""What every adapter provides to the application."""

from __future__ import annotations

from typing import Protocol


class Adapter(Protocol):
    name: str

    async def run(self) -> None:
        """Serve until the platform session ends or `stop` is called."""
        ...

    async def stop(self) -> None: ...

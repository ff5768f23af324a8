"""Effects: what a handler wants to happen. Adapters carry them out; handlers never call APIs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reply:
    """Answer the event that was handled, in the place it came from."""

    text: str
    # Only the actor sees it (Discord ephemeral message; elsewhere a plain reply).
    ephemeral: bool = False


Effect = Reply

"""Discord and Telegram as the demo's outbox sees them: every promise is kept at once, and each
post gets a message id, as the platform would give it, so members can react to it and reply."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from bot.core.effects import DurableEffect, Posted, PostToChat
from bot.core.outbox import Recipient

OnPost = Callable[[PostToChat, str], None]


class DemoPlatform:
    """One platform's deliverer: roles, DMs, edits are done (nobody sees them); a post is
    given the next message id and handed to `on_post`."""

    def __init__(self, platform: str, ids: itertools.count[int], on_post: OnPost) -> None:
        self.platform = platform
        self._ids = ids
        self._on_post = on_post

    async def deliver(self, effect: DurableEffect, recipient: Recipient | None) -> Posted | None:
        if not isinstance(effect, PostToChat):
            return None
        message = str(next(self._ids))
        self._on_post(effect, message)
        return Posted(((effect.chat_id, message),))

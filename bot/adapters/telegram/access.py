"""Telegram's side of reconciling. The Bot API cannot list a chat's members, so the accounts
worth asking about (former members, about the chats their ended tiers opened) are checked one
by one."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping

from telegram.error import InvalidToken

from bot.adapters.telegram.adapter import api_builder
from bot.adapters.telegram.gateway import TelegramGateway
from bot.config.schema import TelegramConfig
from bot.core.access import Access, Holder
from bot.core.events import Platform
from bot.errors import StartupError


class TelegramAccess:
    platform = Platform.TELEGRAM

    def __init__(self, gateway: TelegramGateway) -> None:
        self._gateway = gateway

    def managed(self, access: Access) -> frozenset[int]:
        return access.chats

    async def holders(
        self, managed: frozenset[int], suspects: Mapping[str, frozenset[int]]
    ) -> AsyncIterator[Holder]:
        for user_id in suspects:
            inside = [
                chat for chat in sorted(managed) if await self._gateway.is_member(chat, user_id)
            ]
            yield Holder(user_id, frozenset(inside))

    async def take(self, user_id: str, target: int, reason: str) -> None:
        await self._gateway.revoke_access(target, user_id)


@contextlib.asynccontextmanager
async def telegram_access(config: TelegramConfig, token: str) -> AsyncIterator[TelegramAccess]:
    """The Bot API alone, without receiving updates: enough for `knowpay reconcile`."""
    bot = api_builder(config, token).updater(None).build().bot
    try:
        await bot.initialize()
    except InvalidToken:
        await bot.shutdown()
        raise StartupError("TELEGRAM_TOKEN: Telegram rejected the token") from None
    try:
        yield TelegramAccess(TelegramGateway(bot))
    finally:
        await bot.shutdown()

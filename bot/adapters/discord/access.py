"""Discord's side of reconciling: list the server's members with their roles, page by page,
and put roles back or take them off."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping

import discord

from bot.adapters.discord.adapter import use_endpoints
from bot.adapters.discord.gateway import DiscordGateway
from bot.config.schema import DiscordConfig
from bot.core.access import Access, Holder
from bot.core.events import Platform
from bot.errors import StartupError

# The most members Discord returns per "List Guild Members" call.
PAGE = 1000


class DiscordAccess:
    platform = Platform.DISCORD

    def __init__(self, client: discord.Client, gateway: DiscordGateway, guild_id: int) -> None:
        self._client = client
        self._gateway = gateway
        self._guild_id = guild_id

    def managed(self, access: Access) -> frozenset[int]:
        return access.roles

    async def holders(
        self, managed: frozenset[int], suspects: Mapping[str, frozenset[int]]
    ) -> AsyncIterator[Holder]:
        after: int | None = None
        while True:
            page = await self._client.http.get_members(self._guild_id, PAGE, after)
            for member in page:
                user = member["user"]
                if not user.get("bot"):
                    roles = frozenset(int(role) for role in member["roles"])
                    yield Holder(str(user["id"]), roles & managed)
            if len(page) < PAGE:
                return
            after = int(page[-1]["user"]["id"])

    async def give(self, user_id: str, target: int, reason: str) -> None:
        await self._gateway.add_role(self._guild_id, int(user_id), target, reason)

    async def take(self, user_id: str, target: int, reason: str) -> None:
        await self._gateway.remove_role(self._guild_id, int(user_id), target, reason)


@contextlib.asynccontextmanager
async def discord_access(config: DiscordConfig, token: str) -> AsyncIterator[DiscordAccess]:
    """Discord's REST API alone, without the gateway: enough for `knowpay reconcile`."""
    if config.guild_id is None:
        raise StartupError("discord.guild_id: set it to reconcile roles in your server")
    use_endpoints(config)
    client = discord.Client(intents=discord.Intents.none())
    try:
        try:
            await client.login(token)
        except discord.LoginFailure:
            raise StartupError("DISCORD_TOKEN: Discord rejected the token") from None
        yield DiscordAccess(client, DiscordGateway(client), config.guild_id)
    finally:
        await client.close()

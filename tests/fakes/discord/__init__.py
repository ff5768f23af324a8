"""A fake Discord on loopback that the REAL discord.py 2.7 client runs against.

It speaks Discord's wire protocols: REST under /api/v10 and the JSON websocket gateway at /.
Point a client at it with `discord.http.Route.BASE = fake.api_base_url` and
`discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)`.

Where Discord's behaviour would surprise a bot, the fake behaves like Discord, so the adapter's
tests catch what production would hit:
- GUILD_CREATE lists every member only when the client asked for the GUILD_PRESENCES intent;
  otherwise just the bot (chunk with op 8 / `guild.chunk()` to fill the member cache).
- Without the MESSAGE_CONTENT intent, other users' messages arrive with empty content unless
  they mention the bot or are DMs; events the client has no intent for are not sent at all.
- An interaction must be answered within `interaction_deadline` seconds (3, as on Discord) and
  only once; follow-ups need the initial response first.
- The bot cannot grant a role at or above its own highest role, nor a managed role.
- 429 responses carry `Via` (discord.py treats a 429 without it as a Cloudflare ban).
- Deleting another user's message needs Manage Messages (the bot's role has it); a message
  already deleted is 404 Unknown Message. Deletions fire MESSAGE_DELETE.
- The bot edits only its own messages (403 50005 otherwise), within the limits of a new
  message (2000 characters, not empty). Edits fire MESSAGE_UPDATE.
- Threads: one per message, with the message's id; a forum channel takes no messages, only
  posts (a thread and its first message, which shares the thread's id). Creating either fires
  THREAD_CREATE; messages in a thread have the thread as their channel.
"""

from __future__ import annotations

from aiohttp import WSCloseCode, web

from bot.core.clock import Clock
from tests.fakes.discord.channels import Channels
from tests.fakes.discord.commands import Commands
from tests.fakes.discord.interactions import InteractionResult
from tests.fakes.discord.rest import Rest
from tests.fakes.discord.state import API_PREFIX, RecordedCall
from tests.fakes.discord.wire import JSON
from tests.fakes.recording import LoopbackServer

__all__ = ["JSON", "FakeDiscord", "InteractionResult", "RecordedCall"]


class FakeDiscord(Commands, Channels, Rest):
    """Discord for one guild and one bot, composed of its resources (gateway, guild, messages,
    channels, interactions, commands, REST). The public coroutines take `timeout` arguments
    (ruff's ASYNC109 is silenced on them) because the adapter's tests are written against that
    API. Everything it stamps (snowflakes, timestamps) reads `clock`, by default a FakeClock of
    its own: pass the test's clock to share it with the bot."""

    def __init__(
        self,
        *,
        guild_id: int = 111111111111111111,
        application_id: int = 900000000000000001,
        bot_user_id: int = 900000000000000001,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(
            guild_id=guild_id, application_id=application_id, bot_user_id=bot_user_id, clock=clock
        )
        self._server = LoopbackServer()
        self.add_user(bot_user_id, "knowpay", roles=[self.roles["bot"]], bot=True)
        self.add_user(self.owner_id, "owner", roles=[self.roles["admin"]])

    async def start(self) -> None:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_get("/", self._gateway)
        app.router.add_get("/attachments/{tail:.*}", self._serve_attachment)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._api)
        await self._server.start(app)
        self.api_base_url = self._server.url(API_PREFIX)
        self.gateway_url = self._server.url("/", scheme="ws")

    async def stop(self) -> None:
        """Close the server; close clients first, or discord.py will try to reconnect."""
        for conn in list(self._connections):
            await conn.ws.close(code=WSCloseCode.GOING_AWAY)
        await self._server.stop()

    def config(self, **more: object) -> dict[str, object]:
        """The `[discord]` settings that point knowpay at this fake, plus `more`."""
        return {
            "guild_id": self.guild_id,
            "api_base_url": self.api_base_url,
            "gateway_url": self.gateway_url,
            **more,
        }

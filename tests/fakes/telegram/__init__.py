"""A fake Telegram Bot API on loopback that the REAL python-telegram-bot 22.8 runs against.

Point an Application at it with
`ApplicationBuilder().token(FakeTelegram.TOKEN).base_url(fake.base_url)
.base_file_url(fake.base_file_url)` and poll (`updater.start_polling`) or set a webhook.

It answers `POST|GET /bot<token>/<method>` with `{"ok": true, "result": ...}` or
`{"ok": false, "error_code": N, "description": "...", "parameters": {...}}` and decodes
parameters as Telegram does (form-encoded, multipart, query string or JSON; nested objects as
JSON strings). Where Telegram's behaviour would surprise a bot, the fake behaves like Telegram,
so the adapter's tests catch what production would hit:
- allowed_updates is sticky (a getUpdates/setWebhook without it keeps the previous setting) and
  by default excludes chat_member, message_reaction and message_reaction_count; updates of a
  type not allowed when they happen are dropped, not held back (see `dropped_updates`).
- A getUpdates while a webhook is set is a 409; a newer getUpdates ends an older long poll with
  409 "terminated by other getUpdates request".
- In groups the bot sees message_reaction, chat_member and chat_join_request only as an
  administrator; without admin rights and with privacy mode on it sees only commands, replies
  to its messages and mentions of it.
- Texts are trimmed; parse_mode HTML is parsed into entities, bad markup is a 400
  "can't parse entities"; editing without a change is a 400 "message is not modified";
  editMessageText without reply_markup removes the inline keyboard. The bot edits only its own
  messages ("message can't be edited"; "message to edit not found" when there is none), and
  none in a group it is no longer in (403); its edits send it no edited_message update.
- Private messages to a user who blocked the bot or never started it are 403s (a pending join
  request lets the bot write to the requester, as on Telegram).
- unbanChatMember without only_if_banned removes a current member, as documented.
- A user without Telegram Premium has at most one reaction on a message: a new one replaces it.
- createForumTopic works only in forum supergroups and for an administrator; the topic's id is
  the id of its "topic created" service message, which messages in the topic reply to.
- Files: a user may send a document with a caption (a command in it, too); sendDocument takes
  a multipart upload of at most 50 MB and caption of at most 1024 characters; getFile refuses
  files over 20 MB ("file is too big"), and GET /file/bot<token>/<file_path> serves the bytes.
- deleteMessage follows the documented limits: the bot's own messages anywhere, anything in a
  private chat, other people's messages in a group as an administrator and in a supergroup as
  one with can_delete_messages (`set_member(..., withheld=...)` takes a right away); never a
  message older than 48 hours or a topic's "topic created" service message.
Webhook URLs may be plain http on loopback here (Telegram demands HTTPS on 443/80/88/8443).
Not modelled: media, inline mode, Markdown parse modes (accepted without entities), the 48 h
edit window, flood limits other than injected ones (`fail_next`).
"""

from __future__ import annotations

import aiohttp
from aiohttp import web

from bot.core.clock import Clock
from tests.fakes.recording import LoopbackServer, notify
from tests.fakes.telegram.api import Api
from tests.fakes.telegram.commands import Commands
from tests.fakes.telegram.edits import Edits
from tests.fakes.telegram.files import DOWNLOAD_LIMIT, UPLOAD_LIMIT, Files
from tests.fakes.telegram.invites import Invites
from tests.fakes.telegram.payments import Payments
from tests.fakes.telegram.reactions import Reactions
from tests.fakes.telegram.state import RecordedCall
from tests.fakes.telegram.wire import JSON

__all__ = ["DOWNLOAD_LIMIT", "JSON", "UPLOAD_LIMIT", "FakeTelegram", "RecordedCall"]


class FakeTelegram(Payments, Files, Reactions, Edits, Invites, Commands, Api):
    """The Bot API for one bot, its users and chats, composed of its resources (updates, chats,
    invites, commands, messages, edits, reactions, files, payments, the HTTP API). Public
    coroutines take `timeout` arguments (ruff's ASYNC109 is silenced on them) because the
    adapter's tests use them. Every date it stamps (messages, updates, edits, bans, invite
    links' expiry) reads `clock`, by default a FakeClock of its own: pass the test's clock to
    share it with the bot."""

    def __init__(
        self,
        *,
        community_chat_id: int = -1001111111111,
        forum: bool = False,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(community_chat_id=community_chat_id, clock=clock)
        self._server = LoopbackServer()
        self.add_user(self.OWNER_ID, "Owner", username="community_owner")
        self.add_chat(community_chat_id, "KnowPay Community", is_forum=forum)
        self.set_member(community_chat_id, self.OWNER_ID, "creator")
        self.set_member(community_chat_id, self.BOT_ID, "administrator")

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/file/bot{token}/{path:.*}", self._file)
        await self._server.start(app)
        self.base_url = self._server.url("/bot")
        self.base_file_url = self._server.url("/file/bot")
        self._sender.start(
            self._webhook_worker,
            name="fake-telegram-webhook",
            client_timeout=aiohttp.ClientTimeout(total=10),
        )

    async def stop(self) -> None:
        """Answer open long polls, stop webhook deliveries, close the server."""
        self._closing = True
        await notify(self._changed)
        await self._sender.stop()
        await self._server.stop()

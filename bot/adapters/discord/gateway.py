"""Effects -> Discord API calls. Mentions are off everywhere: user text never pings anyone."""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Sequence
from typing import Any

import discord
from discord.utils import MISSING

from bot.adapters.discord import translate
from bot.adapters.discord.ui import view_for
from bot.core.effects import Button, DirectMessage, Effect, Posted, Reply, StoredFile
from bot.core.text import clean_name, first_message, split_message

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 2000
THREAD_NAME_LIMIT = 100
NO_MENTIONS = discord.AllowedMentions.none()
# Discord's error code for "Cannot send messages to this user" (DMs closed, or no shared server).
DMS_CLOSED = 50007
UNKNOWN_MEMBER = 10007
UNKNOWN_CHANNEL = 10003
UNKNOWN_MESSAGE = 10008


class DeliveryRefused(Exception):
    """Discord refused for good (DMs closed, missing permission): retrying will not help."""


class DiscordGateway:
    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def respond(self, interaction: discord.Interaction, effects: Sequence[Effect]) -> None:
        """Carry out a command's effects as answers to the interaction that asked for them."""
        for effect in effects:
            if isinstance(effect, Reply):
                await self._answer(interaction, effect.text, effect.ephemeral, effect.buttons)
            elif isinstance(effect, DirectMessage):
                try:
                    await self.send_dm(interaction.user.id, effect.text, effect.buttons)
                except DeliveryRefused:
                    await self._answer(interaction, effect.notice, True, ())
        if not interaction.response.is_done():
            # Nothing to say in the channel (say, only a DM went out): acknowledge quietly so
            # Discord does not show "the application did not respond".
            await interaction.response.defer(ephemeral=True, thinking=True)
            await interaction.delete_original_response()

    async def send_dm(
        self,
        user_id: int,
        text: str,
        buttons: Sequence[Button] = (),
        file: StoredFile | None = None,
    ) -> list[int]:
        try:
            channel = await self._client.create_dm(discord.Object(user_id))
            return await self._send(channel, text, buttons, file)
        except discord.Forbidden as error:
            if error.code == DMS_CLOSED:
                raise DeliveryRefused(f"user {user_id} does not accept DMs") from error
            raise DeliveryRefused(str(error)) from error

    async def post(
        self,
        channel_id: int,
        text: str,
        buttons: Sequence[Button] = (),
        file: StoredFile | None = None,
    ) -> list[int]:
        """Post to a channel; returns the ids of the messages (long text becomes several, and
        the file goes on the last, with the buttons)."""
        channel = self._client.get_partial_messageable(channel_id)
        try:
            return await self._send(channel, text, buttons, file)
        except discord.Forbidden as error:
            raise DeliveryRefused(f"cannot post in channel {channel_id}: {error.text}") from error

    async def post_thread(
        self, channel_id: int, title: str, text: str, buttons: Sequence[Button] = ()
    ) -> Posted:
        """Start a thread named `title` with `text`: in a text channel a message and a public
        thread from it, in a forum channel a forum post. A long text goes on in the thread,
        and the buttons under its last message."""
        name = clean_name(title, THREAD_NAME_LIMIT)
        first, *rest = split_message(text, MESSAGE_LIMIT) or [name]
        view = None if rest else view_for(buttons)
        try:
            channel = await self._client.fetch_channel(channel_id)
            if isinstance(channel, discord.ForumChannel):
                created = await channel.create_thread(
                    name=name, content=first, allowed_mentions=NO_MENTIONS, view=_attached(view)
                )
                thread, opening = created.thread, created.message
            elif isinstance(channel, discord.TextChannel):
                opening = await channel.send(
                    first, allowed_mentions=NO_MENTIONS, view=_attached(view)
                )
                thread = await opening.create_thread(name=name)
            else:
                raise DeliveryRefused(
                    f"channel {channel_id} is a {type(channel).__name__}: a thread needs a text "
                    "or forum channel"
                )
            _forget(view)
            later = await self._send_chunks(thread, rest, buttons)
        except discord.Forbidden as error:
            raise DeliveryRefused(
                f"cannot start a thread in channel {channel_id} ({error.text}): the bot needs "
                "Send Messages, Create Public Threads and Send Messages in Threads there"
            ) from error
        except discord.NotFound as error:
            raise DeliveryRefused(f"channel {channel_id}: {error.text}") from error
        messages = [(opening.channel.id, opening.id), *((thread.id, m) for m in later)]
        return Posted(
            messages=tuple((str(chat), str(message)) for chat, message in messages),
            thread=translate.place(thread.id, thread.guild.id),
        )

    async def post_file(self, channel_id: int, data: bytes, *, filename: str) -> int:
        """A file (a report's chart) as a message of its own; returns its id."""
        channel = self._client.get_partial_messageable(channel_id)
        try:
            message = await channel.send(file=discord.File(io.BytesIO(data), filename=filename))
        except discord.Forbidden as error:
            raise DeliveryRefused(f"cannot post in channel {channel_id}: {error.text}") from error
        return message.id

    async def add_role(self, guild_id: int, user_id: int, role_id: int, reason: str) -> None:
        # Straight to REST: the member need not be in the cache, and 429s are retried by
        # discord.py's HTTP client after the retry_after Discord asks for.
        try:
            await self._client.http.add_role(guild_id, user_id, role_id, reason=reason)
        except discord.Forbidden as error:
            raise DeliveryRefused(_role_refusal(role_id, error)) from error
        except discord.NotFound as error:
            # Not in the server (yet): the role is given when they join (GUILD_MEMBER_ADD).
            if error.code != UNKNOWN_MEMBER:
                raise
            log.info("Discord: user %d is not in the server; role %d waits", user_id, role_id)

    async def remove_role(self, guild_id: int, user_id: int, role_id: int, reason: str) -> None:
        try:
            await self._client.http.remove_role(guild_id, user_id, role_id, reason=reason)
        except discord.Forbidden as error:
            raise DeliveryRefused(_role_refusal(role_id, error)) from error
        except discord.NotFound as error:
            if error.code != UNKNOWN_MEMBER:
                raise
            # Someone who left the server holds no role any more: nothing to take.

    async def delete_message(self, channel_id: int, message_id: int, reason: str) -> None:
        # Straight to REST: the message (someone else's, in a thread) need not be cached.
        await _change_message(
            self._client.http.delete_message(channel_id, message_id, reason=reason),
            f"delete message {message_id} in channel {channel_id}",
            "the bot needs Manage Messages there",
        )

    async def edit_message(
        self, channel_id: int, message_id: int, text: str, buttons: Sequence[Button] = ()
    ) -> None:
        """Put `text` (cut to one message) and `buttons` in place of what one of the bot's
        messages said; one that is gone needs no edit."""
        view = view_for(buttons)
        message = self._client.get_partial_messageable(channel_id).get_partial_message(message_id)
        await _change_message(
            # view=None takes buttons away: the edit replaces them, as its effect says.
            message.edit(
                content=first_message(text, MESSAGE_LIMIT), allowed_mentions=NO_MENTIONS, view=view
            ),
            f"edit message {message_id} in channel {channel_id}",
            "the bot can edit only its own messages, in channels it can see",
        )
        _forget(view)

    async def react(self, channel_id: int, message_id: int, emoji: str) -> None:
        await self._client.http.add_reaction(channel_id, message_id, emoji)

    async def _answer(
        self,
        interaction: discord.Interaction,
        text: str,
        ephemeral: bool,
        buttons: Sequence[Button],
    ) -> None:
        chunks = split_message(text, MESSAGE_LIMIT)
        for index, chunk in enumerate(chunks):
            view = view_for(buttons) if index == len(chunks) - 1 else None
            attached = _attached(view)
            if interaction.response.is_done():
                await interaction.followup.send(
                    chunk, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS, view=attached
                )
            else:
                await interaction.response.send_message(
                    chunk, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS, view=attached
                )
            _forget(view)

    async def _send(
        self,
        channel: discord.abc.Messageable,
        text: str,
        buttons: Sequence[Button],
        file: StoredFile | None = None,
    ) -> list[int]:
        chunks = split_message(text, MESSAGE_LIMIT)
        return await self._send_chunks(channel, chunks, buttons, file)

    async def _send_chunks(
        self,
        channel: discord.abc.Messageable,
        chunks: Sequence[str],
        buttons: Sequence[Button],
        file: StoredFile | None = None,
    ) -> list[int]:
        sent: list[int] = []
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            view = view_for(buttons) if last else None
            # A multipart upload (files[0]) on the same message: an edit of the text keeps it.
            upload = (
                discord.File(io.BytesIO(file.data), filename=file.filename)
                if last and file is not None
                else MISSING
            )
            message = await channel.send(
                chunk, allowed_mentions=NO_MENTIONS, view=_attached(view), file=upload
            )
            _forget(view)
            sent.append(message.id)
        return sent


def _attached(view: discord.ui.View | None) -> Any:
    """discord.py wants MISSING, not None, for a message without a view."""
    return view if view is not None else MISSING


def _forget(view: discord.ui.View | None) -> None:
    """Command buttons are dynamic items found by their custom id: the view need not be kept."""
    if view is not None:
        view.stop()


async def _change_message(change: Awaitable[object], what: str, needs: str) -> None:
    """Wait for a change to a message: a refusal is final, and a message that is gone (deleted
    by hand, or with its thread) is past changing, which leaves nothing to do."""
    try:
        await change
    except discord.Forbidden as error:
        raise DeliveryRefused(f"cannot {what} ({error.text}): {needs}") from error
    except discord.NotFound as error:
        if error.code not in (UNKNOWN_MESSAGE, UNKNOWN_CHANNEL):
            raise


def _role_refusal(role_id: int, error: discord.Forbidden) -> str:
    return (
        f"cannot change role {role_id} ({error.text}): the bot needs Manage Roles and its own "
        "role must sit above the roles it grants"
    )

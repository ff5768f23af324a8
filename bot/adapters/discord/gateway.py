"""Effects -> Discord API calls. Mentions are off everywhere: user text never pings anyone."""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence

import discord
from discord.utils import MISSING

from bot.adapters.discord.ui import view_for
from bot.core.effects import Button, DirectMessage, Effect, Reply
from bot.core.text import split_message

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 2000
NO_MENTIONS = discord.AllowedMentions.none()
# Discord's error code for "Cannot send messages to this user" (DMs closed, or no shared server).
DMS_CLOSED = 50007
UNKNOWN_MEMBER = 10007


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

    async def send_dm(self, user_id: int, text: str, buttons: Sequence[Button] = ()) -> list[int]:
        try:
            channel = await self._client.create_dm(discord.Object(user_id))
            return await self._send(channel, text, buttons)
        except discord.Forbidden as error:
            if error.code == DMS_CLOSED:
                raise DeliveryRefused(f"user {user_id} does not accept DMs") from error
            raise DeliveryRefused(str(error)) from error

    async def post(self, channel_id: int, text: str, buttons: Sequence[Button] = ()) -> list[int]:
        """Post to a channel; returns the ids of the messages (long text becomes several)."""
        try:
            return await self._send(self._client.get_partial_messageable(channel_id), text, buttons)
        except discord.Forbidden as error:
            raise DeliveryRefused(f"cannot post in channel {channel_id}: {error.text}") from error

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
            attached = view if view is not None else MISSING
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
        self, channel: discord.abc.Messageable, text: str, buttons: Sequence[Button]
    ) -> list[int]:
        chunks = split_message(text, MESSAGE_LIMIT)
        sent: list[int] = []
        for index, chunk in enumerate(chunks):
            view = view_for(buttons) if index == len(chunks) - 1 else None
            attached = view if view is not None else MISSING
            message = await channel.send(chunk, allowed_mentions=NO_MENTIONS, view=attached)
            _forget(view)
            sent.append(message.id)
        return sent


def _forget(view: discord.ui.View | None) -> None:
    """Command buttons are dynamic items found by their custom id: the view need not be kept."""
    if view is not None:
        view.stop()


def _role_refusal(role_id: int, error: discord.Forbidden) -> str:
    return (
        f"cannot change role {role_id} ({error.text}): the bot needs Manage Roles and its own "
        "role must sit above the roles it grants"
    )

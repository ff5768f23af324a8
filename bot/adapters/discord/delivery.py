"""The outbox's deliverer for Discord: DMs, roles, posts, edits and deletions promised in past
transactions."""

from __future__ import annotations

from bot.adapters.base import file_to_upload
from bot.adapters.discord.gateway import DeliveryRefused, DiscordGateway
from bot.core.effects import (
    DeleteMessage,
    DurableEffect,
    EditMessage,
    FileLoader,
    GrantDiscordRole,
    NotifyMember,
    Posted,
    PostToChat,
    RevokeDiscordRole,
)
from bot.core.outbox import PermanentFailure, Recipient


class DiscordDeliverer:
    platform = "discord"

    def __init__(
        self, gateway: DiscordGateway, guild_id: int | None, files: FileLoader | None = None
    ) -> None:
        self._gateway = gateway
        self._guild_id = guild_id
        self._files = files

    async def deliver(self, effect: DurableEffect, recipient: Recipient | None) -> Posted | None:
        try:
            if isinstance(effect, PostToChat):
                return await self._post(effect)
            if isinstance(effect, DeleteMessage):
                await self._gateway.delete_message(
                    int(effect.chat_id), int(effect.message_id), effect.reason
                )
                return None
            if isinstance(effect, EditMessage):
                await self._gateway.edit_message(
                    int(effect.chat_id), int(effect.message_id), effect.text, effect.buttons
                )
                return None
            await self._deliver(effect, recipient)
        except DeliveryRefused as refusal:
            raise PermanentFailure(str(refusal)) from refusal
        return None

    async def _post(self, effect: PostToChat) -> Posted:
        channel = int(effect.chat_id)
        if effect.thread_title is not None:
            return await self._gateway.post_thread(
                channel, effect.thread_title, effect.text, effect.buttons
            )
        file = await file_to_upload(self._files, effect.file_id, self.platform)
        sent = await self._gateway.post(channel, effect.text, effect.buttons, file)
        return Posted(tuple((str(channel), str(message)) for message in sent))

    async def _deliver(self, effect: DurableEffect, recipient: Recipient | None) -> None:
        if recipient is None:
            raise PermanentFailure(f"{type(effect).__name__} needs a Discord account")
        user_id = int(recipient.user_id)
        if isinstance(effect, NotifyMember):
            file = await file_to_upload(self._files, effect.file_id, self.platform)
            await self._gateway.send_dm(user_id, effect.text, effect.buttons, file)
        elif isinstance(effect, GrantDiscordRole | RevokeDiscordRole):
            if self._guild_id is None:
                raise PermanentFailure("[discord] guild_id is not set: roles cannot be managed")
            change = (
                self._gateway.add_role
                if isinstance(effect, GrantDiscordRole)
                else self._gateway.remove_role
            )
            await change(self._guild_id, user_id, effect.role_id, effect.reason)
        else:
            raise PermanentFailure(f"Discord cannot carry out {type(effect).__name__}")


class DiscordReportPoster:
    """The weekly report in the report channel: its text, then its chart."""

    platform = "discord"

    def __init__(self, gateway: DiscordGateway, channel_id: int) -> None:
        self._gateway = gateway
        self._channel_id = channel_id

    async def publish(self, text: str, chart: bytes, *, filename: str) -> None:
        await self._gateway.post(self._channel_id, text)
        await self._gateway.post_file(self._channel_id, chart, filename=filename)

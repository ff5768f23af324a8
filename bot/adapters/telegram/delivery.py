"""The outbox's deliverer for Telegram: DMs, chat access, posts, edits and deletions."""

from __future__ import annotations

from datetime import timedelta

from telegram.error import BadRequest, Forbidden

from bot.adapters.base import file_to_upload
from bot.adapters.telegram.gateway import DeliveryRefused, TelegramGateway
from bot.core.clock import Clock
from bot.core.effects import (
    AdmitToTelegramChat,
    DeleteMessage,
    DurableEffect,
    EditMessage,
    FileLoader,
    NotifyMember,
    Posted,
    PostToChat,
    RemoveFromTelegramChat,
)
from bot.core.outbox import PermanentFailure, Recipient

INVITE_VALID = timedelta(days=2)


class TelegramDeliverer:
    platform = "telegram"

    def __init__(
        self, gateway: TelegramGateway, clock: Clock, files: FileLoader | None = None
    ) -> None:
        self._gateway = gateway
        self._clock = clock
        self._files = files

    async def deliver(self, effect: DurableEffect, recipient: Recipient | None) -> Posted | None:
        try:
            if isinstance(effect, PostToChat):
                return await self._post(effect)
            if isinstance(effect, DeleteMessage):
                await self._gateway.delete_message(effect.chat_id, effect.message_id)
                return None
            if isinstance(effect, EditMessage):
                await self._gateway.edit_message(
                    effect.chat_id, effect.message_id, effect.text, effect.buttons
                )
                return None
            await self._deliver(effect, recipient)
        except (DeliveryRefused, Forbidden, BadRequest) as refusal:
            raise PermanentFailure(str(refusal)) from refusal
        return None

    async def _post(self, effect: PostToChat) -> Posted:
        if effect.thread_title is not None:
            return await self._gateway.post_thread(
                effect.chat_id, effect.thread_title, effect.text, effect.buttons
            )
        file = await file_to_upload(self._files, effect.file_id, self.platform)
        sent = await self._gateway.send(effect.chat_id, effect.text, buttons=effect.buttons)
        # The file follows the text as a document: a caption holds only 1024 characters. It is
        # one of the post's messages, so deleting the post takes it down too.
        if file is not None:
            sent.append(await self._gateway.send_document(effect.chat_id, file))
        return Posted(tuple((effect.chat_id, str(message)) for message in sent))

    async def _deliver(self, effect: DurableEffect, recipient: Recipient | None) -> None:
        if recipient is None:
            raise PermanentFailure(f"{type(effect).__name__} needs a Telegram account")
        user_id = recipient.user_id
        if isinstance(effect, NotifyMember):
            file = await file_to_upload(self._files, effect.file_id, self.platform)
            await self._gateway.send_dm(user_id, effect.text, effect.buttons, file)
        elif isinstance(effect, AdmitToTelegramChat):
            if await self._gateway.is_member(effect.chat_id, user_id):
                return  # already in: no invitation to send
            # A link for this member alone (one use), sent privately: nobody else gets in on it.
            link = await self._gateway.single_use_invite(
                effect.chat_id,
                name=f"member {recipient.member_id}",
                expires=self._clock.now() + INVITE_VALID,
            )
            await self._gateway.send_dm(user_id, f"{effect.text}\n{link}")
        elif isinstance(effect, RemoveFromTelegramChat):
            await self._gateway.revoke_access(effect.chat_id, user_id)
        else:
            raise PermanentFailure(f"Telegram cannot carry out {type(effect).__name__}")


class TelegramReportPoster:
    """The weekly report in the report chat: its text, then its chart as a photo."""

    platform = "telegram"

    def __init__(self, gateway: TelegramGateway, chat_id: int) -> None:
        self._gateway = gateway
        self._chat_id = chat_id

    async def publish(self, text: str, chart: bytes, *, filename: str) -> None:
        await self._gateway.send(self._chat_id, text)
        await self._gateway.send_photo(self._chat_id, chart, filename=filename)

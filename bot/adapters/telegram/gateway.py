"""Effects -> Bot API calls: messages (escaped HTML, split at Telegram's limit), DMs, reactions,
join requests, invite links, access revocation, posts that start a forum topic, edits and
deletions."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from functools import partial
from typing import TypeVar

from telegram import (
    Bot,
    ChatFullInfo,
    ForceReply,
    ForumTopic,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LabeledPrice,
    LinkPreviewOptions,
    Message,
    ReactionTypeEmoji,
    ReplyParameters,
)
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.adapters.telegram import translate
from bot.adapters.telegram.render import to_html
from bot.adapters.telegram.translate import COMMAND_BUTTON_PREFIX
from bot.core.effects import Button, Invoice, Posted, StoredFile
from bot.core.text import clean_name, first_message, split_message, with_heading

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 4096
TOPIC_NAME_LIMIT = 128
CALLBACK_DATA_LIMIT = 64  # bytes
NETWORK_ATTEMPTS = 3
T = TypeVar("T")


PRESENT = frozenset(
    {ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.MEMBER}
)


class DeliveryRefused(Exception):
    """Telegram refused for good (the user blocked the bot or never started it, no rights)."""


class TelegramGateway:
    def __init__(self, bot: Bot) -> None:
        self._bot = bot
        # Asked once per chat, for whether it is a forum: that hardly ever changes.
        self._chats: dict[str, ChatFullInfo] = {}

    async def send(
        self,
        chat_id: int | str,
        text: str,
        *,
        thread_id: int | str | None = None,
        reply_to: int | str | None = None,
        buttons: Sequence[Button] = (),
        prompt: bool = False,
    ) -> list[int]:
        """Send `text` (several messages if long); buttons go under the last one. `prompt`
        asks the member to answer by replying (Telegram's force-reply)."""
        sent = await self._send(
            chat_id, text, thread_id=thread_id, reply_to=reply_to, buttons=buttons, prompt=prompt
        )
        return [message.message_id for message in sent]

    async def post_thread(
        self, chat_id: int | str, title: str, text: str, buttons: Sequence[Button] = ()
    ) -> Posted:
        """Start a thread named `title` with `text`: a topic of a forum group, with the text in
        it; in other chats the text under the title, and the replies to it are its thread."""
        try:
            chat = await self._chat(chat_id)
            if chat.is_forum:
                topic = await self._create_topic(chat_id, title)
                sent = await self._send(
                    chat_id, text, thread_id=topic.message_thread_id, buttons=buttons
                )
                thread = translate.place(chat.to_dict(), topic.message_thread_id)
            else:
                sent = await self._send(chat_id, with_heading(title, text), buttons=buttons)
                thread = None
        except (BadRequest, Forbidden) as error:
            raise DeliveryRefused(f"cannot post in chat {chat_id}: {error.message}") from error
        messages = tuple((str(message.chat.id), str(message.message_id)) for message in sent)
        return Posted(messages, thread)

    async def _chat(self, chat_id: int | str) -> ChatFullInfo:
        key = str(chat_id)
        if key not in self._chats:
            self._chats[key] = await _retrying(lambda: self._bot.get_chat(chat_id))
        return self._chats[key]

    async def _create_topic(self, chat_id: int | str, title: str) -> ForumTopic:
        name = clean_name(title, TOPIC_NAME_LIMIT)
        try:
            return await _retrying(lambda: self._bot.create_forum_topic(chat_id, name))
        except BadRequest as error:
            raise DeliveryRefused(
                f"cannot create a topic in chat {chat_id} ({error.message}): the bot must be "
                "an administrator allowed to manage topics"
            ) from error

    async def _send(
        self,
        chat_id: int | str,
        text: str,
        *,
        thread_id: int | str | None = None,
        reply_to: int | str | None = None,
        buttons: Sequence[Button] = (),
        prompt: bool = False,
    ) -> list[Message]:
        chunks = split_message(text, MESSAGE_LIMIT)
        sent: list[Message] = []
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            markup = (
                (ForceReply(selective=True) if prompt else _keyboard(buttons)) if last else None
            )
            reply = (
                ReplyParameters(int(reply_to), allow_sending_without_reply=True)
                if reply_to is not None and index == 0
                else None
            )
            message = await _retrying(
                partial(
                    self._bot.send_message,
                    chat_id=chat_id,
                    text=to_html(chunk),
                    parse_mode=ParseMode.HTML,
                    message_thread_id=int(thread_id) if thread_id is not None else None,
                    reply_parameters=reply,
                    reply_markup=markup,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                )
            )
            sent.append(message)
        return sent

    async def send_photo(self, chat_id: int | str, image: bytes, *, filename: str) -> int:
        """An image (a report's chart) as a photo message; returns its message id."""
        message = await _retrying(
            lambda: self._bot.send_photo(chat_id, InputFile(image, filename=filename))
        )
        return message.message_id

    async def send_document(
        self, chat_id: int | str, file: StoredFile, *, thread_id: int | str | None = None
    ) -> int:
        """A file (a drop's PDF) as a document message of its own, uploaded as multipart;
        returns its message id."""
        message = await _retrying(
            partial(
                self._bot.send_document,
                chat_id=chat_id,
                document=InputFile(file.data, filename=file.filename),
                message_thread_id=int(thread_id) if thread_id is not None else None,
            )
        )
        return message.message_id

    async def download(self, file_id: str) -> bytes:
        """A file a member sent (getFile, then the file path under the file base URL)."""
        found = await _retrying(lambda: self._bot.get_file(file_id))
        return bytes(await found.download_as_bytearray())

    async def send_dm(
        self,
        user_id: int | str,
        text: str,
        buttons: Sequence[Button] = (),
        file: StoredFile | None = None,
    ) -> list[int]:
        try:
            sent = await self.send(user_id, text, buttons=buttons)
            if file is not None:
                sent.append(await self.send_document(user_id, file))
            return sent
        except Forbidden as error:
            # "bot was blocked by the user" or "bot can't initiate conversation with a user"
            raise DeliveryRefused(f"user {user_id}: {error.message}") from error

    async def react(self, chat_id: int | str, message_id: int | str, emoji: str) -> None:
        await _retrying(
            lambda: self._bot.set_message_reaction(
                chat_id, int(message_id), ReactionTypeEmoji(emoji)
            )
        )

    async def delete_message(self, chat_id: int | str, message_id: int | str) -> None:
        """Take a message out of a chat; one already gone counts as taken out."""
        await _change_message(
            lambda: self._bot.delete_message(chat_id, int(message_id)),
            f"delete message {message_id} in chat {chat_id}",
            # Deleted by someone else, or by us before a retried outbox item: what we wanted.
            past=("message to delete not found",),
            needs=": the bot must be an administrator allowed to delete messages",
        )

    async def edit_message(
        self,
        chat_id: int | str,
        message_id: int | str,
        text: str,
        buttons: Sequence[Button] = (),
    ) -> None:
        """Put `text` (cut to one message, rendered as `send` renders) and `buttons` in place of
        what one of the bot's messages said; one that is gone, or says it already, is done."""
        await _change_message(
            partial(
                self._bot.edit_message_text,
                chat_id=chat_id,
                message_id=int(message_id),
                text=to_html(first_message(text, MESSAGE_LIMIT)),
                parse_mode=ParseMode.HTML,
                reply_markup=_keyboard(buttons),
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            ),
            f"edit message {message_id} in chat {chat_id}",
            # Already edited (a retried outbox item), or deleted: nothing is left to change.
            past=("message is not modified", "message to edit not found"),
        )

    async def answer_join_request(
        self, chat_id: int | str, user_id: int | str, approved: bool
    ) -> None:
        if approved:
            await _retrying(lambda: self._bot.approve_chat_join_request(chat_id, int(user_id)))
        else:
            await _retrying(lambda: self._bot.decline_chat_join_request(chat_id, int(user_id)))

    async def single_use_invite(self, chat_id: int | str, *, name: str, expires: datetime) -> str:
        """A link that lets exactly one person in, until `expires`."""
        link = await _retrying(
            lambda: self._bot.create_chat_invite_link(
                chat_id, name=name[:32], expire_date=expires, member_limit=1
            )
        )
        return link.invite_link

    async def is_member(self, chat_id: int | str, user_id: int | str) -> bool:
        """Is the user in the chat now (a member, admin or owner, or restricted but present)?"""
        try:
            found = await _retrying(lambda: self._bot.get_chat_member(chat_id, int(user_id)))
        except BadRequest:
            return False  # "user not found": never been there
        if found.status == ChatMemberStatus.RESTRICTED:
            return bool(getattr(found, "is_member", False))
        return found.status in PRESENT

    async def revoke_access(self, chat_id: int | str, user_id: int | str) -> None:
        """Remove someone from a private chat. Ban, then unban at once: they are out now, and
        free to come back through a join request when they pay again."""
        try:
            await _retrying(lambda: self._bot.ban_chat_member(chat_id, int(user_id)))
            await _retrying(
                lambda: self._bot.unban_chat_member(chat_id, int(user_id), only_if_banned=True)
            )
        except Forbidden as error:
            raise DeliveryRefused(f"chat {chat_id}: {error.message}") from error

    async def send_invoice(self, chat_id: int | str, invoice: Invoice) -> int:
        """A Stars invoice: currency XTR, no provider token, one price line."""
        message = await _retrying(
            partial(
                self._bot.send_invoice,
                chat_id=chat_id,
                title=invoice.title[:32],
                description=invoice.description[:255],
                payload=invoice.payload,
                currency="XTR",
                prices=[LabeledPrice(invoice.title[:32], invoice.stars)],
                provider_token="",
            )
        )
        return message.message_id

    async def refund_star_payment(self, user_id: str, charge_id: str) -> None:
        try:
            await _retrying(lambda: self._bot.refund_star_payment(int(user_id), charge_id))
        except BadRequest as error:
            # Asked again (a retried outbox item): it was refunded, which is what we wanted.
            if "already_refunded" not in error.message.lower():
                raise

    async def answer_button(self, callback_query_id: str) -> None:
        await _retrying(lambda: self._bot.answer_callback_query(callback_query_id))


def _keyboard(buttons: Sequence[Button]) -> InlineKeyboardMarkup | None:
    row: list[InlineKeyboardButton] = []
    for button in buttons:
        if button.url is not None:
            row.append(InlineKeyboardButton(button.label, url=button.url))
            continue
        data = f"{COMMAND_BUTTON_PREFIX}{button.command}"
        if len(data.encode()) > CALLBACK_DATA_LIMIT:
            # Telegram keeps 64 bytes per button; a longer command cannot ride on one.
            log.warning("Telegram: button %r dropped, its command is too long", button.label)
            continue
        row.append(InlineKeyboardButton(button.label, callback_data=data))
    return InlineKeyboardMarkup([row]) if row else None


async def _change_message(
    call: Callable[[], Awaitable[object]], what: str, *, past: Sequence[str], needs: str = ""
) -> None:
    """Change a message: a BadRequest saying it is `past` the change (gone, or changed
    already) leaves nothing to do; any other refusal is final."""
    try:
        await _retrying(call)
    except BadRequest as error:
        if any(reason in error.message.lower() for reason in past):
            return
        raise DeliveryRefused(f"cannot {what} ({error.message}){needs}") from error
    except Forbidden as error:
        raise DeliveryRefused(f"cannot {what}: {error.message}") from error


async def _retrying(call: Callable[[], Awaitable[T]]) -> T:
    """Network hiccups are retried with a short backoff; RetryAfter is the rate limiter's job
    (AIORateLimiter waits what Telegram asks), and reaches us only after its own retries."""
    for attempt in range(1, NETWORK_ATTEMPTS + 1):
        try:
            return await call()
        except (RetryAfter, BadRequest):
            raise  # BadRequest is a NetworkError in PTB, but retrying cannot fix a bad request
        except (TimedOut, NetworkError) as error:
            if attempt == NETWORK_ATTEMPTS:
                raise
            log.warning("Telegram: %s, retrying (%d/%d)", error, attempt, NETWORK_ATTEMPTS)
            await asyncio.sleep(0.5 * attempt)
    raise AssertionError("unreachable")

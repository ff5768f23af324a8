"""The Telegram adapter: python-telegram-bot for the connection, translate.py for meaning,
the dispatcher for what to do, gateway.py to do it."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from dataclasses import dataclass, replace
from functools import partial
from typing import Protocol

from aiohttp import web
from telegram import PreCheckoutQuery, Update
from telegram.constants import FileSizeLimit
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.adapters.telegram import commands, translate
from bot.adapters.telegram.gateway import DeliveryRefused, TelegramGateway
from bot.config import Settings
from bot.config.schema import TelegramConfig
from bot.core.dispatcher import Dispatcher
from bot.core.effects import (
    Ask,
    Button,
    DirectMessage,
    Effect,
    Invoice,
    JoinRequestAnswer,
    Reply,
)
from bot.core.events import Attachment, CommandEvent, MessagePosted, PlatformEvent
from bot.core.i18n import N_
from bot.core.parsing import attachment_param, split_command
from bot.errors import StartupError

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# message_reaction and chat_member come only when asked for by name.
ALLOWED_UPDATES = [
    "message",
    "callback_query",
    "message_reaction",
    "chat_join_request",
    "chat_member",
    "pre_checkout_query",
]
PROMPT_SECONDS = 15 * 60
PROMPTS_KEPT = 1000


class StarsCheckout(Protocol):
    """Whoever takes payments in Telegram Stars: asked before Telegram takes the stars, told
    after it did (the composition root wires the Stars provider's side here)."""

    async def may_pay(self, payload: str, amount: int, currency: str) -> bool: ...

    async def paid(
        self, *, payload: str, charge_id: str, user_id: str, amount: int, currency: str
    ) -> object: ...


@dataclass(frozen=True)
class _Prompt:
    """A command waiting for a value it needs, which the member sends as a reply to the
    question (a file they send along is the command's too)."""

    command: CommandEvent
    asked: Ask
    asked_at: float


def webhook_secret(token: str) -> str:
    """The secret Telegram sends with each webhook call, derived from the token so there is no
    second secret to manage; it reveals nothing about the token."""
    return hmac.new(token.encode(), b"knowpay telegram webhook", hashlib.sha256).hexdigest()


def file_base_url(api_base_url: str) -> str:
    """`https://api.telegram.org/bot` -> `https://api.telegram.org/file/bot` (PTB's pair)."""
    root, _, tail = api_base_url.rstrip("/").rpartition("/")
    return f"{root}/file/{tail}"


def api_builder(config: TelegramConfig, token: str) -> ApplicationBuilder:  # type: ignore[type-arg]
    """The Bot API client every use of the token shares: base URLs, and the rate limiter that
    waits what Telegram asks."""
    return (
        ApplicationBuilder()
        .token(token)
        .base_url(config.api_base_url)
        .base_file_url(file_base_url(config.api_base_url))
        .rate_limiter(AIORateLimiter(max_retries=3))
        # knowpay keeps one scheduler of its own (APScheduler); PTB must not start another.
        .job_queue(None)
    )


class TelegramAdapter:
    name = "telegram"

    def __init__(
        self,
        dispatcher: Dispatcher,
        settings: Settings,
        token: str,
        web_app: web.Application | None = None,
        stars: StarsCheckout | None = None,
    ) -> None:
        self._dispatcher = dispatcher
        self._stars = stars
        self._config = settings.telegram
        self._public_url = settings.server.public_url
        self._secret = webhook_secret(token)
        builder = api_builder(self._config, token)
        if self._config.mode == "webhook":
            builder = builder.updater(None)
            if web_app is None:
                raise ValueError("webhook mode needs the web app to receive updates")
            web_app.router.add_post(WEBHOOK_PATH, self._webhook)
        self.application: Application = builder.build()  # type: ignore[type-arg]
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self.application.add_error_handler(self._on_error)
        self.gateway = TelegramGateway(self.application.bot)
        self._facts = translate.ChatFacts(self._config, bot_username="")
        self._prompts: dict[tuple[str, str], _Prompt] = {}
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        app = self.application
        try:
            await app.initialize()
        except InvalidToken:
            await app.bot.shutdown()  # its HTTP clients are already open
            raise StartupError(
                "TELEGRAM_TOKEN: Telegram rejected the token (ask @BotFather for the current one)"
            ) from None
        except NetworkError as error:
            await app.bot.shutdown()
            raise StartupError(
                f"telegram.api_base_url: cannot reach the Bot API at {self._config.api_base_url} "
                f"({type(error).__name__})"
            ) from None
        try:
            self._facts = translate.ChatFacts(self._config, bot_username=app.bot.username)
            menus = await commands.publish(app.bot, self._dispatcher.registry, self._facts)
            await self._connect()
            await app.start()
            log.info(
                "Telegram: connected as @%s (%s, %d command menus)",
                app.bot.username,
                self._config.mode,
                menus,
            )
            await self._stopping.wait()
        finally:
            if app.updater is not None and app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
            await app.shutdown()

    async def stop(self) -> None:
        self._stopping.set()

    async def _connect(self) -> None:
        bot = self.application.bot
        if self._config.mode == "webhook":
            await bot.set_webhook(
                url=f"{self._public_url}{WEBHOOK_PATH}",
                secret_token=self._secret,
                allowed_updates=ALLOWED_UPDATES,
            )
            return
        assert self.application.updater is not None  # polling mode always has one
        await self.application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)

    async def _webhook(self, request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, ""), self._secret):
            log.warning("Telegram webhook: a call without the right secret token was refused")
            return web.Response(status=403)
        try:
            update = Update.de_json(await request.json(), self.application.bot)
        except ValueError:
            return web.Response(status=400)
        await self.application.update_queue.put(update)
        return web.Response(status=200)

    async def _on_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if (query := update.pre_checkout_query) is not None:
            await self._pre_checkout(query)
            return
        message = update.message
        if message is not None and (payment := message.successful_payment) is not None:
            if self._stars is not None and message.from_user is not None:
                await self._stars.paid(
                    payload=payment.invoice_payload,
                    charge_id=payment.telegram_payment_charge_id,
                    user_id=str(message.from_user.id),
                    amount=payment.total_amount,
                    currency=payment.currency,
                )
            return
        for received in translate.updates(update.to_dict(), self._facts):
            inbound = (
                received.posted if isinstance(received, translate.PostedWithFile) else received
            )
            file = received.file if isinstance(received, translate.PostedWithFile) else None
            if isinstance(inbound, translate.Received):
                command = self._with_file(inbound.command, inbound.file)
                await self._run_command(command, reply_to=inbound.message_id)
            elif isinstance(inbound, translate.ButtonPressed):
                await self.gateway.answer_button(inbound.callback_query_id)
                await self._run_command(inbound.command, reply_to=None)
            elif isinstance(inbound, MessagePosted) and (prompt := self._prompt_answered(inbound)):
                name, arguments = split_command(prompt.asked.completed(inbound.text)) or ("", "")
                completed = replace(prompt.command, name=name, arguments=arguments)
                # The answer may carry the command's file (a document whose caption is the text).
                answered = self._with_file(completed, file)
                await self._run_command(answered, reply_to=inbound.message_id)
            else:
                await self._carry_out(inbound, await self._dispatcher.notify(inbound))

    async def _pre_checkout(self, query: PreCheckoutQuery) -> None:
        """Telegram asks before taking the stars: say yes only for an open payment of ours
        whose thing is still for sale, at the price we asked."""
        if self._stars is not None and await self._stars.may_pay(
            query.invoice_payload, query.total_amount, query.currency
        ):
            await query.answer(ok=True)
            return
        speak = await self._dispatcher.translator_for(
            translate.actor(query.from_user.to_dict(), self._facts)
        )
        await query.answer(
            ok=False, error_message=speak.gettext(N_("This item is not for sale right now."))
        )

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("Telegram: handling an update failed", exc_info=context.error)

    async def _run_command(self, event: CommandEvent, *, reply_to: str | None) -> None:
        effects = await self._dispatcher.handle(event)
        target = self._dispatcher.target(event)
        private = target is not None and target.spec.ephemeral and not event.place.is_private
        for effect in effects:
            if isinstance(effect, Ask):
                await self._ask(event, effect, reply_to)
            else:
                await self._deliver(event, effect, reply_to=reply_to, private=private)

    def _with_file(self, event: CommandEvent, file: translate.SentFile | None) -> CommandEvent:
        """The command with the file sent along, if the command takes one."""
        target = self._dispatcher.target(event)
        param = attachment_param(target.spec) if target is not None else None
        if file is None or param is None:
            return event
        attachment = Attachment(
            file.filename,
            file.content_type,
            file.size,
            fetch=partial(self.gateway.download, file.file_id),
            # "For the moment, bots can download files of up to 20MB in size"
            # (https://core.telegram.org/bots/api#getfile).
            fetch_limit=FileSizeLimit.FILESIZE_DOWNLOAD,
        )
        return replace(event, attachments={**event.attachments, param.name: attachment})

    async def _ask(self, event: CommandEvent, asked: Ask, reply_to: str | None) -> None:
        """The question, as a message the member replies to (Telegram's force-reply)."""
        speak = await self._dispatcher.translator_for(event.actor)
        text = f"{asked.text}\n" + speak.gettext(N_("Reply to this message with it."))
        [*_, prompt_id] = await self.gateway.send(
            event.place.chat_id,
            text,
            thread_id=event.place.thread_id,
            reply_to=reply_to,
            prompt=True,
        )
        if len(self._prompts) >= PROMPTS_KEPT:
            self._prompts.pop(next(iter(self._prompts)))
        self._prompts[(event.place.chat_id, str(prompt_id))] = _Prompt(
            event, asked, time.monotonic()
        )

    def _prompt_answered(self, message: MessagePosted) -> _Prompt | None:
        if message.reply_to is None:
            return None
        prompt = self._prompts.get((message.place.chat_id, message.reply_to))
        if prompt is None or prompt.command.actor.user_id != message.actor.user_id:
            return None
        del self._prompts[(message.place.chat_id, message.reply_to)]
        return prompt if time.monotonic() - prompt.asked_at < PROMPT_SECONDS else None

    async def _deliver(
        self, event: CommandEvent, effect: Effect, *, reply_to: str | None, private: bool
    ) -> None:
        place = event.place
        if isinstance(effect, Invoice):
            await self.gateway.send_invoice(place.chat_id, effect)
        elif isinstance(effect, Reply) and not (
            private or (effect.ephemeral and not place.is_private)
        ):
            await self.gateway.send(
                place.chat_id,
                effect.text,
                thread_id=place.thread_id,
                reply_to=reply_to,
                buttons=effect.buttons,
            )
        elif isinstance(effect, Reply | DirectMessage):
            # Telegram has no "only you can see this" in a group: private answers go by DM.
            speak = await self._dispatcher.translator_for(event.actor)
            try:
                await self.gateway.send_dm(event.actor.user_id, effect.text, effect.buttons)
            except DeliveryRefused:
                notice = (
                    effect.notice
                    if isinstance(effect, DirectMessage)
                    else speak.gettext(
                        N_(
                            "I can't message you yet: open a chat with me, press Start, "
                            "then try again."
                        )
                    )
                )
                start = Button(
                    speak.gettext(N_("Start")), url=f"https://t.me/{self._facts.bot_username}"
                )
                await self.gateway.send(
                    place.chat_id,
                    notice,
                    thread_id=place.thread_id,
                    reply_to=reply_to,
                    buttons=(start,),
                )
                return
            if isinstance(effect, Reply):
                await self.gateway.send(
                    place.chat_id,
                    speak.gettext(N_("I answered you in a private message.")),
                    thread_id=place.thread_id,
                    reply_to=reply_to,
                )

    async def _carry_out(self, event: PlatformEvent, effects: list[Effect]) -> None:
        """Effects that listeners asked for in answer to a platform event."""
        for effect in effects:
            try:
                if isinstance(effect, JoinRequestAnswer):
                    await self.gateway.answer_join_request(
                        event.place.chat_id, event.actor.user_id, effect.approved
                    )
                elif isinstance(effect, DirectMessage):
                    await self.gateway.send_dm(event.actor.user_id, effect.text, effect.buttons)
                elif isinstance(effect, Reply):
                    await self.gateway.send(
                        event.place.chat_id, effect.text, thread_id=event.place.thread_id
                    )
            except (DeliveryRefused, TelegramError) as error:
                log.warning("Telegram: could not carry out %s: %s", type(effect).__name__, error)

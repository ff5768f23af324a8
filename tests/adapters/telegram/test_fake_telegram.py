"""The fake Telegram (tests/fakes/telegram/) proven with the REAL python-telegram-bot.

No knowpay code here: these tests show that a stock PTB `Application` initializes against the
fake, long-polls it, gets commands, replies, reactions, button presses, join requests, member
changes and Stars payments, and meets Telegram's errors (429, 403, 400) the way production
would, so adapter tests built on the fake exercise the real wire behaviour.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from telegram import (
    BotCommand,
    BotCommandScopeChatAdministrators,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LabeledPrice,
    ReactionTypeEmoji,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    RetryAfter,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatJoinRequestHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    MessageReactionHandler,
    PreCheckoutQueryHandler,
    filters,
)

from tests.fakes.telegram import FakeTelegram

ALICE, BOB, CAROL, DAVE = 2001, 2002, 2003, 2004
WAIT = 5.0  # seconds; every wait below is on an event or a recorded call, never a sleep
EVERYTHING = [
    "message",
    "callback_query",
    "message_reaction",
    "chat_join_request",
    "chat_member",
    "pre_checkout_query",
]

App = Application[Any, Any, Any, Any, Any, Any]


@dataclass
class Running:
    """A polling Application and what its handlers saw, one queue per kind."""

    app: App
    seen: defaultdict[str, asyncio.Queue[Any]]

    async def next(self, kind: str) -> Any:
        return await asyncio.wait_for(self.seen[kind].get(), WAIT)


def build(fake: FakeTelegram, *, token: str = FakeTelegram.TOKEN, **options: Any) -> App:
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .job_queue(None)  # APScheduler is installed, so PTB would start a JobQueue of its own
    )
    if "rate_limiter" in options:
        builder = builder.rate_limiter(options["rate_limiter"])
    return builder.build()


def add_handlers(app: App, seen: defaultdict[str, asyncio.Queue[Any]]) -> None:
    async def command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen["command"].put_nowait((update, list(context.args or [])))
        assert update.effective_message
        assert update.effective_user
        await update.effective_message.reply_text(
            f"hello {update.effective_user.first_name}", do_quote=True
        )

    async def reply(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        seen["reply"].put_nowait(update)

    async def reaction(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        seen["reaction"].put_nowait(update)

    async def button(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Chosen")
        await query.edit_message_text(f"Chosen: {query.data}")
        seen["callback"].put_nowait(update)

    async def join_request(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        request = update.chat_join_request
        assert request is not None
        seen["join_request"].put_nowait(update)
        if request.from_user.id == CAROL:
            await request.approve()
        else:
            await request.decline()

    async def member(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        seen["chat_member"].put_nowait(update)

    async def checkout(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.pre_checkout_query
        assert query is not None
        seen["pre_checkout"].put_nowait(update)
        if query.invoice_payload.startswith("plan:"):
            await query.answer(ok=True)
        else:
            await query.answer(ok=False, error_message="Unknown plan")

    async def paid(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        seen["payment"].put_nowait(update)

    async def failed(_: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen["error"].put_nowait(context.error)

    app.add_handler(CommandHandler("start", command))
    app.add_handler(MessageHandler(filters.REPLY & filters.TEXT & ~filters.COMMAND, reply))
    app.add_handler(MessageReactionHandler(reaction))
    app.add_handler(CallbackQueryHandler(button))
    app.add_handler(ChatJoinRequestHandler(join_request))
    app.add_handler(ChatMemberHandler(member, ChatMemberHandler.CHAT_MEMBER))
    app.add_handler(PreCheckoutQueryHandler(checkout))
    app.add_handler(MessageHandler(filters.SUCCESSFUL_PAYMENT, paid))
    app.add_error_handler(failed)


@asynccontextmanager
async def polling(
    fake: FakeTelegram, allowed_updates: Sequence[str] = tuple(EVERYTHING)
) -> AsyncIterator[Running]:
    seen: defaultdict[str, asyncio.Queue[Any]] = defaultdict(asyncio.Queue)
    app = build(fake)
    add_handlers(app, seen)
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(
        allowed_updates=list(allowed_updates), poll_interval=0, timeout=1
    )
    try:
        await fake.wait_until_polling()  # its allowed_updates are in force from here on
        yield Running(app, seen)
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    assert seen["error"].empty(), seen["error"].get_nowait()


@asynccontextmanager
async def bot_only(fake: FakeTelegram, **options: Any) -> AsyncIterator[App]:
    """An initialized Application that does not poll: for calling Bot API methods."""
    app = build(fake, **options)
    await app.initialize()
    try:
        yield app
    finally:
        await app.shutdown()


@asynccontextmanager
async def started(fake: FakeTelegram) -> AsyncIterator[FakeTelegram]:
    fake.add_user(ALICE, "Alice", username="alice")
    fake.add_user(BOB, "Bob", username="bob", language_code="ru")
    fake.add_user(CAROL, "Carol")
    fake.add_user(DAVE, "Dave")
    fake.set_member(fake.community_chat_id, ALICE)
    fake.set_member(fake.community_chat_id, BOB)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with started(FakeTelegram()) as running:
        yield running


async def test_command_reaches_its_handler_and_reply_text_arrives(fake: FakeTelegram) -> None:
    async with polling(fake) as bot:
        sent = await fake.send_command(ALICE, "/start hello world")
        assert sent["entities"] == [{"offset": 0, "length": 6, "type": "bot_command"}]
        update, args = await bot.next("command")
        assert update.effective_chat.id == ALICE
        assert update.effective_chat.type == "private"
        assert update.effective_user.username == "alice"
        assert args == ["hello", "world"]

        answer = await fake.wait_for_bot_message(ALICE)
        assert answer["text"] == "hello Alice"
        assert answer["reply_to_message"]["message_id"] == sent["message_id"]
        call = await fake.wait_for_call("sendMessage")
        assert call.params["chat_id"] == ALICE
        assert call.params["reply_parameters"] == {"message_id": sent["message_id"]}

        thanks = await fake.reply(ALICE, "thanks!", reply_to=answer["message_id"])
        replied = await bot.next("reply")
        assert replied.message.message_id == thanks["message_id"] > answer["message_id"]
        assert replied.message.reply_to_message.from_user.id == FakeTelegram.BOT_ID


async def test_group_commands_addressed_to_the_bot(fake: FakeTelegram) -> None:
    group = fake.community_chat_id
    async with polling(fake) as bot:
        sent = await fake.send_command(BOB, "/start@knowpay_bot", chat_id=group)
        update, _ = await bot.next("command")
        assert update.effective_chat.id == group
        assert update.effective_chat.type == "supergroup"
        answer = await fake.wait_for_bot_message(group)
        assert answer["reply_to_message"]["message_id"] == sent["message_id"]

        await fake.send_command(BOB, "/start@another_bot", chat_id=group)  # not for us
        await fake.send_command(BOB, "/start", chat_id=group)
        update, _ = await bot.next("command")
        assert update.message.text == "/start"

        with pytest.raises(ValueError, match="set_member"):
            await fake.send_command(CAROL, "/start", chat_id=group)  # not in the group


async def test_commands_in_a_forum_topic_are_answered_in_the_topic() -> None:
    async with started(FakeTelegram(forum=True)) as fake, polling(fake) as bot:
        group = fake.community_chat_id
        sent = await fake.send_command(ALICE, "/start", chat_id=group, message_thread_id=7)
        assert sent["message_thread_id"] == 7
        assert sent["is_topic_message"]
        update, _ = await bot.next("command")
        assert update.message.is_topic_message
        assert update.message.message_thread_id == 7
        answer = await fake.wait_for_bot_message(group)
        assert answer["message_thread_id"] == 7
        call = await fake.wait_for_call("sendMessage")
        assert call.params["message_thread_id"] == 7
        with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
            await bot.app.bot.send_message(group, "elsewhere", message_thread_id=99)


async def test_set_my_commands_per_scope_and_language(fake: FakeTelegram) -> None:
    group = fake.community_chat_id
    async with bot_only(fake) as app:
        bot = app.bot
        await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("join", "Join")])
        await bot.set_my_commands([BotCommand("start", "Начать")], language_code="ru")
        admins = BotCommandScopeChatAdministrators(group)
        await bot.set_my_commands([BotCommand("ban", "Ban someone")], scope=admins)
        call = await fake.wait_for_call("setMyCommands")
        assert call.params["commands"] == [
            {"command": "start", "description": "Start"},
            {"command": "join", "description": "Join"},
        ]
        default = '{"type":"default"}'
        admin_scope = f'{{"chat_id":{group},"type":"chat_administrators"}}'
        assert set(fake.my_commands) == {(default, ""), (default, "ru"), (admin_scope, "")}
        assert [c.command for c in await bot.get_my_commands(language_code="ru")] == ["start"]
        assert [c.command for c in await bot.get_my_commands(scope=admins)] == ["ban"]

        # What users see: the most specific scope and language with commands wins.
        assert [c["command"] for c in fake.visible_commands(ALICE)] == ["start", "join"]
        assert fake.visible_commands(BOB)[0]["description"] == "Начать"
        assert fake.visible_commands(FakeTelegram.OWNER_ID, group)[0]["command"] == "ban"
        assert fake.visible_commands(ALICE, group)[0]["command"] == "start"

        await bot.delete_my_commands(language_code="ru")
        assert (default, "ru") not in fake.my_commands
        assert fake.visible_commands(BOB)[0]["description"] == "Start"
        with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
            await bot.set_my_commands([BotCommand("Not-Valid", "x")])


async def test_reactions_arrive_only_when_allowed(fake: FakeTelegram) -> None:
    group = fake.community_chat_id
    async with polling(fake, allowed_updates=["message"]) as bot:
        note = await bot.app.bot.send_message(group, "React to me")
        await fake.react(ALICE, group, note.message_id, "👍")
        await fake.send_command(ALICE, "/start", chat_id=group)
        await bot.next("command")  # updates arrive in order: a reaction would be here by now
        assert bot.seen["reaction"].empty()
        why, dropped = fake.dropped_updates[-1]
        assert why == "message_reaction is not in allowed_updates"
        assert "message_reaction" in dropped

    async with polling(fake, allowed_updates=["message", "message_reaction"]) as bot:
        await fake.react(BOB, group, note.message_id, "❤️")
        reaction = (await bot.next("reaction")).message_reaction
        assert reaction.user.id == BOB
        assert reaction.message_id == note.message_id
        assert reaction.old_reaction == ()
        assert reaction.new_reaction == (ReactionTypeEmoji("❤"),)

        await fake.react(BOB, group, note.message_id, "🔥")  # without Premium: replaces
        reaction = (await bot.next("reaction")).message_reaction
        assert [r.emoji for r in reaction.old_reaction] == ["❤"]
        assert [r.emoji for r in reaction.new_reaction] == ["🔥"]

        await fake.react(BOB, group, note.message_id, "🔥", remove=True)
        reaction = (await bot.next("reaction")).message_reaction
        assert [r.emoji for r in reaction.old_reaction] == ["🔥"]
        assert reaction.new_reaction == ()

        await bot.app.bot.set_message_reaction(group, note.message_id, "🎉")
        assert fake.reactions_by_bot == [
            {
                "chat_id": group,
                "message_id": note.message_id,
                "reaction": [{"type": "emoji", "emoji": "🎉"}],
                "is_big": False,
            }
        ]


async def test_button_press_is_answered(fake: FakeTelegram) -> None:
    async with polling(fake) as bot:
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("Pro", callback_data="plan:pro"),
                    InlineKeyboardButton("Docs", url="https://example.org/docs"),
                ]
            ]
        )
        offer = await bot.app.bot.send_message(ALICE, "Pick a plan", reply_markup=keyboard)
        query_id = await fake.press_button(ALICE, ALICE, offer.message_id, "plan:pro")
        query = (await bot.next("callback")).callback_query
        assert query.id == query_id
        assert query.data == "plan:pro"
        assert query.message.message_id == offer.message_id

        answer = await fake.wait_for_call("answerCallbackQuery")
        assert answer.params == {"callback_query_id": query_id, "text": "Chosen"}
        assert fake.callback_answers[query_id]["text"] == "Chosen"
        await fake.wait_for_call("editMessageText")
        edited = fake.bot_messages(ALICE)[-1]
        assert edited["text"] == "Chosen: plan:pro"
        assert "reply_markup" not in edited
        with pytest.raises(LookupError):  # the edit without reply_markup removed the keyboard
            await fake.press_button(ALICE, ALICE, offer.message_id, "plan:pro")
        with pytest.raises(BadRequest, match=r"(?i)query is too old"):
            await bot.app.bot.answer_callback_query(query_id)


async def test_join_requests_are_approved_and_declined(fake: FakeTelegram) -> None:
    group = fake.community_chat_id
    async with polling(fake) as bot:
        link = await bot.app.bot.create_chat_invite_link(
            group, name="paid members", creates_join_request=True
        )
        assert fake.invite_links[-1]["invite_link"] == link.invite_link
        assert link.creates_join_request
        assert link.creator.id == FakeTelegram.BOT_ID

        await fake.request_join(CAROL, group, invite_link=link.invite_link)
        request = (await bot.next("join_request")).chat_join_request
        assert request.from_user.id == CAROL
        assert request.user_chat_id == CAROL
        assert request.invite_link.invite_link == link.invite_link
        joined = (await bot.next("chat_member")).chat_member
        assert joined.new_chat_member.user.id == CAROL
        assert (joined.old_chat_member.status, joined.new_chat_member.status) == ("left", "member")
        assert joined.via_join_request
        assert joined.invite_link.invite_link == link.invite_link
        assert fake.join_requests[(group, CAROL)] == "approved"
        assert fake.member_status(group, CAROL) == "member"

        await fake.request_join(DAVE, group)
        await bot.next("join_request")
        await fake.wait_for_call("declineChatJoinRequest")
        assert fake.join_requests[(group, DAVE)] == "declined"
        assert fake.member_status(group, DAVE) == "left"
        with pytest.raises(BadRequest, match=r"(?i)HIDE_REQUESTER_MISSING"):
            await bot.app.bot.approve_chat_join_request(group, DAVE)


async def test_ban_and_unban(fake: FakeTelegram) -> None:
    group = fake.community_chat_id
    async with polling(fake) as bot:
        api = bot.app.bot
        assert await api.ban_chat_member(group, BOB)
        change = (await bot.next("chat_member")).chat_member
        assert change.from_user.id == FakeTelegram.BOT_ID
        assert (change.old_chat_member.status, change.new_chat_member.status) == (
            "member",
            "kicked",
        )
        assert (group, BOB) in fake.bans
        assert fake.member_status(group, BOB) == "kicked"
        assert (await api.get_chat_member(group, BOB)).status == "kicked"

        assert await api.unban_chat_member(group, BOB, only_if_banned=True)
        change = (await bot.next("chat_member")).chat_member
        assert (change.old_chat_member.status, change.new_chat_member.status) == (
            "kicked",
            "left",
        )
        assert not fake.bans

        # As documented: unbanning a member without only_if_banned removes them.
        assert await api.unban_chat_member(group, ALICE, only_if_banned=True)
        assert fake.member_status(group, ALICE) == "member"
        assert await api.unban_chat_member(group, ALICE)
        change = (await bot.next("chat_member")).chat_member
        assert change.new_chat_member.user.id == ALICE
        assert change.new_chat_member.status == "left"

        with pytest.raises(BadRequest, match=r"(?i)can't remove chat owner"):
            await api.ban_chat_member(group, FakeTelegram.OWNER_ID)


async def test_flood_limit_raises_retry_after_without_a_rate_limiter(
    fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PTB 22 warns about RetryAfter.retry_after being an int unless this opt-in is set.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    async with bot_only(fake) as app:
        fake.fail_next("sendMessage", 429, retry_after=3)
        with pytest.raises(RetryAfter) as caught:
            await app.bot.send_message(ALICE, "hi")
        assert caught.value.retry_after == dt.timedelta(seconds=3)
        failed = await fake.wait_for_call("sendMessage")
        assert failed.response == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 3",
            "parameters": {"retry_after": 3},
        }
        assert (await app.bot.send_message(ALICE, "hi")).text == "hi"


async def test_flood_limit_is_retried_through_by_aio_rate_limiter(
    fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    async with bot_only(fake, rate_limiter=AIORateLimiter(max_retries=2)) as app:
        fake.fail_next("sendMessage", 429, retry_after=1)
        message = await app.bot.send_message(ALICE, "hi")
        assert message.text == "hi"
        assert [(await fake.wait_for_call("sendMessage")).status for _ in range(2)] == [429, 200]


async def test_users_who_blocked_or_never_started_the_bot_are_forbidden(
    fake: FakeTelegram,
) -> None:
    fake.blocked.add(CAROL)
    fake.not_started.add(DAVE)
    async with bot_only(fake) as app:
        with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
            await app.bot.send_message(CAROL, "hi")
        with pytest.raises(Forbidden, match=r"(?i)bot can't initiate conversation with a user"):
            await app.bot.send_message(DAVE, "hi")

        await fake.request_join(DAVE, fake.community_chat_id)  # lets the bot write to Dave
        assert (await app.bot.send_message(DAVE, "About your request")).chat.id == DAVE
        await fake.send_command(CAROL, "/start")  # writing to the bot unblocks it
        assert (await app.bot.send_message(CAROL, "Welcome back")).chat.id == CAROL


async def test_stars_payment_round_trip(fake: FakeTelegram) -> None:
    async with polling(fake) as bot:
        api = bot.app.bot
        invoice = await api.send_invoice(
            ALICE,
            "Pro plan",
            "One month of Pro",
            payload="plan:pro",
            currency="XTR",
            prices=[LabeledPrice("Pro", 250)],
            provider_token="",
        )
        assert invoice.invoice.currency == "XTR"
        assert invoice.invoice.total_amount == 250
        sent = await fake.wait_for_call("sendInvoice")
        assert sent.params["prices"] == [{"label": "Pro", "amount": 250}]

        result = await fake.pay_stars(ALICE, invoice.message_id)
        assert result["ok"]
        assert result["error_message"] is None
        assert result["charge_id"]
        query = (await bot.next("pre_checkout")).pre_checkout_query
        assert (query.from_user.id, query.currency, query.total_amount) == (ALICE, "XTR", 250)
        assert query.invoice_payload == "plan:pro"
        payment = (await bot.next("payment")).message.successful_payment
        assert payment.telegram_payment_charge_id == result["charge_id"]
        assert (payment.total_amount, payment.invoice_payload) == (250, "plan:pro")

        assert await api.refund_star_payment(ALICE, result["charge_id"])
        assert fake.payments[result["charge_id"]]["refunded"]
        with pytest.raises(BadRequest, match=r"(?i)CHARGE_ALREADY_REFUNDED"):
            await api.refund_star_payment(ALICE, result["charge_id"])

        refused = await fake.pay_stars(ALICE, invoice.message_id, payload="tampered")
        assert refused == {"ok": False, "error_message": "Unknown plan", "charge_id": None}
        await bot.next("pre_checkout")
        with pytest.raises(BadRequest, match=r"(?i)STARS_INVOICE_INVALID"):
            await api.send_invoice(
                ALICE,
                "Pro plan",
                "Two prices",
                payload="plan:pro",
                currency="XTR",
                prices=[LabeledPrice("Pro", 250), LabeledPrice("Tip", 10)],
            )


async def test_webhook_delivery_checks_the_secret(fake: FakeTelegram) -> None:
    received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def receive(request: web.Request) -> web.Response:
        if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != "s3cret-Token_1":
            return web.Response(status=403)
        received.put_nowait(await request.json())
        return web.Response()

    receiver = web.Application()
    receiver.router.add_post("/telegram", receive)
    runner = web.AppRunner(receiver, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/telegram"
    try:
        async with bot_only(fake) as app:
            api = app.bot
            await api.set_webhook(
                url, secret_token="s3cret-Token_1", allowed_updates=["message", "callback_query"]
            )
            assert fake.webhook is not None
            assert fake.webhook["url"] == url
            assert fake.webhook["secret_token"] == "s3cret-Token_1"
            assert fake.webhook["allowed_updates"] == ["message", "callback_query"]
            info = await api.get_webhook_info()
            assert info.url == url
            assert set(info.allowed_updates) == {"message", "callback_query"}
            with pytest.raises(Conflict, match=r"(?i)webhook is active"):
                await api.get_updates()

            sent = await fake.send_command(ALICE, "/start")  # pushed to the webhook
            pushed = await asyncio.wait_for(received.get(), WAIT)
            assert pushed["message"]["message_id"] == sent["message_id"]

            assert await fake.deliver_webhook(pushed) == 200
            assert (await asyncio.wait_for(received.get(), WAIT)) == pushed
            assert await fake.deliver_webhook(pushed, secret_token="forged") == 403
            assert await fake.deliver_webhook(pushed, secret_token=None) == 403
            assert received.empty()

            await api.delete_webhook()
            assert fake.webhook is None
            assert (await api.get_webhook_info()).url == ""
    finally:
        await runner.cleanup()


async def test_html_parse_mode_is_parsed_and_checked(fake: FakeTelegram) -> None:
    async with bot_only(fake) as app:
        api = app.bot
        text = '<b>Pro</b> plan: <a href="https://example.org/pay">pay</a> &amp; enjoy\n'
        message = await api.send_message(ALICE, text, parse_mode="HTML")
        assert message.text == "Pro plan: pay & enjoy"
        assert [(e.type, e.offset, e.length) for e in message.entities] == [
            ("bold", 0, 3),
            ("text_link", 10, 3),
        ]
        assert message.text_html == text.strip()
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities: Unmatched end tag"):
            await api.send_message(ALICE, "<b>bold</i>", parse_mode="HTML")
        with pytest.raises(BadRequest, match=r'(?i)Unsupported start tag "br"'):
            await api.send_message(ALICE, "line<br>line", parse_mode="HTML")
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await api.edit_message_text(text, ALICE, message.message_id, parse_mode="HTML")


async def test_wrong_token_and_unknown_method(fake: FakeTelegram) -> None:
    impostor = build(fake, token="654321:not-the-token")
    with pytest.raises(InvalidToken):
        await impostor.initialize()
    await impostor.bot.shutdown()  # initialize opened its HTTP clients before failing
    assert fake.calls[-1].status == 401

    async with bot_only(fake) as app:
        with pytest.raises(EndPointNotFound):
            await app.bot.do_api_request("noSuchMethod")
        assert fake.calls[-1].response == {
            "ok": False,
            "error_code": 404,
            "description": "Not Found: method not found",
        }

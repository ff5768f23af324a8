"""Reply prompts for long text, command buttons, and webhook mode, through real PTB."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.adapters.telegram.adapter import TelegramAdapter
from bot.core.commands import Args, CommandSpec, Param
from bot.core.context import Context
from bot.core.dispatcher import Dispatcher
from bot.core.effects import Button, Effect, Reply
from bot.core.permissions import Level
from bot.core.registry import Registry
from bot.web import WebServer
from cogs import build_registry
from cogs.services import Services
from tests.adapters.telegram.conftest import MOD, telegram_settings
from tests.fakes.telegram import FakeTelegram


async def ask(ctx: Context, args: Args) -> list[Effect]:
    return [ctx.reply(f"Asked ({args.text('price')}): {args.text('question')}")]


async def confirm(ctx: Context, _args: Args) -> list[Effect]:
    buttons = (Button("Who am I?", command="/whoami"), Button("Docs", url="https://example.com/d"))
    return [Reply("Ready to publish?", buttons=buttons)]


@pytest.fixture
def registry(services: Services) -> Registry:
    registry = build_registry(services)
    question = Param("question", "Your question", long=True, rest=True)
    registry.register(CommandSpec("quiz", "Quiz", ask, params=(Param("price", "Price"), question)))
    registry.register(CommandSpec("confirm", "Confirm", confirm))
    note = Param("note", "Why", long=True, rest=True)
    registry.register(CommandSpec("warn", "Warn", ask, params=(note,), level=Level.ADMIN))
    return registry


async def test_long_text_is_asked_for_with_a_reply_prompt(
    telegram: TelegramAdapter, fake_telegram: FakeTelegram
) -> None:
    await fake_telegram.send_command(MOD, "/quiz 12")
    prompt = await fake_telegram.wait_for_bot_message(MOD)
    assert (
        prompt["text"] == "/quiz needs <question>: Your question.\nReply to this message with it."
    )
    sent = [c for c in fake_telegram.calls if c.method == "sendMessage"][-1]
    assert sent.params["reply_markup"]["force_reply"] is True  # the app opens a reply for them
    question = "Why does\n```rust\nlet r = &mut v;\n```\nnot compile?"
    await fake_telegram.reply(MOD, question, reply_to=prompt["message_id"])
    answer = await fake_telegram.wait_for_bot_message(MOD)
    assert answer["text"].startswith("Asked (12): Why does")
    assert "let r = &mut v;" in answer["text"]
    assert any(e["type"] == "pre" for e in answer.get("entities", []))


async def test_no_prompt_for_a_command_the_member_may_not_run(
    telegram: TelegramAdapter, fake_telegram: FakeTelegram
) -> None:
    await fake_telegram.send_command(MOD, "/warn")
    answer = await fake_telegram.wait_for_bot_message(MOD)
    assert answer["text"] == "You need the admin role to use /warn."


async def test_command_buttons_run_as_the_presser(
    telegram: TelegramAdapter, fake_telegram: FakeTelegram
) -> None:
    await fake_telegram.send_command(MOD, "/confirm")
    offer = await fake_telegram.wait_for_bot_message(MOD)
    [[run, link]] = offer["reply_markup"]["inline_keyboard"]
    assert link["url"] == "https://example.com/d"
    await fake_telegram.press_button(MOD, MOD, offer["message_id"], run["callback_data"])
    await fake_telegram.wait_for_call("answerCallbackQuery")
    assert "You are member" in (await fake_telegram.wait_for_bot_message(MOD))["text"]


@pytest.fixture
async def webhook_adapter(
    fake_telegram: FakeTelegram, telegram_dispatcher: Dispatcher
) -> AsyncIterator[TelegramAdapter]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = telegram_settings(
        fake_telegram, mode="webhook", server={"public_url": f"http://127.0.0.1:{port}"}
    )
    app = web.Application()
    adapter = TelegramAdapter(telegram_dispatcher, settings, FakeTelegram.TOKEN, app)
    server = WebServer(app)
    await server.start("127.0.0.1", port)
    running = asyncio.create_task(adapter.run())
    await fake_telegram.wait_for_call("setWebhook")
    yield adapter
    await adapter.stop()
    await asyncio.wait_for(running, timeout=10)
    await server.stop()


async def test_webhook_mode_refuses_a_wrong_secret_and_serves_the_right_one(
    webhook_adapter: TelegramAdapter, fake_telegram: FakeTelegram
) -> None:
    assert fake_telegram.webhook is not None
    assert fake_telegram.webhook["url"].endswith("/webhooks/telegram")
    assert "message_reaction" in fake_telegram.webhook["allowed_updates"]
    forged = {"message": {"message_id": 1, "date": 1, "chat": {"id": MOD, "type": "private"}}}
    assert await fake_telegram.deliver_webhook(forged, secret_token="guessed") == 403
    assert await fake_telegram.deliver_webhook(forged, secret_token=None) == 403
    await fake_telegram.send_command(MOD, "/whoami")  # pushed with the registered secret
    assert "You are member" in (await fake_telegram.wait_for_bot_message(MOD))["text"]

"""A drop's file on Telegram: sent as a document whose caption is `/drop new ...` (or as the
answer to the bot's prompt), fetched with getFile and the file path, kept in the database and
posted with sendDocument after the drop's text; a file over the 20 MB bots may download is
refused, naming the limit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from functools import partial

import pytest

from bot.adapters.telegram.adapter import TelegramAdapter
from bot.adapters.telegram.delivery import TelegramDeliverer
from bot.core.clock import FakeClock
from bot.core.delivery import OutboxWorker
from bot.core.effects import UPLOAD_LIMITS
from cogs.drops.service import load_file
from storage.uow import UnitOfWorkFactory
from tests.adapters.telegram.conftest import TIER_CHAT, telegram_settings
from tests.conftest import dispatcher_for
from tests.fakes.telegram import DOWNLOAD_LIMIT, UPLOAD_LIMIT, FakeTelegram

CREATOR = 5550003
TEXT = "Async patterns in Rust\nUse task groups."
DROP = f"member\n{TEXT}"
ARCHIVE = bytes(range(256)) * 64


@pytest.fixture
async def worker(
    fake_telegram: FakeTelegram, uow: UnitOfWorkFactory, clock: FakeClock
) -> AsyncIterator[OutboxWorker]:
    fake_telegram.add_user(CREATOR, "Lin", username="lin", language_code="en")
    settings = telegram_settings(fake_telegram, creator_user_ids=[CREATOR])
    dispatcher = dispatcher_for(uow, clock, settings)
    adapter = TelegramAdapter(dispatcher, settings, FakeTelegram.TOKEN)
    running = asyncio.create_task(adapter.run())
    await fake_telegram.wait_until_polling()
    deliverer = TelegramDeliverer(adapter.gateway, clock, partial(load_file, uow))
    yield OutboxWorker(uow, {"telegram": deliverer}, clock)
    await adapter.stop()
    await asyncio.wait_for(running, timeout=10)


async def publish(fake: FakeTelegram, worker: OutboxWorker) -> None:
    await fake.send_command(CREATOR, "/drop publish D1")
    assert (await fake.wait_for_bot_message(CREATOR))["text"].startswith("Drop D1 is published")
    while await worker.run_once():
        pass


async def test_a_document_captioned_drop_new_goes_out_byte_for_byte(
    fake_telegram: FakeTelegram, worker: OutboxWorker
) -> None:
    await fake_telegram.send_document(
        CREATOR, ARCHIVE, "code.zip", mime_type="application/zip", caption=f"/drop new {DROP}"
    )
    preview = await fake_telegram.wait_for_bot_message(CREATOR)
    assert (
        "With the file code.zip (17 kB), in full copies and private messages." in (preview["text"])
    )
    await publish(fake_telegram, worker)

    text, document = fake_telegram.bot_messages(TIER_CHAT)
    assert "Use task groups." in text["text"]
    assert document["document"]["file_name"] == "code.zip"
    assert fake_telegram.file_bytes(document["document"]["file_id"]) == ARCHIVE


async def test_the_file_can_come_as_the_answer_to_the_prompt(
    fake_telegram: FakeTelegram, worker: OutboxWorker
) -> None:
    await fake_telegram.send_command(CREATOR, "/drop new")
    choose = await fake_telegram.wait_for_bot_message(CREATOR)  # the tiers, as buttons
    [[member]] = choose["reply_markup"]["inline_keyboard"]
    await fake_telegram.press_button(
        CREATOR, CREATOR, choose["message_id"], member["callback_data"]
    )
    prompt = await fake_telegram.wait_for_bot_message(CREATOR)  # then the text, by a reply
    await fake_telegram.send_document(
        CREATOR, ARCHIVE, "code.zip", caption=TEXT, reply_to=prompt["message_id"]
    )
    assert "With the file code.zip" in (await fake_telegram.wait_for_bot_message(CREATOR))["text"]
    await publish(fake_telegram, worker)
    _, document = fake_telegram.bot_messages(TIER_CHAT)
    assert fake_telegram.file_bytes(document["document"]["file_id"]) == ARCHIVE


async def test_a_file_over_what_bots_may_download_is_refused_naming_the_limit(
    fake_telegram: FakeTelegram, worker: OutboxWorker, uow: UnitOfWorkFactory
) -> None:
    await fake_telegram.send_document(
        CREATOR, bytes(DOWNLOAD_LIMIT + 1), "talk.mp4", caption=f"/drop new {DROP}"
    )
    refused = await fake_telegram.wait_for_bot_message(CREATOR)
    assert refused["text"] == (
        "“talk.mp4” is 20.1 MB: I can download files of at most 20 MB from Telegram."
    )
    assert not [call for call in fake_telegram.calls if call.method == "getFile"]
    async with uow() as unit:
        assert await unit.drops.get(1) is None


def test_the_upload_limit_is_telegrams() -> None:
    assert UPLOAD_LIMITS["telegram"] == UPLOAD_LIMIT

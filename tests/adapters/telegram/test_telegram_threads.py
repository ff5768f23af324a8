"""A post that starts a thread, delivered by the real outbox worker and python-telegram-bot
against the fake Bot API: a topic in a forum group, or in a plain group a message whose replies
are its thread; either leads back to its content, and members answering there count as replies."""

from __future__ import annotations

import pytest

from bot.adapters.telegram.adapter import TelegramAdapter
from bot.adapters.telegram.delivery import TelegramDeliverer
from bot.core.clock import FakeClock
from bot.core.dispatcher import Dispatcher
from bot.core.effects import PostToChat
from bot.core.events import MessagePosted
from bot.core.registry import Registry
from cogs.engagement.service import content_at, content_in_thread
from storage.interaction_recorder import InteractionRecorder
from storage.uow import UnitOfWorkFactory
from tests.adapters.conftest import Seen, content_messages, deliver_post, interactions
from tests.adapters.telegram.conftest import LI, telegram_settings
from tests.fakes.telegram import FakeTelegram

FORUM = -1004000000001
TITLE = "异步任务组：怎么取消而不丢结果？" * 10  # over 128 characters


@pytest.fixture
def telegram_dispatcher(
    fake_telegram: FakeTelegram,
    registry: Registry,
    uow: UnitOfWorkFactory,
    clock: FakeClock,
) -> Dispatcher:
    fake_telegram.add_chat(FORUM, "Q&A", is_forum=True)
    fake_telegram.set_member(FORUM, FakeTelegram.BOT_ID, "administrator")
    fake_telegram.set_member(FORUM, LI)
    return Dispatcher(
        registry=registry,
        uow=uow,
        clock=clock,
        settings=telegram_settings(fake_telegram),
    )


def _question(chat: int, text: str = "Details") -> PostToChat:
    return PostToChat("telegram", str(chat), text, thread_title=TITLE, content_ref="question:1")


async def test_a_question_in_a_forum_group_opens_a_topic(
    *,
    fake_telegram: FakeTelegram,
    telegram: TelegramAdapter,
    uow: UnitOfWorkFactory,
    clock: FakeClock,
    recorder: InteractionRecorder,
    seen: Seen,
) -> None:
    deliverer = TelegramDeliverer(telegram.gateway, clock)
    text = "我开了一个任务组。" + "细节 " * 1500  # over 4096 characters: two messages
    await deliver_post(uow, clock, deliverer, _question(FORUM, text))

    [topic] = fake_telegram.forum_topics[FORUM]
    assert topic["name"] == TITLE[:128]
    first, second = fake_telegram.bot_messages(FORUM)
    assert {first["message_thread_id"], second["message_thread_id"]} == {topic["message_thread_id"]}
    assert first["text"].startswith("我开了一个任务组。")
    topic_id = str(topic["message_thread_id"])
    assert await content_messages(uow) == [
        (str(FORUM), str(first["message_id"]), "copy"),
        (str(FORUM), str(second["message_id"]), "copy"),
        (str(FORUM), topic_id, "thread"),
    ]

    await fake_telegram.reply(LI, "取消作用域", chat_id=FORUM, message_thread_id=int(topic_id))
    message = await seen.wait_for(MessagePosted)
    assert isinstance(message, MessagePosted)
    assert (message.place.thread_id, message.reply_to) == (topic_id, None)
    async with uow() as unit:
        found = await content_in_thread(unit, message.place)
        assert found is not None
    assert await interactions(uow, recorder) == ["reply"]


async def test_a_question_in_a_plain_group_is_a_message_its_replies_answer(
    *,
    fake_telegram: FakeTelegram,
    telegram: TelegramAdapter,
    uow: UnitOfWorkFactory,
    clock: FakeClock,
    recorder: InteractionRecorder,
    seen: Seen,
) -> None:
    group = fake_telegram.community_chat_id
    deliverer = TelegramDeliverer(telegram.gateway, clock)
    await deliver_post(uow, clock, deliverer, _question(group))

    [posted] = fake_telegram.bot_messages(group)
    heading, _, body = posted["text"].partition("\n\n")
    assert (heading, body) == (TITLE[:100], "Details")  # the title, in bold, heads it
    assert {"offset": 0, "length": len(heading), "type": "bold"} in posted["entities"]
    assert await content_messages(uow) == [(str(group), str(posted["message_id"]), "copy")]

    await fake_telegram.reply(LI, "取消作用域", chat_id=group, reply_to=posted["message_id"])
    message = await seen.wait_for(MessagePosted)
    assert isinstance(message, MessagePosted)
    assert message.reply_to is not None
    async with uow() as unit:
        assert await content_in_thread(unit, message.place) is None  # no thread of its own
        assert await content_at(unit, message.place, message.reply_to) is not None
    assert await interactions(uow, recorder) == ["reply"]


async def test_whether_a_chat_is_a_forum_is_asked_once(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter, clock: FakeClock
) -> None:
    deliverer = TelegramDeliverer(telegram.gateway, clock)
    for _ in range(2):
        await deliverer.deliver(_question(FORUM), None)
    assert [c.method for c in fake_telegram.calls].count("getChat") == 1
    assert len(fake_telegram.forum_topics[FORUM]) == 2


@pytest.mark.parametrize(
    ("chat", "refusal"),
    [
        (FORUM, "the bot must be an administrator allowed to manage topics"),
        (-1009999999999, "cannot post in chat -1009999999999: Chat not found"),
    ],
)
async def test_a_refused_topic_is_dead_at_once_with_the_reason(
    *,
    fake_telegram: FakeTelegram,
    telegram: TelegramAdapter,
    uow: UnitOfWorkFactory,
    clock: FakeClock,
    chat: int,
    refusal: str,
) -> None:
    fake_telegram.set_member(FORUM, FakeTelegram.BOT_ID, "member")
    deliverer = TelegramDeliverer(telegram.gateway, clock)
    item = await deliver_post(uow, clock, deliverer, _question(chat))
    assert item.status == "dead"
    assert item.last_error is not None
    assert refusal in item.last_error

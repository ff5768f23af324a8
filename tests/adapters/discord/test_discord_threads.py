"""A post that starts a thread, delivered by the real outbox worker and discord.py against the
fake Discord: in a text channel (a message, then a thread from it) and in a forum (a post); the
thread leads back to its content, and members writing in it count as replies."""

from __future__ import annotations

import pytest

from bot.adapters.discord.adapter import DiscordAdapter
from bot.adapters.discord.delivery import DiscordDeliverer
from bot.core.clock import FakeClock
from bot.core.dispatcher import Dispatcher
from bot.core.effects import PostToChat
from bot.core.events import MessagePosted
from bot.core.registry import Registry
from cogs.engagement.service import content_at, content_in_thread
from storage.interaction_recorder import InteractionRecorder
from storage.uow import UnitOfWorkFactory
from tests.adapters.conftest import ADA, Seen, content_messages, deliver_post, interactions
from tests.adapters.discord.conftest import discord_settings
from tests.fakes.discord import FakeDiscord

TITLE = "How do I cancel a task group without losing results? " * 3  # over 100 characters
THREAD_NAME = TITLE[:100]  # Discord's longest


@pytest.fixture
def discord_dispatcher(
    fake_discord: FakeDiscord,
    registry: Registry,
    uow: UnitOfWorkFactory,
    clock: FakeClock,
) -> Dispatcher:
    return Dispatcher(
        registry=registry,
        uow=uow,
        clock=clock,
        settings=discord_settings(fake_discord),
    )


def _question(channel: int, text: str) -> PostToChat:
    return PostToChat("discord", str(channel), text, thread_title=TITLE, content_ref="question:1")


async def _question_in(uow: UnitOfWorkFactory, message: MessagePosted) -> int | None:
    async with uow() as unit:
        found = await content_in_thread(unit, message.place)
        return found.id if found else None


async def test_a_question_in_a_text_channel_starts_a_thread_from_its_message(
    *,
    fake_discord: FakeDiscord,
    adapter: DiscordAdapter,
    uow: UnitOfWorkFactory,
    clock: FakeClock,
    recorder: InteractionRecorder,
    seen: Seen,
) -> None:
    channel = fake_discord.channels["qa"]
    text = "I start a task group. " * 80 + "\nDetails: " + "x" * 900  # over 2000 characters
    deliverer = DiscordDeliverer(adapter.gateway, fake_discord.guild_id)
    await deliver_post(uow, clock, deliverer, _question(channel, text))

    [(thread_id, thread)] = fake_discord.threads.items()
    assert (thread["name"], thread["parent_id"]) == (THREAD_NAME, str(channel))
    [opening] = fake_discord.messages[channel]
    assert int(opening["id"]) == thread_id  # Discord gives the thread its message's id
    [rest] = fake_discord.messages[thread_id]  # the rest of the text goes on in the thread
    assert f"{opening['content']}\n{rest['content']}" == text
    assert await content_messages(uow) == [
        (str(channel), str(thread_id), "copy"),
        (str(thread_id), rest["id"], "copy"),
        (str(thread_id), str(thread_id), "thread"),
    ]

    await fake_discord.post_in_thread(ADA, thread_id, "Cancel the scope, keep the futures")
    message = await seen.wait_for(MessagePosted)
    assert isinstance(message, MessagePosted)
    assert (message.place.chat_id, message.reply_to) == (str(thread_id), None)
    assert adapter.client.get_channel(thread_id) is not None  # discord.py took THREAD_CREATE
    assert await _question_in(uow, message) == 1
    assert await interactions(uow, recorder) == ["reply"]


async def test_a_question_in_a_forum_channel_is_a_forum_post(
    *,
    fake_discord: FakeDiscord,
    adapter: DiscordAdapter,
    uow: UnitOfWorkFactory,
    clock: FakeClock,
    recorder: InteractionRecorder,
    seen: Seen,
) -> None:
    forum = fake_discord.channels["forum"]
    deliverer = DiscordDeliverer(adapter.gateway, fake_discord.guild_id)
    await deliver_post(uow, clock, deliverer, _question(forum, "Details"))

    [(post_id, thread)] = fake_discord.threads.items()
    assert (thread["name"], thread["parent_id"]) == (THREAD_NAME, str(forum))
    [opening] = fake_discord.messages[post_id]
    assert (int(opening["id"]), opening["content"]) == (post_id, "Details")
    # Its first message has the thread's id: that one row is the copy and the thread's key.
    assert await content_messages(uow) == [(str(post_id), str(post_id), "copy")]

    await fake_discord.react(ADA, post_id, post_id, "👍")
    await fake_discord.post_in_thread(ADA, post_id, "Use a TaskGroup")
    await seen.wait_for_count(2)
    message = next(e for e in seen.events if isinstance(e, MessagePosted))
    assert await _question_in(uow, message) == 1
    async with uow() as unit:
        starter = await content_at(unit, message.place, str(post_id))
        assert starter is not None
    assert await interactions(uow, recorder) == ["reaction", "reply"]


@pytest.mark.parametrize(
    ("channel", "refusal"),
    [
        ("qa", "the bot needs Send Messages, Create Public Threads"),
        ("nowhere", "channel 4242: Unknown Channel"),
    ],
)
async def test_a_refused_thread_is_dead_at_once_with_the_reason(
    *,
    fake_discord: FakeDiscord,
    adapter: DiscordAdapter,
    uow: UnitOfWorkFactory,
    clock: FakeClock,
    channel: str,
    refusal: str,
) -> None:
    fake_discord.fail_next("POST", r"/channels/\d+/messages/\d+/threads$", 403, code=50013)
    target = fake_discord.channels.get(channel, 4242)
    deliverer = DiscordDeliverer(adapter.gateway, fake_discord.guild_id)
    item = await deliver_post(uow, clock, deliverer, _question(target, "Why?"))
    assert item.status == "dead"
    assert item.last_error is not None
    assert refusal in item.last_error

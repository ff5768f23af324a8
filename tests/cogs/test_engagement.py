"""Contents and interactions through the dispatcher: what counts, for which content."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.core.clock import FakeClock
from bot.core.dispatcher import Dispatcher
from bot.core.events import Actor, MessagePosted, Place, Platform, ReactionChanged
from bot.core.permissions import Level
from cogs.engagement.service import content_in_thread, register_content, show
from cogs.engagement.upkeep import Upkeep, keep_interactions
from cogs.services import Services
from storage.interaction_recorder import InteractionRecorder
from storage.models import Content, Interaction
from storage.models.engagement import THREAD
from storage.uow import UnitOfWorkFactory
from tests.conftest import actor, dispatcher_for, make_settings, wire

TRACKED, OTHER, TG_CHAT = "700", "701", "-1009"
SETTINGS = make_settings(engagement={"track": {"discord": [int(TRACKED)]}})
CREATOR = actor("Cleo", Platform.DISCORD, user_id="1", level=Level.CREATOR)
ADA = actor("Ada", Platform.DISCORD, user_id="2")
LI = actor("Li", Platform.TELEGRAM, user_id="3")


@pytest.fixture
def services(uow: UnitOfWorkFactory, clock: FakeClock) -> Services:
    return wire(uow, clock, SETTINGS)


@pytest.fixture
def recorder(services: Services) -> InteractionRecorder:
    return services.interactions


@pytest.fixture
def engaged(uow: UnitOfWorkFactory, clock: FakeClock, services: Services) -> Dispatcher:
    return dispatcher_for(uow, clock, SETTINGS, services)


def _in(channel: str, platform: Platform = Platform.DISCORD) -> Place:
    return Place(platform, channel, is_private=False)


async def _post(dispatcher: Dispatcher, who: Actor, channel: str, message: str, **kw: str) -> None:
    await dispatcher.notify(MessagePosted(who, _in(channel), message, "Hello\nworld", **kw))


async def _write(dispatcher: Dispatcher, who: Actor, place: Place, message: str) -> None:
    await dispatcher.notify(MessagePosted(who, place, message, "Because"))


async def _react(
    dispatcher: Dispatcher, who: Actor, place: Place, message: str, *, added: bool = True
) -> None:
    await dispatcher.notify(ReactionChanged(who, place, message, "👍", added))


async def _counted(
    uow: UnitOfWorkFactory, recorder: InteractionRecorder
) -> list[tuple[int, int, str, str, int]]:
    await recorder.flush()
    async with uow() as unit:
        rows = await unit.session.scalars(select(Interaction).order_by(Interaction.id))
        return [(r.content_id, r.member_id, r.kind, r.platform, r.delta) for r in rows]


async def test_a_creators_post_in_a_tracked_channel_counts_reactions_and_replies(
    engaged: Dispatcher, uow: UnitOfWorkFactory, recorder: InteractionRecorder
) -> None:
    await _post(engaged, CREATOR, TRACKED, "10")
    await _react(engaged, ADA, _in(TRACKED), "10")
    await _react(engaged, ADA, _in(TRACKED), "10", added=False)  # taken back
    await _react(engaged, CREATOR, _in(TRACKED), "10")  # the author's own: not counted
    await _post(engaged, ADA, TRACKED, "11", reply_to="10")
    await _post(engaged, CREATOR, TRACKED, "12", reply_to="11")  # the author replies: no count
    await _post(engaged, ADA, TRACKED, "13", reply_to="12")  # a reply to a reply: the root
    async with uow() as unit:
        [post] = (await unit.session.scalars(select(Content))).all()
        assert (post.kind, post.title, post.author_member_id) == ("post", "Hello", 1)
    ada = 2
    assert await _counted(uow, recorder) == [
        (post.id, ada, "reaction", "discord", 1),
        (post.id, ada, "reaction", "discord", -1),
        (post.id, ada, "reply", "discord", 1),
        (post.id, ada, "reply", "discord", 1),
    ]


async def test_posts_elsewhere_or_by_members_are_not_contents(
    engaged: Dispatcher, uow: UnitOfWorkFactory, recorder: InteractionRecorder
) -> None:
    await _post(engaged, CREATOR, OTHER, "20")
    await _post(engaged, ADA, TRACKED, "21")
    await _react(engaged, ADA, _in(OTHER), "20")
    await _react(engaged, CREATOR, _in(TRACKED), "21")
    async with uow() as unit:
        assert (await unit.session.scalars(select(Content))).all() == []
    assert await _counted(uow, recorder) == []


async def test_the_discord_and_telegram_copies_are_one_content(
    engaged: Dispatcher, uow: UnitOfWorkFactory, recorder: InteractionRecorder, clock: FakeClock
) -> None:
    async with uow() as unit:
        drop = await register_content(
            unit, kind="drop", ref="drop:1", title="Async tips", author_id=None, at=clock.now()
        )
        await show(unit, drop, _in(OTHER), "30")
        await show(unit, drop, _in(TG_CHAT, Platform.TELEGRAM), "5")
        again = await register_content(
            unit, kind="drop", ref="drop:1", title="ignored", author_id=None, at=clock.now()
        )
        assert again.id == drop.id
    await _react(engaged, ADA, _in(OTHER), "30")
    await _react(engaged, LI, _in(TG_CHAT, Platform.TELEGRAM), "5")
    await _react(engaged, LI, _in(TG_CHAT, Platform.TELEGRAM), "6")  # another message: nothing
    counted = await _counted(uow, recorder)
    assert [(c, kind, platform) for c, _, kind, platform, _ in counted] == [
        (drop.id, "reaction", "discord"),
        (drop.id, "reaction", "telegram"),
    ]


async def test_messages_in_a_contents_thread_count_as_replies(
    engaged: Dispatcher, uow: UnitOfWorkFactory, recorder: InteractionRecorder, clock: FakeClock
) -> None:
    discord_thread, topic = _in("800"), Place(Platform.TELEGRAM, TG_CHAT, False, thread_id="9")
    async with uow() as unit:
        question = await register_content(
            unit, kind="question", ref="question:1", title="Why?", author_id=None, at=clock.now()
        )
        await show(unit, question, discord_thread, "800", role=THREAD)
        await show(unit, question, topic, "9", role=THREAD)
        assert await content_in_thread(unit, discord_thread) == question
        assert await content_in_thread(unit, topic) == question
        assert await content_in_thread(unit, _in(TG_CHAT, Platform.TELEGRAM)) is None
    await _write(engaged, ADA, discord_thread, "801")
    await _write(engaged, LI, topic, "10")
    await _write(engaged, LI, Place(Platform.TELEGRAM, TG_CHAT, False, "11"), "12")  # elsewhere
    counted = await _counted(uow, recorder)
    assert [(c, kind, platform) for c, _, kind, platform, _ in counted] == [
        (question.id, "reply", "discord"),
        (question.id, "reply", "telegram"),
    ]


async def test_upkeep_rolls_up_and_prunes_after_the_retention(
    engaged: Dispatcher, uow: UnitOfWorkFactory, recorder: InteractionRecorder, clock: FakeClock
) -> None:
    await _post(engaged, CREATOR, TRACKED, "40")
    await _react(engaged, ADA, _in(TRACKED), "40")
    await recorder.flush()
    assert await keep_interactions(uow, SETTINGS, clock) == Upkeep(rolled_up=1, pruned=0)
    clock.advance(timedelta(days=SETTINGS.engagement.retention_days + 1))
    assert await keep_interactions(uow, SETTINGS, clock) == Upkeep(rolled_up=0, pruned=1)

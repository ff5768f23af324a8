"""A paid question on Telegram, through real python-telegram-bot and the fake Bot API: asked
with the reply prompt, paid in Stars, posted as a forum topic, answered in the topic (and the
answer taken out of it), accepted, owed to the expert; or refunded once when nobody answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.adapters.telegram.delivery import TelegramDeliverer
from bot.config import Settings
from bot.core.clock import FakeClock
from bot.core.delivery import OutboxWorker
from bot.core.effects import DeleteMessage
from bot.core.outbox import Deliverer, PermanentFailure
from cogs.membership.reconcile import Reconciler
from cogs.qa.service import keep_deadlines
from payments.provider_calls import ProviderCalls
from storage.uow import UnitOfWorkFactory
from tests.adapters.conftest import running
from tests.adapters.telegram.conftest import (
    CREATOR_COMMANDS,
    LI,
    MOD,
    Journey,
    Shop,
    open_shop,
)
from tests.conftest import make_settings
from tests.fakes.telegram import FakeTelegram

EXPERT = 5550003
QA_FORUM = -1005000000001
SLA_HOURS = 48
QUESTION = "How do I cancel an asyncio TaskGroup without losing results?"
ANSWER = "Catch CancelledError in each task and keep what finished in a list."


@pytest.fixture
def qa_settings(fake_telegram: FakeTelegram) -> Settings:
    fake_telegram.add_user(EXPERT, "Ada", username="ada_expert")
    fake_telegram.add_chat(QA_FORUM, "Questions", is_forum=True)
    fake_telegram.set_member(QA_FORUM, FakeTelegram.BOT_ID, "administrator")
    for user in (LI, EXPERT):
        fake_telegram.set_member(QA_FORUM, user)
    return make_settings(
        telegram={
            "api_base_url": fake_telegram.base_url,
            "community_chat_id": fake_telegram.community_chat_id,
            "qa_chat_id": QA_FORUM,
            "mod_user_ids": [MOD],
            "creator_user_ids": [EXPERT],
        },
        qa={
            "min_price": "5.00",
            "sla_hours": SLA_HOURS,
            "platform_fee_percent": 10,
        },
        payments={"stars_per_unit": 50},
    )


def _journey(
    shop: Shop, fake: FakeTelegram, uow: UnitOfWorkFactory, settings: Settings, clock: FakeClock
) -> Journey:
    deliverers: dict[str, Deliverer] = {
        "telegram": TelegramDeliverer(shop.adapter.gateway, clock),
        "payments": ProviderCalls(uow, shop.services.payments, clock),
    }
    worker = OutboxWorker(uow, deliverers, clock)
    return shop.journey(fake, uow, worker, Reconciler(uow, settings, clock, []))


@pytest.fixture
async def journey(
    fake_telegram: FakeTelegram, qa_settings: Settings, uow: UnitOfWorkFactory, clock: FakeClock
) -> AsyncIterator[Journey]:
    shop = open_shop(qa_settings, uow, clock)
    async with running(shop.adapter):
        await fake_telegram.wait_until_polling()
        yield _journey(shop, fake_telegram, uow, qa_settings, clock)


async def _ask_and_pay(journey: Journey) -> None:
    """The expert has talked to the bot (so @ada_expert is known); Li asks them with /ask alone,
    answers the prompt with the question, and pays the invoice in Stars."""
    await journey.telegram.send_command(EXPERT, "/payouts")
    await journey.telegram.wait_for_bot_message(EXPERT)
    await journey.telegram.send_command(LI, "/ask")
    prompt = await journey.telegram.wait_for_bot_message(LI)
    await journey.telegram.reply(LI, f"@ada_expert {QUESTION}", reply_to=prompt["message_id"])
    await journey.paid_in_stars(LI)


async def test_a_question_paid_in_stars_is_answered_in_its_topic_and_the_expert_is_owed(
    journey: Journey,
) -> None:
    fake = journey.telegram
    # An expert (a configured creator) has /answer and /expert in their menu.
    assert {c["command"] for c in fake.visible_commands(EXPERT)} == CREATOR_COMMANDS
    await _ask_and_pay(journey)
    [topic] = fake.forum_topics[QA_FORUM]
    assert topic["name"] == f"#1 {QUESTION}"
    assert "(250 ⭐)" in await journey.bot_says_to(EXPERT, "/answer 1")

    written = await fake.reply(
        EXPERT, ANSWER, chat_id=QA_FORUM, message_thread_id=topic["message_thread_id"]
    )
    await journey.bot_says_to(QA_FORUM, "/question 1")  # taken as the answer
    await journey.deliver_promises()
    assert fake.deleted_messages == [(QA_FORUM, written["message_id"])]
    assert all(ANSWER not in (m.get("text") or "") for m in fake.bot_messages(QA_FORUM))

    await fake.send_command(LI, "/question 1")
    assert ANSWER in await journey.bot_says_to(LI, ANSWER)
    await fake.send_command(LI, "/accept 1")
    await fake.wait_for_bot_message(LI)
    await fake.send_command(EXPERT, "/payouts")
    # 5.00 at 50 Stars per unit is 250 Stars; less the 10% fee, 225 are owed.
    assert "You are owed 225 ⭐." in await journey.bot_says_to(EXPERT, "owed")


async def test_an_unanswered_question_is_refunded_in_stars_once_across_a_restart(
    journey: Journey,
    fake_telegram: FakeTelegram,
    qa_settings: Settings,
    uow: UnitOfWorkFactory,
    clock: FakeClock,
) -> None:
    await _ask_and_pay(journey)
    clock.advance(timedelta(hours=SLA_HOURS, minutes=1))
    # The job queues the refund, and the bot stops before the outbox delivers it.
    assert (await keep_deadlines(uow, journey.services, qa_settings, clock)).refunded == 1
    await journey.adapter.stop()

    restarted = open_shop(qa_settings, uow, clock)
    async with running(restarted.adapter):
        await fake_telegram.wait_until_polling()
        again = _journey(restarted, fake_telegram, uow, qa_settings, clock)
        assert (await keep_deadlines(uow, restarted.services, qa_settings, clock)).refunded == 0
        await again.deliver_promises()
        await keep_deadlines(uow, restarted.services, qa_settings, clock)
        await again.deliver_promises()
        await again.bot_says_to(LI, "#1")  # told, in Chinese
    refunds = [c for c in fake_telegram.calls if c.method == "refundStarPayment"]
    assert len(refunds) == 1
    assert refunds[0].params["user_id"] == LI


async def test_an_answer_already_deleted_counts_as_deleted_and_missing_rights_fail_for_good(
    journey: Journey, fake_telegram: FakeTelegram, clock: FakeClock
) -> None:
    deliverer = TelegramDeliverer(journey.adapter.gateway, clock)
    written = await fake_telegram.reply(LI, "an answer", chat_id=QA_FORUM)
    hide = DeleteMessage("telegram", str(QA_FORUM), str(written["message_id"]), "answer")
    fake_telegram.set_member(
        QA_FORUM, FakeTelegram.BOT_ID, "administrator", withheld=("can_delete_messages",)
    )
    with pytest.raises(PermanentFailure, match="allowed to delete messages"):
        await deliverer.deliver(hide, None)
    fake_telegram.set_member(QA_FORUM, FakeTelegram.BOT_ID, "administrator")
    assert await deliverer.deliver(hide, None) is None
    assert await deliverer.deliver(hide, None) is None  # a retried outbox item: already gone
    assert fake_telegram.deleted_messages == [(QA_FORUM, written["message_id"])]

"""A premium drop on Telegram, through real python-telegram-bot and the fake Bot API: written as
a reply to the bot's prompt, published with the preview's button to the tier's chat and as a
teaser to the drops chat, sent by private message to a member who asked for that, and sold to
an outsider in Stars."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.adapters.telegram.delivery import TelegramDeliverer
from bot.config import Settings
from bot.core.clock import FakeClock
from bot.core.delivery import OutboxWorker
from bot.core.outbox import Deliverer
from cogs.membership.reconcile import Reconciler
from payments.provider_calls import ProviderCalls
from storage.uow import UnitOfWorkFactory
from tests.adapters.conftest import running
from tests.adapters.telegram.conftest import LI, MOD, TIER_CHAT, Journey, open_shop
from tests.conftest import make_settings
from tests.fakes.telegram import FakeTelegram

CREATOR = 5550003
OUTSIDER = 5550004
DROPS_CHAT = -1006000000001
TITLE = "Async patterns in Rust, with task groups"  # longer than an invoice title may be
NEW = "/drop new member price:5.00"
TEXT = f"{TITLE}\nSpawn into a JoinSet.\nAwait join_next.\nOne more.\nSECRET FOURTH"
# Telegram shows the Markdown title in bold, without its asterisks.
FULL = f"Drop D1 · {TITLE}\n\nSpawn into a JoinSet.\nAwait join_next.\nOne more.\nSECRET FOURTH"
TEASER = (
    f"{TITLE}\nSpawn into a JoinSet.\nAwait join_next.\nOne more.…\n\n"
    "Members of Member read it in full. Anyone can unlock it for $5.00: /unlock D1"
)


@pytest.fixture
def drops_settings(fake_telegram: FakeTelegram) -> Settings:
    fake_telegram.add_user(CREATOR, "Lin", username="lin_writes", language_code="en")
    fake_telegram.add_user(OUTSIDER, "Lee", username="lee", language_code="en")
    fake_telegram.add_chat(DROPS_CHAT, "Drops")
    fake_telegram.set_member(DROPS_CHAT, FakeTelegram.BOT_ID, "administrator")
    return make_settings(
        telegram={
            "api_base_url": fake_telegram.base_url,
            "community_chat_id": fake_telegram.community_chat_id,
            "drops_chat_id": DROPS_CHAT,
            "mod_user_ids": [MOD],
            "creator_user_ids": [CREATOR],
        },
        tiers={
            "member": {
                "name": "Member",
                "price": "9.00",
                "interval": "month",
                "telegram_chat_ids": [TIER_CHAT],
            }
        },
        payments={"stars_per_unit": 50},
    )


@pytest.fixture
async def journey(
    fake_telegram: FakeTelegram, drops_settings: Settings, uow: UnitOfWorkFactory, clock: FakeClock
) -> AsyncIterator[Journey]:
    shop = open_shop(drops_settings, uow, clock)
    deliverers: dict[str, Deliverer] = {
        "telegram": TelegramDeliverer(shop.adapter.gateway, clock),
        "payments": ProviderCalls(uow, shop.services.payments, clock),
    }
    async with running(shop.adapter):
        await fake_telegram.wait_until_polling()
        yield shop.journey(
            fake_telegram,
            uow,
            OutboxWorker(uow, deliverers, clock),
            Reconciler(uow, drops_settings, clock, []),
        )


async def said(journey: Journey, user_id: int, command: str) -> str:
    """The user sends `command` to the bot in private; the bot's answer."""
    await journey.telegram.send_command(user_id, command)
    return str((await journey.telegram.wait_for_bot_message(user_id))["text"])


def callback_buttons(message: dict[str, object]) -> list[dict[str, str]]:
    markup = message.get("reply_markup")
    assert isinstance(markup, dict)
    return [button for row in markup["inline_keyboard"] for button in row]


async def test_write_publish_notify_and_sell_a_drop_in_stars(journey: Journey) -> None:
    fake = journey.telegram
    # Li holds the tier (given by a moderator) and wants new drops by private message.
    assert await said(journey, LI, "/notify on") == (
        "你所在等级的新内容将通过私信发给你。"  # Li speaks Chinese
    )
    await fake.send_command(MOD, "/grant @liwei member 30d")
    assert "Member" in (await fake.wait_for_bot_message(MOD))["text"]
    await journey.deliver_promises()

    assert await said(journey, OUTSIDER, "/drop new") == "You need the creator role to use /drop."
    # Without its tiers, /drop new offers them as buttons.
    await fake.send_command(CREATOR, "/drop new")
    choose = await fake.wait_for_bot_message(CREATOR)
    assert choose["text"] == (
        "/drop new needs <tiers>: The tiers that read it in full, comma-separated."
    )
    assert callback_buttons(choose) == [
        {"text": "member", "callback_data": "kp:cmd:/drop new member"}
    ]
    # With them (and a price), it asks for the text by a reply.
    await fake.send_command(CREATOR, NEW)
    prompt = await fake.wait_for_bot_message(CREATOR)
    assert prompt["text"] == (
        "/drop new needs <text>: The title on the first line, then the body; a link alone on "
        "the last line.\nReply to this message with it."
    )
    await fake.reply(CREATOR, TEXT, reply_to=prompt["message_id"])
    preview = await fake.wait_for_bot_message(CREATOR)
    assert preview["text"].startswith(f"Preview of drop D1 (nothing is posted yet):\n\n{FULL}")
    assert f"Teaser in the public drops channel:\n\n{TEASER}" in preview["text"]
    assert preview["text"].endswith(f"In full in: telegram {TIER_CHAT}")
    [publish] = callback_buttons(preview)
    assert publish == {"text": "Publish", "callback_data": "kp:cmd:/drop publish D1"}
    assert fake.bot_messages(TIER_CHAT) == []  # a preview posts nothing

    await fake.press_button(CREATOR, CREATOR, preview["message_id"], publish["callback_data"])
    published = await fake.wait_for_bot_message(CREATOR)
    assert published["text"] == "Drop D1 is published; 1 members get it by private message."
    await journey.deliver_promises()
    [full] = fake.bot_messages(TIER_CHAT)
    assert full["text"] == FULL
    assert "reply_markup" not in full
    [teaser] = fake.bot_messages(DROPS_CHAT)
    assert teaser["text"] == TEASER
    assert callback_buttons(teaser) == [
        {"text": "Unlock for $5.00", "callback_data": "kp:cmd:/unlock D1"}
    ]
    body = FULL.removeprefix("Drop D1 · ")
    assert (await journey.bot_says_to(LI, "SECRET FOURTH")).endswith(f" · {body}")
    assert await said(journey, LI, "/drops") == f"内容 D1 · {body}"  # in Li's language

    # The outsider sees the teaser only, then buys the drop in Stars: 5.00 at 50 per unit.
    outsider = await said(journey, OUTSIDER, "/drops")
    assert outsider == TEASER
    await fake.send_command(OUTSIDER, "/unlock D1")
    invoice = await fake.wait_for_call("sendInvoice")
    assert invoice.params["chat_id"] == OUTSIDER
    assert invoice.params["currency"] == "XTR"
    assert invoice.params["title"] == TITLE[:32]
    assert [price["amount"] for price in invoice.params["prices"]] == [250]
    await journey.paid_in_stars(OUTSIDER)
    assert await journey.bot_says_to(OUTSIDER, "SECRET FOURTH") == FULL
    assert "SECRET FOURTH" in await said(journey, OUTSIDER, "/drops")
    async with journey.uow() as unit:
        payment = await unit.payments.by_checkout("stars-1")
        assert payment is not None
        assert (payment.provider, payment.amount_minor, payment.currency) == ("stars", 250, "xtr")
        assert payment.purpose.startswith("drops:")


async def _published_to_li(journey: Journey) -> None:
    """Li holds the tier and asked for new drops by private message; the creator writes a drop
    in one message and publishes it; the outbox delivers."""
    fake = journey.telegram
    await said(journey, LI, "/notify on")
    await said(journey, MOD, "/grant @liwei member 30d")
    preview = await journey.telegram.send_command(CREATOR, f"{NEW}\n{TEXT}")
    assert preview["text"].startswith(f"{NEW}\n")
    shown = await fake.wait_for_bot_message(CREATOR)
    [publish] = callback_buttons(shown)
    await fake.press_button(CREATOR, CREATOR, shown["message_id"], publish["callback_data"])
    await fake.wait_for_bot_message(CREATOR)
    await journey.deliver_promises()


async def test_the_title_is_bold_on_telegram(journey: Journey) -> None:
    await _published_to_li(journey)
    [full] = journey.telegram.bot_messages(TIER_CHAT)
    assert "**" not in full["text"]
    assert any(e["type"] == "bold" for e in full.get("entities", []))


async def test_a_new_drop_comes_by_private_message_in_the_members_language(
    journey: Journey,
) -> None:
    await _published_to_li(journey)
    assert (await journey.bot_says_to(LI, "SECRET FOURTH")).startswith("内容 D1 · ")

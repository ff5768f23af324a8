"""Edits delivered by the real outbox worker and python-telegram-bot against the fake Bot API:
the bot's own messages change (cut to one message, rendered as posts are), one already gone
or already changed is done, and a refusal is a dead letter that says why."""

from __future__ import annotations

from bot.adapters.telegram.adapter import TelegramAdapter
from bot.adapters.telegram.delivery import TelegramDeliverer
from bot.core.clock import FakeClock
from bot.core.effects import Button, EditMessage
from storage.uow import UnitOfWorkFactory
from tests.adapters.conftest import deliver_edits
from tests.adapters.telegram.conftest import LI
from tests.fakes.telegram import FakeTelegram


async def test_an_edit_changes_the_bots_message_cut_to_one_message(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter, uow: UnitOfWorkFactory, clock: FakeClock
) -> None:
    chat = fake_telegram.community_chat_id
    [posted] = await telegram.gateway.send(
        chat, "Drop #1: old", buttons=[Button("Old", url="https://a")]
    )
    text = "# Drop #1 <fixed> & `better`\n" + "更多的话\n" * 1200  # over 4096 characters
    unlock = Button("Unlock", command="/unlock 1")
    edit = EditMessage("telegram", str(chat), str(posted), text, (unlock,))
    # The second is a retried outbox item: Telegram says the message is not modified.
    first, again = await deliver_edits(
        uow, clock, TelegramDeliverer(telegram.gateway, clock), edit, edit
    )

    assert (first.status, first.last_error) == ("done", None)
    assert (again.status, again.last_error) == ("done", None)
    call = await fake_telegram.wait_for_call("editMessageText")
    assert call.params["parse_mode"] == "HTML"
    assert call.params["link_preview_options"] == {"is_disabled": True}
    assert (await fake_telegram.wait_for_call("editMessageText")).status == 400  # not modified
    [message] = fake_telegram.bot_messages(chat)
    assert message["text"].startswith("Drop #1 <fixed> & better\n更多的话")
    assert message["text"].endswith("更多的话\n…")
    assert len(message["text"]) <= 4096
    assert [e["type"] for e in message["entities"]] == ["bold", "code"]
    [[button]] = message["reply_markup"]["inline_keyboard"]
    assert button["text"] == "Unlock"  # the old buttons were replaced
    # Telegram tells a bot nothing of its own edits.
    assert not any("edited_message" in update for update in fake_telegram.updates)


async def test_an_edit_of_a_deleted_message_is_done_and_a_refused_one_is_final(
    fake_telegram: FakeTelegram, telegram: TelegramAdapter, uow: UnitOfWorkFactory, clock: FakeClock
) -> None:
    chat, private = fake_telegram.community_chat_id, -1009000000001
    [gone] = await telegram.gateway.send(chat, "Drop")
    await telegram.gateway.delete_message(chat, gone)
    theirs = await fake_telegram.reply(LI, "my own words", chat_id=chat)
    fake_telegram.add_chat(private, "Drops")
    fake_telegram.set_member(private, FakeTelegram.BOT_ID, "administrator")
    [left_behind] = await telegram.gateway.send(private, "Drop")
    fake_telegram.set_member(private, FakeTelegram.BOT_ID, "kicked")

    gone_item, theirs_item, kicked_item = await deliver_edits(
        uow,
        clock,
        TelegramDeliverer(telegram.gateway, clock),
        EditMessage("telegram", str(chat), str(gone), "Drop, fixed"),
        EditMessage("telegram", str(chat), str(theirs["message_id"]), "Drop, fixed"),
        EditMessage("telegram", str(private), str(left_behind), "Drop, fixed"),
    )

    assert (gone_item.status, gone_item.last_error) == ("done", None)
    assert theirs_item.status == kicked_item.status == "dead"
    assert theirs_item.last_error == (
        f"permanent: cannot edit message {theirs['message_id']} in chat {chat} "
        "(Message can't be edited)"
    )
    assert kicked_item.last_error == (
        f"permanent: cannot edit message {left_behind} in chat {private}: "
        "Forbidden: bot was kicked from the supergroup chat"
    )
    assert [m["text"] for m in fake_telegram.bot_messages(private)] == ["Drop"]

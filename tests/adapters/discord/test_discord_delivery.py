"""The outbox delivering through the real Discord adapter and the fake Discord."""

from __future__ import annotations

from bot.adapters.discord.adapter import DiscordAdapter
from bot.adapters.discord.delivery import DiscordDeliverer
from bot.core.clock import FakeClock
from bot.core.delivery import OutboxSettings, OutboxWorker
from bot.core.effects import Button, DeleteMessage, EditMessage, GrantDiscordRole, NotifyMember
from bot.core.outbox import queue
from storage.uow import UnitOfWorkFactory
from tests.adapters.conftest import deliver_edits
from tests.adapters.discord.conftest import ADA
from tests.fakes.discord import FakeDiscord


async def test_roles_and_dms_promised_in_a_transaction_reach_discord(
    adapter: DiscordAdapter, fake_discord: FakeDiscord, uow: UnitOfWorkFactory, clock: FakeClock
) -> None:
    await fake_discord.invoke_slash(ADA, "whoami")  # Ada is member #1, with her Discord account
    member_role, pro_role = fake_discord.roles["member"], fake_discord.roles["mod"]
    async with uow() as unit:
        await queue(
            unit, GrantDiscordRole(1, member_role, "paid: member"), key="a", now=clock.now()
        )
        await queue(unit, NotifyMember(1, "Welcome, member!"), key="b", now=clock.now())
        # Above the bot's own role: Discord refuses for good.
        await queue(unit, GrantDiscordRole(1, pro_role, "paid: pro"), key="c", now=clock.now())
    deliverer = DiscordDeliverer(adapter.gateway, fake_discord.guild_id)
    worker = OutboxWorker(uow, {"discord": deliverer}, clock, OutboxSettings(max_attempts=2))
    assert await worker.run_once() == 3
    assert member_role in fake_discord.member_roles(ADA)
    dms = [
        m for ms in fake_discord.messages.values() for m in ms if m["content"] == "Welcome, member!"
    ]
    assert len(dms) == 1
    async with uow() as unit:
        assert await unit.outbox.counts() == {"done": 2, "dead": 1}
        [dead] = await unit.outbox.dead()
        assert dead.last_error is not None
        assert "role must sit above" in dead.last_error


async def test_a_message_is_deleted_once_and_a_missing_permission_is_final(
    adapter: DiscordAdapter, fake_discord: FakeDiscord, uow: UnitOfWorkFactory, clock: FakeClock
) -> None:
    channel = fake_discord.channels["qa"]
    written = await fake_discord.reply(ADA, channel, "the answer")
    kept = await fake_discord.reply(ADA, channel, "another answer")
    async with uow() as unit:
        for key, message_id in (("a", written["id"]), ("b", written["id"]), ("c", kept["id"])):
            hide = DeleteMessage("discord", str(channel), message_id, "the answer to #1")
            await queue(unit, hide, key=key, now=clock.now())
    # Already gone (the second) counts as done; no Manage Messages (the third) is final.
    fake_discord.fail_next("DELETE", rf"/messages/{kept['id']}$", 403, code=50013)
    deliverer = DiscordDeliverer(adapter.gateway, fake_discord.guild_id)
    worker = OutboxWorker(uow, {"discord": deliverer}, clock, OutboxSettings(max_attempts=1))
    assert await worker.run_once() == 3
    assert [m["id"] for m in fake_discord.deleted] == [written["id"]]
    call = await fake_discord.wait_for_call("DELETE", rf"/channels/{channel}/messages/")
    assert call.headers["X-Audit-Log-Reason"] == "the answer to #1"
    assert (
        await fake_discord.wait_for_call("DELETE", rf"/messages/{written['id']}$")
    ).status == 404
    async with uow() as unit:
        assert await unit.outbox.counts() == {"done": 2, "dead": 1}
        [dead] = await unit.outbox.dead()
        assert dead.last_error is not None
        assert "needs Manage Messages" in dead.last_error


async def test_an_edit_changes_the_bots_message_cut_to_one_message(
    adapter: DiscordAdapter, fake_discord: FakeDiscord, uow: UnitOfWorkFactory, clock: FakeClock
) -> None:
    channel = fake_discord.channels["drops"]
    [posted] = await adapter.gateway.post(channel, "Drop #1: old", [Button("Old", url="https://a")])
    text = "Drop #1, fixed for <@&1> @everyone\n" + "more words\n" * 300  # over 2000
    unlock = Button("Unlock", command="/unlock 1")
    deliverer = DiscordDeliverer(adapter.gateway, fake_discord.guild_id)
    [item] = await deliver_edits(
        uow,
        clock,
        deliverer,
        EditMessage("discord", str(channel), str(posted), text, (unlock,)),
    )
    assert (item.status, item.last_error) == ("done", None)
    call = await fake_discord.wait_for_call("PATCH", rf"/channels/{channel}/messages/{posted}$")
    assert call.json is not None
    assert call.json["allowed_mentions"]["parse"] == []
    [message] = fake_discord.messages[channel]
    assert message["content"].startswith("Drop #1, fixed")
    assert message["content"].endswith("more words\n…")
    assert len(message["content"]) <= 2000
    assert (message["mention_everyone"], message["mention_roles"]) == (False, [])
    [[button]] = [row["components"] for row in message["components"]]
    assert button["label"] == "Unlock"  # the old buttons were replaced


async def test_an_edit_of_a_deleted_message_is_done_and_a_refused_one_is_final(
    adapter: DiscordAdapter, fake_discord: FakeDiscord, uow: UnitOfWorkFactory, clock: FakeClock
) -> None:
    channel = fake_discord.channels["drops"]
    [gone] = await adapter.gateway.post(channel, "Drop")
    [hidden] = await adapter.gateway.post(channel, "Drop")
    await adapter.gateway.delete_message(channel, gone, "drop withdrawn")
    theirs = await fake_discord.reply(ADA, channel, "my own words")
    # The channel was hidden from the bot after it posted there.
    fake_discord.fail_next("PATCH", rf"/messages/{hidden}$", 403, code=50001)
    deliverer = DiscordDeliverer(adapter.gateway, fake_discord.guild_id)
    gone_item, theirs_item, hidden_item = await deliver_edits(
        uow,
        clock,
        deliverer,
        EditMessage("discord", str(channel), str(gone), "Drop, fixed"),
        EditMessage("discord", str(channel), theirs["id"], "Drop, fixed"),
        EditMessage("discord", str(channel), str(hidden), "Drop, fixed"),
    )
    assert (gone_item.status, gone_item.last_error) == ("done", None)
    assert theirs_item.status == hidden_item.status == "dead"
    assert theirs_item.last_error == (
        f"permanent: cannot edit message {theirs['id']} in channel {channel} (Cannot edit a "
        "message authored by another user): the bot can edit only its own messages, in "
        "channels it can see"
    )
    assert hidden_item.last_error is not None
    assert "(Missing Access)" in hidden_item.last_error
    assert [m["content"] for m in fake_discord.messages[channel]] == ["Drop"]

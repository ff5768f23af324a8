"""The outbox delivering through the real Discord adapter and the fake Discord."""

from __future__ import annotations

from bot.adapters.discord.adapter import DiscordAdapter
from bot.adapters.discord.delivery import DiscordDeliverer
from bot.core.clock import FakeClock
from bot.core.effects import DeleteMessage, GrantDiscordRole, NotifyMember
from payments.outbox import OutboxSettings, OutboxWorker, queue
from storage.uow import UnitOfWorkFactory
from tests.adapters.discord.conftest import ADA
from tests.fakes.discord_server import FakeDiscord


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

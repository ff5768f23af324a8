"""The Discord adapter end to end: real discord.py, the fake Discord, the real dispatcher."""

from __future__ import annotations

import asyncio
import re

import discord
import pytest

from bot.adapters.discord.adapter import DiscordAdapter
from bot.adapters.discord.delivery import DiscordReportPoster
from bot.adapters.discord.gateway import DeliveryRefused
from bot.core.dispatcher import Dispatcher
from bot.core.events import MessagePosted, Platform, ReactionChanged
from bot.core.permissions import Level
from bot.errors import StartupError
from storage.uow import UnitOfWorkFactory
from tests.adapters.conftest import Seen
from tests.adapters.discord.conftest import ADA, MODERATOR, discord_settings
from tests.conftest import actor, say
from tests.fakes.discord import FakeDiscord

EXPERT = 500000000000000005  # has the creator role

EPHEMERAL = 64


async def test_the_synced_tree_matches_the_registry(
    adapter: DiscordAdapter, fake_discord: FakeDiscord, discord_dispatcher: Dispatcher
) -> None:
    synced = {command["name"]: command for command in fake_discord.synced_commands}
    assert set(synced) == {spec.name for spec in discord_dispatcher.registry}
    language = synced["language"]
    assert language["description"] == "Choose the language I speak with you"
    assert language["description_localizations"]["zh-CN"] != language["description"]
    [option] = language["options"]
    assert option["type"] == 3
    assert [choice["value"] for choice in option["choices"]] == ["en", "zh_CN"]
    assert option["required"] is False
    [member_option] = synced["audit"]["options"]
    assert member_option["type"] == 6  # USER: picked from the member list
    assert synced["whoami"].get("options", []) == []


async def test_whoami_and_language_end_to_end(
    adapter: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    result = await fake_discord.invoke_slash(ADA, "whoami")
    assert result.type == 4
    assert result.flags & EPHEMERAL
    assert result.content is not None
    assert "You are member #1 (Ada)." in result.content
    assert f"Discord: @ada ({ADA})" in result.content

    switched = await fake_discord.invoke_slash(ADA, "language", {"language": "zh_CN"})
    assert switched.content is not None
    assert "中文" in switched.content
    chinese = await fake_discord.invoke_slash(ADA, "whoami")
    assert chinese.content is not None
    assert "Role:" not in chinese.content


async def test_descriptions_follow_the_members_discord_language(
    adapter: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    result = await fake_discord.invoke_slash(ADA, "help", locale="zh-CN")
    assert result.content is not None
    assert "/whoami" in result.content
    assert "Commands you can use" not in result.content


async def test_link_joins_a_discord_and_a_console_identity(
    adapter: DiscordAdapter, fake_discord: FakeDiscord, discord_dispatcher: Dispatcher
) -> None:
    issued = await fake_discord.invoke_slash(ADA, "link")
    assert issued.content is not None
    code = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}", issued.content)
    assert code
    terminal = actor("ada_at_home", Platform.CONSOLE)
    assert "Linked" in await say(discord_dispatcher, terminal, f"/link {code.group(0)}")
    result = await fake_discord.invoke_slash(ADA, "whoami")
    assert result.content is not None
    assert "console: @ada_at_home" in result.content


async def test_a_member_below_the_level_is_refused_and_a_moderator_is_not(
    adapter: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    refused = await fake_discord.invoke_slash(ADA, "audit")
    assert refused.content == "You need the mod role to use /audit."
    allowed = await fake_discord.invoke_slash(MODERATOR, "audit", {"member": ADA})
    # The member picked from Discord's list is found: Ada has no history yet.
    assert allowed.content == "The audit log has nothing to show yet."


async def test_everyone_mentions_are_echoed_without_pinging(
    adapter: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    result = await fake_discord.invoke_slash(ADA, "help", {"command": "@everyone"})
    assert result.content is not None
    assert "@everyone" in result.content
    assert result.allowed_mentions == {"parse": []}


async def test_reactions_and_replies_on_a_bot_message_reach_the_dispatcher(
    adapter: DiscordAdapter, fake_discord: FakeDiscord, seen: Seen
) -> None:
    channel = fake_discord.channels["drops"]
    [message_id] = await adapter.gateway.post(channel, "A new drop: lifetimes, explained")
    await fake_discord.react(ADA, channel, message_id, "🔥")
    reaction = await seen.wait_for(ReactionChanged)
    assert isinstance(reaction, ReactionChanged)
    assert (reaction.message_id, reaction.emoji, reaction.added) == (str(message_id), "🔥", True)
    assert reaction.actor.user_id == str(ADA)

    await fake_discord.reply(ADA, channel, "This helped, thanks", reply_to=message_id)
    reply = await seen.wait_for(MessagePosted)
    assert isinstance(reply, MessagePosted)
    assert reply.reply_to == str(message_id)
    assert reply.text == "This helped, thanks"


async def test_a_rate_limited_role_grant_is_retried_and_succeeds(
    adapter: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    role = fake_discord.roles["member"]
    fake_discord.fail_next("PUT", r"/guilds/\d+/members/\d+/roles/\d+", 429, retry_after=0.05)
    await adapter.gateway.add_role(fake_discord.guild_id, ADA, role, reason="paid: member tier")
    assert role in fake_discord.member_roles(ADA)
    puts = [c for c in fake_discord.calls if c.method == "PUT" and "/roles/" in c.path]
    assert [c.status for c in puts] == [429, 204]
    assert puts[-1].headers.get("X-Audit-Log-Reason") == "paid: member tier"


async def test_a_forbidden_role_grant_is_a_clear_refusal(
    adapter: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    fake_discord.fail_next("PUT", r"/guilds/\d+/members/\d+/roles/\d+", 403, code=50013)
    with pytest.raises(DeliveryRefused, match="role must sit above"):
        await adapter.gateway.add_role(fake_discord.guild_id, ADA, fake_discord.roles["pro"], "x")


async def test_a_role_change_on_discord_changes_the_level_and_is_audited(
    adapter: DiscordAdapter, fake_discord: FakeDiscord, uow: UnitOfWorkFactory
) -> None:
    await fake_discord.invoke_slash(ADA, "whoami")
    creator = fake_discord.roles["creator"]
    await adapter.gateway.add_role(fake_discord.guild_id, ADA, creator, "promoted")
    result = await fake_discord.invoke_slash(MODERATOR, "audit", {"member": ADA})
    assert result.content is not None
    assert "from=member, platform=discord, to=creator" in result.content
    async with uow() as unit:
        identity = await unit.members.identity("discord", str(ADA))
        assert identity is not None
        assert identity.level == Level.CREATOR


async def test_dms_and_their_fallback_when_dms_are_closed(
    adapter: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    [_sent] = await adapter.gateway.send_dm(ADA, "Your receipt")
    dm_messages = [
        m for ms in fake_discord.messages.values() for m in ms if m["content"] == "Your receipt"
    ]
    assert len(dm_messages) == 1
    fake_discord.dm_closed.add(ADA)
    with pytest.raises(DeliveryRefused):
        await adapter.gateway.send_dm(ADA, "Your receipt")


async def test_a_rejected_token_is_a_clear_startup_error(
    fake_discord: FakeDiscord, discord_dispatcher: Dispatcher
) -> None:
    adapter = DiscordAdapter(discord_dispatcher, discord_settings(fake_discord), "not-the-token")
    with pytest.raises(StartupError, match="DISCORD_TOKEN: Discord rejected the token"):
        await adapter.run()


async def test_help_suggests_only_commands_the_member_may_run(
    adapter: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    member = await fake_discord.autocomplete(ADA, "help", "command", "a")
    assert member.type == 8
    # /answer is for experts (creators and up), /audit for moderators.
    assert [c["value"] for c in member.choices or []] == ["accept", "ask"]
    moderator = await fake_discord.autocomplete(MODERATOR, "help", "command", "a")
    assert [c["value"] for c in moderator.choices or []] == ["accept", "answer", "ask", "audit"]
    fake_discord.add_user(EXPERT, "lin", roles=[fake_discord.roles["creator"]])
    expert = await fake_discord.autocomplete(EXPERT, "help", "command", "")
    everything = await fake_discord.autocomplete(ADA, "help", "command", "")
    assert everything.choices is not None
    members = [c["value"] for c in everything.choices]
    assert members == [
        "accept",
        "ask",
        "cancel",
        "drops",
        "experts",
        "help",
        "join",
        "language",
        "link",
        "membership",
        "notify",
        "payouts",
        "question",
        "questions",
        "reject",
        "unlock",
        "whoami",
    ]
    # Experts (creators) also answer, set their price and write drops; deciding and recording
    # payouts is for mods.
    assert expert.choices is not None
    extra = sorted({c["value"] for c in expert.choices} - set(members))
    assert extra == ["answer", "drop", "expert"]
    moderators = await fake_discord.autocomplete(MODERATOR, "help", "command", "")
    assert moderators.choices is not None
    assert {"decide", "payout"} <= {c["value"] for c in moderators.choices}


async def test_reactions_and_role_removal_go_out(
    adapter: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    channel = fake_discord.channels["general"]
    [message_id] = await adapter.gateway.post(channel, "Welcome!")
    await adapter.gateway.react(channel, message_id, "👋")
    call = await fake_discord.wait_for_call(
        "PUT", rf"/channels/{channel}/messages/{message_id}/reactions/"
    )
    assert call.status == 204
    pro = fake_discord.roles["pro"]
    await adapter.gateway.add_role(fake_discord.guild_id, ADA, pro, "paid")
    await adapter.gateway.remove_role(fake_discord.guild_id, ADA, pro, "refunded")
    assert pro not in fake_discord.member_roles(ADA)


async def test_a_sharded_client_serves_the_same_commands(
    fake_discord: FakeDiscord, discord_dispatcher: Dispatcher
) -> None:
    settings = discord_settings(fake_discord)
    sharded = settings.model_copy(
        update={"discord": settings.discord.model_copy(update={"shard_count": 1, "shard_ids": [0]})}
    )
    adapter = DiscordAdapter(discord_dispatcher, sharded, FakeDiscord.TOKEN)
    running = asyncio.create_task(adapter.run())
    try:
        await fake_discord.wait_until_ready()
        result = await fake_discord.invoke_slash(ADA, "whoami")
        assert result.content is not None
        assert "You are member #1" in result.content
        assert isinstance(adapter.client, discord.AutoShardedClient)
        assert set(adapter.client.shards) == {0}
    finally:
        await adapter.stop()
        await asyncio.wait_for(running, timeout=10)


async def test_the_weekly_report_is_posted_with_its_chart(
    adapter: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    channel = fake_discord.channels["report"]
    chart = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    text = "# Week 2026-W47\n" + "\n".join(f"- line {n}" for n in range(400))  # > 2000 chars
    await DiscordReportPoster(adapter.gateway, channel).publish(text, chart, filename="r.png")
    posted = fake_discord.messages[channel]
    assert len(posted) >= 3  # the text in pieces under 2000 characters, then the chart
    assert all(len(m["content"]) <= 2000 for m in posted)
    assert "".join(m["content"] for m in posted[:-1]).count("- line") == 400
    [attachment] = posted[-1]["attachments"]
    assert attachment["filename"] == "r.png"
    upload = next(c for c in reversed(fake_discord.calls) if c.files)
    assert upload.files["r.png"] == chart

"""The fake Discord (tests/fakes/discord/) proven with the REAL discord.py client.

No knowpay code here: these tests show that a stock `discord.Client` + `CommandTree` logs in,
connects to the fake gateway, syncs commands, answers interactions and sees gateway events,
so adapter tests built on the fake exercise the wire behaviour production will see.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any, Literal

import discord
import pytest
import yarl
from discord import app_commands, ui

from tests.fakes.discord import FakeDiscord

ALICE, BOB, CAROL = 1001, 1002, 1003
WAIT = 5.0  # seconds; every wait below is on an event, never a sleep


def intents(*, message_content: bool = True) -> discord.Intents:
    value = discord.Intents.default()
    value.members = True
    value.message_content = message_content
    return value


class Feedback(ui.Modal, title="Feedback"):
    # Both layouts discord.py 2.7 renders: a bare text input (wrapped in an action row) and
    # the newer Label component around one.
    summary: ui.TextInput[Feedback] = ui.TextInput(label="Summary", custom_id="feedback:summary")
    details: ui.Label[Feedback] = ui.Label(
        text="Details", component=ui.TextInput(custom_id="feedback:details", required=False)
    )

    def __init__(self, received: asyncio.Queue[tuple[Any, ...]]) -> None:
        super().__init__()
        self.received = received

    async def on_submit(self, interaction: discord.Interaction) -> None:
        details = self.details.component
        assert isinstance(details, ui.TextInput)
        self.received.put_nowait(("feedback", self.summary.value, details.value))
        await interaction.response.send_message("Thanks!", ephemeral=True)


class Unlock(ui.Button[ui.View]):
    def __init__(self) -> None:
        super().__init__(label="Unlock", custom_id="panel:unlock")

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.edit_message(content="Unlocked.", view=None)


class Bot(discord.Client):
    """A stock client; its handlers put what they get on one queue per event name."""

    def __init__(self, guild_id: int, *, message_content: bool = True) -> None:
        # guild_ready_timeout: discord.py waits this long after the last GUILD_CREATE before
        # on_ready (2 s by default); the fake sends everything at once.
        super().__init__(
            intents=intents(message_content=message_content),
            chunk_guilds_at_startup=False,
            guild_ready_timeout=0.05,
        )
        self.events: defaultdict[str, asyncio.Queue[tuple[Any, ...]]] = defaultdict(asyncio.Queue)
        self.tree = app_commands.CommandTree(self)
        self._add_commands(discord.Object(guild_id))

    async def next(self, event: str) -> tuple[Any, ...]:
        return await asyncio.wait_for(self.events[event].get(), WAIT)

    def _add_commands(self, guild: discord.Object) -> None:
        invoked = self.events["invoked"]

        @self.tree.command(name="ask", description="Ask an expert a paid question", guild=guild)
        async def ask(
            interaction: discord.Interaction,
            question: str,
            price: int,
            tier: Literal["basic", "pro"],
            expert: discord.Member,
        ) -> None:
            invoked.put_nowait(("ask", question, price, tier, expert))
            await interaction.response.send_message(
                f"Asked {expert.mention}: {question}",
                ephemeral=True,
                allowed_mentions=discord.AllowedMentions.none(),
            )
            await interaction.followup.send("Escrow opened.", ephemeral=True)

        @self.tree.command(name="panel", description="Post a button", guild=guild)
        async def panel(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("Drop #1", view=ui.View().add_item(Unlock()))

        @self.tree.command(name="report", description="The weekly report", guild=guild)
        async def report(interaction: discord.Interaction) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            chart = discord.File(io.BytesIO(b"\x89PNG"), filename="report.png")
            await interaction.edit_original_response(content="Report ready", attachments=[chart])

        @self.tree.command(name="feedback", description="Tell us what you think", guild=guild)
        async def feedback(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(Feedback(invoked))

    async def on_message(self, message: discord.Message) -> None:
        self.events["message"].put_nowait((message,))

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        self.events["raw_reaction_add"].put_nowait((payload,))

    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        self.events["raw_reaction_remove"].put_nowait((payload,))

    async def on_member_join(self, member: discord.Member) -> None:
        self.events["member_join"].put_nowait((member,))

    async def on_member_remove(self, member: discord.Member) -> None:
        self.events["member_remove"].put_nowait((member,))

    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        self.events["member_update"].put_nowait((before, after))


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    server.add_user(ALICE, "alice", roles=[server.roles["member"]])
    server.add_user(BOB, "bob")
    await server.start()
    saved = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = server.api_base_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(server.gateway_url)
    try:
        yield server
    finally:
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved
        await server.stop()


@contextlib.asynccontextmanager
async def running(client: discord.Client, fake: FakeDiscord) -> AsyncIterator[None]:
    """Start the client and wait for on_ready; close it cleanly however the test ends."""
    task = asyncio.create_task(client.start(FakeDiscord.TOKEN))
    try:
        ready = asyncio.create_task(client.wait_until_ready())
        done, _ = await asyncio.wait({task, ready}, timeout=WAIT, return_when="FIRST_COMPLETED")
        if ready not in done:
            ready.cancel()
            raise AssertionError(
                f"client not ready: {task.exception() if task in done else 'timeout'}"
            )
        yield
    finally:
        await client.close()
        await asyncio.wait_for(task, WAIT)


@pytest.fixture
async def bot(fake: FakeDiscord) -> AsyncIterator[Bot]:
    client = Bot(fake.guild_id)
    async with running(client, fake):
        await fake.wait_until_ready()
        await client.tree.sync(guild=discord.Object(fake.guild_id))
        yield client


async def test_sync_stores_the_commands_with_their_declared_option_types(
    fake: FakeDiscord, bot: Bot
) -> None:
    call = await fake.wait_for_call("PUT", rf"^/applications/\d+/guilds/{fake.guild_id}/commands$")
    assert call.status == 200
    assert {c["name"] for c in fake.synced_commands} == {"ask", "panel", "report", "feedback"}
    ask = next(c for c in fake.synced_commands if c["name"] == "ask")
    assert ask["guild_id"] == str(fake.guild_id)
    assert [(o["name"], o["type"], o.get("required")) for o in ask["options"]] == [
        ("question", 3, True),
        ("price", 4, True),
        ("tier", 3, True),
        ("expert", 6, True),
    ]
    assert [choice["value"] for choice in ask["options"][2]["choices"]] == ["basic", "pro"]
    # A re-sync keeps the ids, as Discord does for commands whose name did not change.
    again = await bot.tree.sync(guild=discord.Object(fake.guild_id))
    assert {c.id for c in again} == {int(c["id"]) for c in fake.synced_commands}
    assert str(next(c.id for c in again if c.name == "ask")) == ask["id"]


async def test_slash_command_reaches_the_callback_typed_and_replies(
    fake: FakeDiscord, bot: Bot
) -> None:
    options = {"question": "How do I shard?", "price": 900, "tier": "pro", "expert": BOB}
    result = await fake.invoke_slash(ALICE, "ask", options, locale="zh-CN")

    _, question, price, tier, expert = await bot.next("invoked")
    assert (question, price, tier) == ("How do I shard?", 900, "pro")
    assert isinstance(expert, discord.Member)
    assert expert.id == BOB
    assert (result.type, result.flags, result.ephemeral) == (4, 64, True)
    assert result.content == f"Asked <@{BOB}>: How do I shard?"
    assert result.allowed_mentions == discord.AllowedMentions.none().to_dict()
    assert result.message is not None
    assert result.message["mentions"] == []  # allowed_mentions were honoured: nobody pinged

    followups = await result.wait_followups(1)
    assert followups[0]["content"] == "Escrow opened."
    assert followups[0]["flags"] == 64
    callback = await fake.wait_for_call("POST", rf"^/interactions/{result.interaction_id}/")
    assert callback.query == {"with_response": "1"}
    with pytest.raises(ValueError, match="choices"):
        await fake.invoke_slash(ALICE, "ask", {**options, "tier": "gold"})


async def test_button_press_reaches_the_view_and_updates_the_message(
    fake: FakeDiscord, bot: Bot
) -> None:
    posted = await fake.invoke_slash(ALICE, "panel")
    assert posted.type == 4
    assert posted.components[0]["components"][0]["custom_id"] == "panel:unlock"

    clicked = await fake.press_button(BOB, "panel:unlock")

    assert (clicked.type, clicked.content, clicked.components) == (7, "Unlocked.", [])
    assert clicked.message is not None
    assert posted.message is not None
    assert clicked.message["id"] == posted.message["id"]


async def test_modal_round_trip(fake: FakeDiscord, bot: Bot) -> None:
    opened = await fake.invoke_slash(ALICE, "feedback")
    assert opened.type == 9
    assert opened.modal is not None
    assert opened.modal["title"] == "Feedback"

    values = {"feedback:summary": "Great drops", "feedback:details": "More Rust, please"}
    submitted = await fake.submit_modal(ALICE, opened.modal["custom_id"], values)

    assert await bot.next("invoked") == ("feedback", "Great drops", "More Rust, please")
    assert (submitted.type, submitted.content, submitted.ephemeral) == (4, "Thanks!", True)


async def test_deferred_reply_is_completed_by_editing_the_original(
    fake: FakeDiscord, bot: Bot
) -> None:
    result = await fake.invoke_slash(ALICE, "report")
    assert (result.type, result.ephemeral) == (5, True)

    (edit,) = await result.wait_followups(1)

    assert (edit["method"], edit["content"]) == ("PATCH", "Report ready")
    call = await fake.wait_for_call("PATCH", r"/messages/@original$")
    assert call.files == {"report.png": b"\x89PNG"}  # multipart: payload_json + the file
    assert call.response["attachments"][0]["filename"] == "report.png"


async def test_messages_reactions_and_membership_events(fake: FakeDiscord, bot: Bot) -> None:
    general = bot.get_channel(fake.channels["general"])
    assert isinstance(general, discord.TextChannel)
    post = await general.send("Drop #1 is live")
    assert fake.messages[general.id][-1]["content"] == "Drop #1 is live"
    (echo,) = await bot.next("message")  # Discord echoes the bot's own posts on the gateway
    assert echo.author == bot.user

    await fake.reply(ALICE, general.id, "Nice drop!", reply_to=post.id)
    (reply,) = await bot.next("message")
    assert (reply.author.id, reply.content) == (ALICE, "Nice drop!")
    assert reply.reference is not None
    assert reply.reference.message_id == post.id

    await fake.react(ALICE, general.id, post.id, "👍")
    (added,) = await bot.next("raw_reaction_add")
    assert (added.user_id, added.message_id, added.emoji.name) == (ALICE, post.id, "👍")
    assert added.member is not None
    assert added.member.id == ALICE
    await fake.react(ALICE, general.id, post.id, "👍", remove=True)
    (removed,) = await bot.next("raw_reaction_remove")
    assert (removed.user_id, removed.guild_id) == (ALICE, fake.guild_id)

    await fake.join(CAROL, "carol")
    (joined,) = await bot.next("member_join")
    await fake.leave(CAROL)
    (left,) = await bot.next("member_remove")
    assert joined.id == left.id == CAROL


async def test_add_roles_puts_the_role_and_fires_member_update(fake: FakeDiscord, bot: Bot) -> None:
    guild = bot.get_guild(fake.guild_id)
    assert guild is not None
    # Without the presences intent GUILD_CREATE carries only the bot, as on Discord, so the
    # member cache is filled by chunking (gateway op 8 -> GUILD_MEMBERS_CHUNK).
    assert guild.get_member(ALICE) is None
    await guild.chunk()
    alice = guild.get_member(ALICE)
    pro = guild.get_role(fake.roles["pro"])
    assert alice is not None
    assert pro is not None

    await alice.add_roles(pro, reason="paid: pro tier")

    before, after = await bot.next("member_update")
    assert pro not in before.roles
    assert pro in after.roles
    call = await fake.wait_for_call("PUT", rf"/members/{ALICE}/roles/{pro.id}$")
    assert call.status == 204
    assert call.headers["X-Audit-Log-Reason"] == "paid: pro tier"
    assert fake.member_roles(ALICE) == [fake.roles["member"], pro.id]


async def test_a_429_is_retried_by_discord_py(fake: FakeDiscord, bot: Bot) -> None:
    guild = bot.get_guild(fake.guild_id)
    assert guild is not None
    fake.fail_next("PUT", r"/roles/", 429, retry_after=0.05)
    member = await guild.fetch_member(ALICE)

    await member.add_roles(discord.Object(fake.roles["pro"]))

    first = await fake.wait_for_call("PUT", r"/roles/")
    second = await fake.wait_for_call("PUT", r"/roles/")
    assert (first.status, second.status) == (429, 204)
    assert first.path == second.path
    assert fake.roles["pro"] in fake.member_roles(ALICE)


async def test_forbidden_answers_raise_discord_forbidden(fake: FakeDiscord, bot: Bot) -> None:
    general = bot.get_channel(fake.channels["general"])
    assert isinstance(general, discord.TextChannel)
    fake.fail_next("POST", rf"^/channels/{general.id}/messages$", 403)
    with pytest.raises(discord.Forbidden) as missing:
        await general.send("hello")
    assert missing.value.code == 50013

    fake.dm_closed.add(BOB)
    with pytest.raises(discord.Forbidden) as closed:
        await (await bot.fetch_user(BOB)).send("Your receipt")
    assert closed.value.code == 50007
    receipt = await (await bot.fetch_user(ALICE)).send("Your receipt")
    assert isinstance(receipt.channel, discord.DMChannel)
    assert fake.messages[receipt.channel.id][-1]["content"] == "Your receipt"

    guild = bot.get_guild(fake.guild_id)
    assert guild is not None
    member = await guild.fetch_member(ALICE)
    with pytest.raises(discord.Forbidden):  # "mod" sits above the bot's own role
        await member.add_roles(discord.Object(fake.roles["mod"]))


async def test_without_the_message_content_intent_content_is_blank(fake: FakeDiscord) -> None:
    client = Bot(fake.guild_id, message_content=False)
    async with running(client, fake):
        await fake.reply(ALICE, fake.channels["general"], "secret")
        (message,) = await client.next("message")
        assert message.content == ""
        await fake.reply(ALICE, fake.channels["general"], f"<@{fake.bot_user_id}> hi")
        (mention,) = await client.next("message")
        assert mention.content == f"<@{fake.bot_user_id}> hi"  # pings stay readable


async def test_privileged_intents_off_in_the_portal_stop_the_client(fake: FakeDiscord) -> None:
    fake.privileged_intents = 0  # Discord closes the gateway with 4014
    client = Bot(fake.guild_id)
    with pytest.raises(discord.PrivilegedIntentsRequired):
        await asyncio.wait_for(client.start(FakeDiscord.TOKEN), WAIT)
    await client.close()


async def test_a_bad_token_fails_login(fake: FakeDiscord) -> None:
    client = discord.Client(intents=intents())
    with pytest.raises(discord.LoginFailure):
        await client.login("not-the-token")
    await client.close()
    assert (fake.calls[-1].path, fake.calls[-1].status) == ("/users/@me", 401)


async def test_auto_sharded_client_asks_for_the_gateway(fake: FakeDiscord) -> None:
    client = discord.AutoShardedClient(
        intents=intents(), chunk_guilds_at_startup=False, guild_ready_timeout=0.05
    )
    async with running(client, fake):
        call = await fake.wait_for_call("GET", r"^/gateway/bot$")
        assert call.status == 200
        assert client.shard_count == 1
        assert client.get_guild(fake.guild_id) is not None

"""Buttons, modals, DMs and slow commands through real discord.py and the fake Discord."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from bot.adapters.discord import adapter as adapter_module
from bot.adapters.discord.adapter import DiscordAdapter
from bot.core.commands import Args, CommandSpec, Param
from bot.core.context import Context
from bot.core.effects import Button, DirectMessage, Effect, Reply
from bot.core.permissions import Level
from bot.core.registry import Registry
from cogs import build_registry
from cogs.services import Services
from tests.adapters.discord.conftest import ADA
from tests.fakes.discord import FakeDiscord

release = asyncio.Event()


async def dm_me(ctx: Context, _args: Args) -> list[Effect]:
    return [DirectMessage("Your receipt: 9.00 USD", notice="Open your DMs to get receipts.")]


async def ask(ctx: Context, args: Args) -> list[Effect]:
    return [ctx.reply(f"Asked ({args.text('price')}): {args.text('question')}")]


async def confirm(ctx: Context, _args: Args) -> list[Effect]:
    buttons = (Button("Who am I?", command="/whoami"), Button("Docs", url="https://example.com/d"))
    return [Reply("Ready to publish?", buttons=buttons)]


async def slow(ctx: Context, _args: Args) -> list[Effect]:
    await release.wait()
    return [ctx.reply("Done at last")]


@pytest.fixture
def registry(services: Services) -> Registry:
    registry = build_registry(services)
    registry.register(CommandSpec("dmme", "DM me", dm_me))
    registry.register(
        CommandSpec(
            "quiz",  # a stand-in with a long text after a short one
            "Quiz",
            ask,
            params=(
                Param("price", "Price"),
                Param("question", "Your question", long=True, rest=True),
            ),
            ephemeral=True,
        )
    )
    registry.register(CommandSpec("confirm", "Confirm", confirm))
    note = Param("note", "Why", long=True, rest=True)
    registry.register(CommandSpec("warn", "Warn", ask, params=(note,), level=Level.MOD))
    registry.register(CommandSpec("slow", "Slow", slow, ephemeral=True))
    return registry


@pytest.fixture
def quick_defer() -> Iterator[None]:
    before = adapter_module.DEFER_AFTER_SECONDS
    adapter_module.DEFER_AFTER_SECONDS = 0.05
    release.clear()
    yield
    adapter_module.DEFER_AFTER_SECONDS = before


async def test_a_dm_goes_to_the_member_and_the_interaction_is_acknowledged(
    adapter: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    result = await fake_discord.invoke_slash(ADA, "dmme")
    delivered = [
        m
        for ms in fake_discord.messages.values()
        for m in ms
        if m["content"].startswith("Your receipt")
    ]
    assert len(delivered) == 1
    assert result.type == 5  # acknowledged quietly, nothing said in the channel
    await fake_discord.wait_for_call("DELETE", r"/webhooks/\d+/[^/]+/messages/@original")


async def test_closed_dms_fall_back_to_an_ephemeral_notice(
    adapter: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    fake_discord.dm_closed.add(ADA)
    result = await fake_discord.invoke_slash(ADA, "dmme")
    assert result.content == "Open your DMs to get receipts."
    assert result.ephemeral


async def test_long_text_is_asked_for_in_a_modal(
    adapter: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    opened = await fake_discord.invoke_slash(ADA, "quiz", {"price": "12"})
    assert opened.type == 9
    assert opened.modal is not None
    question = "Why does\n```rust\nlet r = &mut v;\n```\nnot compile?"
    answered = await fake_discord.submit_modal(
        ADA, opened.modal["custom_id"], {"question": question}
    )
    assert answered.content == f"Asked (12): {question}"
    assert answered.ephemeral


async def test_no_modal_for_a_command_the_member_may_not_run(
    adapter: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    result = await fake_discord.invoke_slash(ADA, "warn")
    assert result.type == 4
    assert result.content == "You need the mod role to use /warn."


async def test_long_text_given_inline_needs_no_modal(
    adapter: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    result = await fake_discord.invoke_slash(ADA, "quiz", {"price": "5", "question": "short one"})
    assert result.content == "Asked (5): short one"


async def test_buttons_link_out_or_run_a_command_as_the_presser(
    adapter: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    result = await fake_discord.invoke_slash(ADA, "confirm")
    assert result.content == "Ready to publish?"
    buttons = [c for row in result.components for c in row["components"]]
    assert [b.get("url") for b in buttons] == [None, "https://example.com/d"]
    assert result.message is not None
    pressed = await fake_discord.press_button(
        ADA, buttons[0]["custom_id"], message_id=int(result.message["id"])
    )
    assert pressed.content is not None
    assert "You are member #1" in pressed.content


async def test_a_slow_command_shows_thinking_then_answers(
    adapter: DiscordAdapter, fake_discord: FakeDiscord, quick_defer: None
) -> None:
    result = await fake_discord.invoke_slash(ADA, "slow")
    assert result.type == 5
    assert result.ephemeral
    release.set()
    [answer] = await result.wait_followups(1)
    assert answer["content"] == "Done at last"


async def test_long_replies_are_split_under_discords_limit(
    adapter: DiscordAdapter, fake_discord: FakeDiscord
) -> None:
    channel = fake_discord.channels["general"]
    text = "\n".join(f"line {n}: " + "x" * 40 for n in range(120))
    ids = await adapter.gateway.post(channel, text)
    posted = [m for m in fake_discord.messages[channel] if int(m["id"]) in ids]
    assert len(posted) == len(ids) > 1
    assert all(len(m["content"]) <= 2000 for m in posted)
    assert "\n".join(m["content"] for m in posted) == text

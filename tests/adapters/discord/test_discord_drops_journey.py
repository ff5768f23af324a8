"""A premium drop on Discord, from the /drop form to a one-off sale: real discord.py against the
fake Discord, the fake Stripe, and the real outbox posting, editing and deleting the copies."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.clock import FakeClock
from storage.uow import UnitOfWorkFactory
from tests.adapters.conftest import ADA
from tests.adapters.discord.journey import Journey, drops_settings, start_journey
from tests.fakes.discord import JSON, FakeDiscord, InteractionResult
from tests.fakes.discord.interaction_payloads import walk

CREATOR = 500000000000000005  # has the creator role
LEE = 500000000000000006  # no tier: buys the drop
DROP = (
    "Async patterns in Rust\n"
    "Use task groups.\n"
    "They cancel well.\n"
    "```rust\nlet set = JoinSet::new();\n```\n"
    "https://x.dev/tg"
)
FULL = (
    "Drop D1 · **Async patterns in Rust**\n\n"
    "Use task groups.\nThey cancel well.\n```rust\nlet set = JoinSet::new();\n```\n\n"
    "https://x.dev/tg"
)
TEASER = (
    "**Async patterns in Rust**\nUse task groups.\nThey cancel well.\n```rust…\n```\n\n"
    "Members of Member read it in full. Anyone can unlock it for $4.99: /unlock D1"
)
REVISED = "Async patterns, revised\nSpawn into a JoinSet.\nAwait join_next.\nOne.\nSECRET FOURTH"


@pytest.fixture
async def journey(
    fake_discord: FakeDiscord, memory_engine: AsyncEngine, uow: UnitOfWorkFactory, clock: FakeClock
) -> AsyncIterator[Journey]:
    fake_discord.add_user(CREATOR, "lin", roles=[fake_discord.roles["creator"]])
    fake_discord.add_user(LEE, "lee")
    fake_discord.add_channel("members")
    async with start_journey(
        fake_discord, memory_engine, uow, drops_settings(fake_discord), clock
    ) as j:
        yield j


def buttons(result: InteractionResult | JSON) -> list[JSON]:
    components = (
        result.components if isinstance(result, InteractionResult) else result["components"]
    )
    return [c for c in walk(components) if c["type"] == 2]


async def written_in_the_form(
    journey: Journey, user_id: int, command: str, options: dict[str, str], text: str
) -> InteractionResult:
    """/drop new (or edit) without its text opens a form with boxes for the title and body;
    the user types `text` in the first."""
    form = await journey.discord.invoke_slash(user_id, command, options)
    assert form.modal is not None
    assert form.modal["title"] == f"/{command}"
    boxes = [c["custom_id"] for c in walk(form.modal["components"]) if c["type"] == 4]
    assert boxes == ["text", "text:2", "text:3"]  # 10,000 characters over three boxes
    return await journey.discord.submit_modal(user_id, form.modal["custom_id"], {"text": text})


async def say(journey: Journey, user_id: int, command: str, **options: object) -> str:
    result = await journey.discord.invoke_slash(user_id, command, options, timeout=10)
    assert result.content is not None
    return result.content


async def test_write_publish_edit_sell_and_delete_a_drop(journey: Journey) -> None:
    discord = journey.discord
    members, public = discord.channels["members"], discord.channels["drops"]

    preview = await written_in_the_form(
        journey, CREATOR, "drop new", {"tiers": "member", "price": "4.99"}, DROP
    )
    assert preview.ephemeral
    assert preview.content is not None
    assert preview.content.startswith("Preview of drop D1 (nothing is posted yet):\n\n" + FULL)
    assert f"Teaser in the public drops channel:\n\n{TEASER}" in preview.content
    assert preview.content.endswith(f"In full in: discord {members}")
    [publish] = buttons(preview)
    assert publish["label"] == "Publish"
    assert publish["custom_id"] == "kp:cmd:/drop publish D1"
    assert discord.messages.get(members) is None  # a preview posts nothing
    # Typing /drop publish, the creator is offered their drafts, answered within the 3 s.
    offered = await discord.autocomplete(CREATOR, "drop publish", "drop", "")
    assert offered.type == 8
    assert offered.choices == [{"name": "D1", "value": "D1"}]
    assert (await discord.autocomplete(CREATOR, "drop publish", "drop", "D9")).choices == []

    assert preview.message is not None
    published = await discord.press_button(
        CREATOR, publish["custom_id"], message_id=int(preview.message["id"])
    )
    assert published.content == "Drop D1 is published; 0 members get it by private message."
    await journey.deliver_promises()
    [full] = discord.messages[members]
    assert full["content"] == FULL
    assert buttons(full) == []
    [teaser] = discord.messages[public]
    assert teaser["content"] == TEASER
    [unlock] = buttons(teaser)
    assert unlock["label"] == "Unlock for $4.99"
    assert unlock["custom_id"] == "kp:cmd:/unlock D1"

    edited = await written_in_the_form(journey, CREATOR, "drop edit", {"drop": "D1"}, REVISED)
    assert edited.content == "Drop D1 is changed; 2 posted messages are being edited."
    await journey.deliver_promises()
    patched = {
        (await discord.wait_for_call("PATCH", rf"/channels/{chat}/messages/{message}")).path
        for chat, message in ((members, full["id"]), (public, teaser["id"]))
    }
    assert len(patched) == 2
    assert full["content"] == (
        "Drop D1 · **Async patterns, revised**\n\n"
        "Spawn into a JoinSet.\nAwait join_next.\nOne.\nSECRET FOURTH\n\nhttps://x.dev/tg"
    )
    assert full["edited_timestamp"] is not None
    assert teaser["content"] == (
        "**Async patterns, revised**\nSpawn into a JoinSet.\nAwait join_next.\nOne.…\n\n"
        "Members of Member read it in full. Anyone can unlock it for $4.99: /unlock D1"
    )
    assert [b["custom_id"] for b in buttons(teaser)] == ["kp:cmd:/unlock D1"]  # kept

    # Lee, with no tier, presses Unlock on the teaser and pays on Stripe's page.
    offer = await discord.press_button(LEE, unlock["custom_id"], message_id=int(teaser["id"]))
    assert offer.content == (
        "Unlock drop D1 for $4.99; it comes to you in a private message once paid."
    )
    payment = await journey.checkout(offer)
    assert payment.amount_minor == 499
    assert payment.purpose.startswith("drops:")
    [dm] = discord.dms_to(LEE)
    assert dm["content"] == full["content"]
    assert "SECRET FOURTH" in await say(journey, LEE, "drops")
    assert await say(journey, LEE, "unlock", what="D1") == full["content"]
    outsider = await say(journey, ADA, "drops")
    assert "SECRET FOURTH" not in outsider
    assert outsider == teaser["content"]
    stats = await say(journey, CREATOR, "drop stats", drop="D1")
    assert "Sold 1 times · revenue $4.99" in stats

    # Hidden from members in Discord's list; run anyway (a server that shows it), it is refused.
    refused = await say(journey, ADA, "drop new", tiers="member", text="T\nB")
    assert refused == "You need the creator role to use /drop."
    assert await say(journey, LEE, "drop delete", drop="D1") == (
        "You need the creator role to use /drop."
    )

    gone = await say(journey, CREATOR, "drop delete", drop="D1")
    assert gone == "Drop D1 is deleted; 2 posted messages are being removed."
    await journey.deliver_promises()
    assert {m["id"] for m in discord.deleted} == {full["id"], teaser["id"]}
    assert discord.messages[members] == discord.messages[public] == []
    assert await say(journey, ADA, "drops") == "No drops yet."

"""A paid question on Discord, from the /ask form to the expert's payout: real discord.py
against the fake Discord, the fake Stripe, and the real outbox posting, DMing and deleting."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.core.clock import FakeClock
from storage.uow import UnitOfWorkFactory
from tests.adapters.conftest import ADA
from tests.adapters.discord.journey import Journey, start_journey
from tests.conftest import make_settings
from tests.fakes.discord import JSON, FakeDiscord
from tests.fakes.discord.interaction_payloads import walk

EXPERT = 500000000000000005  # has the creator role: an expert
LEE = 500000000000000006  # another member, who did not ask


def qa_settings(fake: FakeDiscord) -> Settings:
    return make_settings(
        discord=fake.config(
            qa_channel_id=fake.channels["qa"],
            mod_role_ids=[fake.roles["mod"]],
            creator_role_ids=[fake.roles["creator"]],
        )
    )


@pytest.fixture
async def journey(
    fake_discord: FakeDiscord, memory_engine: AsyncEngine, uow: UnitOfWorkFactory, clock: FakeClock
) -> AsyncIterator[Journey]:
    fake_discord.add_user(EXPERT, "lin", roles=[fake_discord.roles["creator"]])
    fake_discord.add_user(LEE, "lee")
    async with start_journey(
        fake_discord, memory_engine, uow, qa_settings(fake_discord), clock
    ) as j:
        yield j


async def say(journey: Journey, user_id: int, command: str, **options: object) -> str:
    result = await journey.discord.invoke_slash(user_id, command, options, timeout=10)
    assert result.content is not None
    return result.content


def text_inputs(modal: JSON) -> list[JSON]:
    return [c for c in walk(modal["components"]) if c["type"] == 4]


async def test_ask_pay_answer_in_the_thread_accept_and_get_paid(journey: Journey) -> None:
    discord = journey.discord
    await say(journey, EXPERT, "whoami")  # the expert is known before anyone asks them
    form = await discord.invoke_slash(ADA, "ask", {"expert": EXPERT, "price": "20"})
    assert form.modal is not None
    offer = await discord.submit_modal(
        ADA, form.modal["custom_id"], {"question": "How do I profile asyncio?"}
    )
    await journey.checkout(offer)

    [thread] = discord.threads.values()
    assert thread["name"].startswith("#1")
    assert int(thread["parent_id"]) == discord.channels["qa"]
    [opening] = discord.messages[discord.channels["qa"]]
    assert opening["id"] == thread["id"]  # the thread was started from the question's post
    assert "How do I profile asyncio?" in opening["content"]
    [dm] = discord.dms_to(EXPERT)
    assert "A member asked you a paid question, #1 ($20.00)." in dm["content"]

    answer = await discord.post_in_thread(EXPERT, int(thread["id"]), "Use py-spy.")
    taken = await discord.wait_for_call("POST", rf"/channels/{thread['id']}/messages")
    assert "Answer to question #1 received from" in taken.json["content"]
    await journey.deliver_promises()
    deleted = await discord.wait_for_call("DELETE", rf"/channels/{thread['id']}/messages/\d+")
    assert deleted.status == 204
    assert deleted.headers["X-Audit-Log-Reason"] == "the answer to paid question 1"
    assert [m["id"] for m in discord.deleted] == [answer["id"]]
    assert "Use py-spy." in await say(journey, ADA, "question", id=1)

    assert "Accepted" in await say(journey, ADA, "accept", id=1)
    assert "$18.00" in await say(journey, EXPERT, "payouts")  # $20.00 less the 10% fee
    refused = await say(journey, LEE, "accept", id=1)
    assert refused == "Only the asker can accept the answer to #1."
    shown = await say(journey, LEE, "question", id=1)
    assert "Use py-spy." not in shown
    assert "/unlock 1" in shown


async def test_a_long_question_is_typed_across_the_forms_boxes_and_kept_whole(
    journey: Journey,
) -> None:
    form = await journey.discord.invoke_slash(ADA, "ask")
    assert form.modal is not None
    boxes = text_inputs(form.modal)
    assert [b["custom_id"] for b in boxes] == ["question", "question:2", "question:3"]
    assert [b.get("required", True) for b in boxes] == [True, False, False]
    assert all(b["max_length"] == 4000 for b in boxes)
    code = "```python\nasync def main() -> None:\n    await asyncio.sleep(0)\n```"
    # The boxes' text and the newlines joining them: the 10,000 characters a question may have.
    room = 10_000
    first = f"Why is this slow?\n{code}\n" + "a" * (4000 - len(code) - 19)
    second, third = "b" * 4000, "c" * (room - len(first) - 4000 - 2)
    typed = f"{first}\n{second}\n{third}"
    assert len(typed) == room
    values = {"question": first, "question:2": second, "question:3": third}
    offer = await journey.discord.submit_modal(ADA, form.modal["custom_id"], values)
    assert offer.content is not None
    assert "Question #1 is ready" in offer.content
    async with journey.uow() as unit:
        question = await unit.questions.get(1)
        assert question is not None
        assert question.text == typed

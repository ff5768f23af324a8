"""/question, /answer, /accept and /cancel through the dispatcher: who may do what."""

from __future__ import annotations

import pytest

from bot.core.clock import FakeClock
from bot.core.dispatcher import Dispatcher
from bot.core.effects import Ask, Reply
from bot.core.events import CommandEvent, Place, Platform
from bot.core.i18n import Translator
from bot.core.permissions import Level
from cogs.services import Services
from payments.purposes import Purpose
from payments.service import PaymentService
from storage.uow import UnitOfWorkFactory
from tests.cogs.conftest import QA_SETTINGS, paid_question
from tests.conftest import actor, dispatcher_for, say, send

ASKER, EXPERT = actor("asker"), actor("expert", level=Level.CREATOR)
STRANGER = actor("stranger", level=Level.CREATOR)


@pytest.fixture
def dispatcher(uow: UnitOfWorkFactory, clock: FakeClock, qa_services: Services) -> Dispatcher:
    return dispatcher_for(uow, clock, QA_SETTINGS, qa_services)


async def test_the_chosen_expert_answers_and_the_asker_accepts(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory, qa_payments: PaymentService, clock: FakeClock
) -> None:
    question, _, _ = await paid_question(uow, qa_payments, clock)
    assert "Why is my async code slow?" in await say(dispatcher, ASKER, f"/question {question}")
    refused = await say(dispatcher, STRANGER, f"/answer {question} Try uvloop.")
    assert f"Question #{question} is not yours to answer." == refused
    assert "Answer sent." in await say(dispatcher, EXPERT, f"/answer {question} Profile it.")
    assert "Profile it." in await say(dispatcher, ASKER, f"/question {question}")
    hidden = await say(dispatcher, STRANGER, f"/question {question}")
    assert "Profile it." not in hidden
    assert "others can read it once it is accepted" in hidden
    assert "Only the asker" in await say(dispatcher, STRANGER, f"/accept {question}")
    assert await say(dispatcher, ASKER, f"/accept {question}") == "Accepted. Thank you!"
    again = await say(dispatcher, ASKER, f"/accept {question}")
    assert again == f"The answer to #{question} was accepted already."
    rejected = await say(dispatcher, ASKER, f"/reject {question} too late")
    assert rejected == f"The answer to #{question} was accepted already."
    async with uow() as unit:
        owed = await unit.ledger.balances()
    assert owed[("payable:member:2", "usd")] == -1800


async def test_cancelling_refunds_only_before_an_answer(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory, qa_payments: PaymentService, clock: FakeClock
) -> None:
    first, _, _ = await paid_question(uow, qa_payments, clock)
    assert "Only the asker" in await say(dispatcher, EXPERT, f"/cancel {first}")
    assert "Cancelled." in await say(dispatcher, ASKER, f"/cancel {first}")
    assert "can no longer be cancelled" in await say(dispatcher, ASKER, f"/cancel {first}")
    assert await say(dispatcher, ASKER, "/question 999") == "There is no question #999."


async def test_asking_opens_a_checkout_and_paying_opens_the_question(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory, qa_payments: PaymentService, clock: FakeClock
) -> None:
    await say(dispatcher, EXPERT, "/whoami")  # the bot knows the expert (#1)
    [offer] = await send(dispatcher, ASKER, "/ask #1 price:25 How do I profile asyncio?")
    assert isinstance(offer, Reply)
    assert "Question #1 is ready. Once it is paid, it goes to expert" in offer.text
    [button] = offer.buttons
    assert button.label == "Pay $25.00"
    async with uow() as unit:
        question = await unit.questions.get(1)
        assert question is not None
        assert (question.text, question.price_minor, question.expert_id) == (
            "How do I profile asyncio?",
            2500,
            1,
        )
        assert question.status == "awaiting_payment"
        # What the checkout page names as bought, in the payer's language.
        purpose = Purpose("qa", "1")
        handler = qa_payments.purposes.for_purpose(purpose)
        for locale, title in (
            ("en", "Question #1: How do I profile asyncio?"),
            ("zh_CN", "问题 #1：How do I profile asyncio?"),
        ):
            named = await handler.title(qa_payments.context(unit), purpose, Translator(locale))
            assert named == title
    open_to_all = await say(dispatcher, ASKER, "/ask Why is CI slow?")
    assert "goes to every expert" in open_to_all
    assert "Pay" not in open_to_all  # the button carries the price, not the text


async def test_asking_explains_what_is_wrong(dispatcher: Dispatcher) -> None:
    await say(dispatcher, EXPERT, "/whoami")
    usage = "Usage: /ask [@expert] [price:20] <question>"
    cheap = await say(dispatcher, ASKER, "/ask price:2 Cheap question?")
    assert cheap == "Questions cost at least $5.00."
    assert await say(dispatcher, ASKER, "/ask price:2.999 What?") == (
        f"price: “2.999” has more decimal places than USD allows.\nFor example: price:20\n{usage}"
    )
    assert await say(dispatcher, ASKER, "/ask @nobody Hello?") == (
        "expert: I can't find @nobody here. They need to have used the bot at least once.\n"
        f"For example: @name\n{usage}"
    )
    assert await say(dispatcher, EXPERT, "/ask #1 Myself?") == "expert is not an expert here."
    [asked] = await send(dispatcher, ASKER, "/ask #1 price:30")
    assert asked == Ask(
        text="/ask needs <question>: Your question.",
        line="/ask #1 price:30",
        option="question",
        description="Your question",
        long=True,
        rest=True,
    )


async def test_question_numbers_autocomplete_ones_own_first(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory, qa_payments: PaymentService, clock: FakeClock
) -> None:
    question, _, _ = await paid_question(uow, qa_payments, clock)
    typing = CommandEvent(ASKER, Place(Platform.CONSOLE, "asker"), "accept")
    assert await dispatcher.suggest(typing, "id", "") == [str(question)]
    assert await dispatcher.suggest(typing, "id", "#") == [str(question)]
    assert await dispatcher.suggest(typing, "id", "9") == []

"""The rest of a paid question's life through the dispatcher and the real payment service:
rejection and a moderator's decision, acceptance by silence, listen-in with its split, experts
and their prices, the lists, answers written in the question's thread, Stars."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.core.clock import FakeClock
from bot.core.dispatcher import Dispatcher
from bot.core.effects import DeleteMessage, Invoice, NotifyMember, PostToChat, RefundPayment, Reply
from bot.core.events import MessagePosted, Place, Platform
from bot.core.money import Money
from bot.core.outbox import decode
from bot.core.permissions import Level
from cogs.engagement.service import show
from cogs.qa import service as qa
from cogs.services import Services
from payments.events import PaymentEventKind
from payments.providers.sandbox import SandboxProvider
from payments.providers.stars import StarsProvider
from payments.service import PaymentService
from storage.models import Interaction
from storage.uow import UnitOfWorkFactory
from tests.cogs.conftest import paid_question, provider_says
from tests.conftest import SANDBOX_URL, actor, dispatcher_for, make_settings, say, send, wire

ASKER, EXPERT = actor("asker"), actor("expert", level=Level.CREATOR)
LISTENER, MOD = actor("listener"), actor("mod", level=Level.MOD)
# Odd amounts on purpose: 10% of 1.01 and half of the rest do not divide evenly.
LIFE_SETTINGS = make_settings(
    qa={
        "min_price": "5.00",
        "sla_hours": 48,
        "accept_days": 3,
        "platform_fee_percent": 10,
        "listen_price": "1.01",
        "listen_split_asker_percent": 50,
    },
    payments={"stars_per_unit": 50},
    discord={"report_channel_id": 555, "qa_channel_id": 556},
)


@pytest.fixture
def services(uow: UnitOfWorkFactory, clock: FakeClock) -> Services:
    return wire(uow, clock, LIFE_SETTINGS)


@pytest.fixture
def payments(services: Services) -> PaymentService:
    return services.payments


@pytest.fixture
def dispatcher(uow: UnitOfWorkFactory, clock: FakeClock, services: Services) -> Dispatcher:
    return dispatcher_for(uow, clock, LIFE_SETTINGS, services)


async def _answered(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory, payments: PaymentService, clock: FakeClock
) -> int:
    """A paid question asked by ASKER of EXPERT, answered."""
    question, _, _ = await paid_question(uow, payments, clock)
    assert "Answer sent." in await say(dispatcher, EXPERT, f"/answer {question} Profile it.")
    return question


async def _outbox(uow: UnitOfWorkFactory, clock: FakeClock) -> list[object]:
    async with uow() as unit:
        items = await unit.outbox.due(clock.now() + timedelta(days=30), 500)
        return [decode(item.kind, item.payload) for item in items]


async def _balances(uow: UnitOfWorkFactory) -> dict[tuple[str, str], int]:
    async with uow() as unit:
        return dict(await unit.ledger.balances())


async def _listen_payment(uow: UnitOfWorkFactory, question: int) -> tuple[int, int]:
    """LISTENER's member id, and the payment of their unlock of `question`."""
    async with uow() as unit:
        listener = await unit.members.find_by_username("console", "listener")
        assert listener is not None
        unlock = await unit.questions.unlock_of(question, listener.id)
        assert unlock is not None
        assert unlock.payment_id is not None
        return listener.id, unlock.payment_id


async def test_a_paid_question_is_posted_for_the_experts_and_its_expert_told(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory, payments: PaymentService, clock: FakeClock
) -> None:
    question, expert, _ = await paid_question(uow, payments, clock)
    effects = await _outbox(uow, clock)
    [post] = [e for e in effects if isinstance(e, PostToChat)]
    assert (post.platform, post.chat_id) == ("discord", "556")
    assert post.thread_title == f"#{question} Why is my async code slow?"
    assert post.content_ref == f"question:{question}"
    assert "Why is my async code slow?" in post.text
    [told] = [e for e in effects if isinstance(e, NotifyMember)]
    assert told.member_id == expert
    assert f"/answer {question}" in told.text
    async with uow() as unit:
        content = await unit.contents.by_ref(f"question:{question}")
        assert content is not None
        assert (content.kind, content.price_minor) == ("question", 1999)


async def test_a_rejection_waits_for_a_moderator_who_upholds_it_with_a_refund(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory, payments: PaymentService, clock: FakeClock
) -> None:
    question = await _answered(dispatcher, uow, payments, clock)
    refused = await say(dispatcher, EXPERT, f"/reject {question} not mine")
    assert f"Only the asker can reject the answer to #{question}." == refused
    said = await say(dispatcher, ASKER, f"/reject {question} It does not address asyncio.")
    assert said.startswith("Rejected. A moderator will decide")
    assert "can no longer be cancelled" in await say(dispatcher, ASKER, f"/cancel {question}")
    assert "has no answer to accept" not in await say(dispatcher, ASKER, f"/question {question}")
    alerts = [e for e in await _outbox(uow, clock) if isinstance(e, PostToChat)]
    assert any(a.chat_id == "555" and f"/decide {question} uphold" in a.text for a in alerts)
    # Only moderators decide; a member is told the command is not theirs.
    refused = await say(dispatcher, ASKER, f"/decide {question} uphold")
    assert refused == "You need the mod role to use /decide."
    upheld = await say(dispatcher, MOD, f"/decide {question} uphold")
    assert upheld == f"Upheld: the asker of #{question} is refunded."
    again = await say(dispatcher, MOD, f"/decide {question} dismiss")
    assert again == f"Question #{question} has no rejection to decide."
    refunds = [e for e in await _outbox(uow, clock) if isinstance(e, RefundPayment)]
    assert [r.amount_minor for r in refunds] == [1999]
    async with uow() as unit:
        [entry] = [
            e for e in await unit.audit.recent(limit=10) if e.action == "qa.rejection_uphold"
        ]
        assert entry.detail == {"question": question, "reason": "It does not address asyncio."}


async def test_a_dismissed_rejection_pays_the_expert(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory, payments: PaymentService, clock: FakeClock
) -> None:
    question = await _answered(dispatcher, uow, payments, clock)
    await say(dispatcher, ASKER, f"/reject {question} Too short.")
    assert "is paid" in await say(dispatcher, MOD, f"/decide {question} dismiss")
    balances = await _balances(uow)
    assert balances[("payable:member:2", "usd")] == -1800
    assert balances[("revenue:qa", "usd")] == -199


async def test_an_answer_left_alone_for_accept_days_is_accepted_once(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory, services: Services, clock: FakeClock
) -> None:
    question = await _answered(dispatcher, uow, services.payments, clock)
    clock.advance(timedelta(days=3) - timedelta(minutes=1))
    assert await qa.keep_deadlines(uow, services, LIFE_SETTINGS, clock) == qa.Deadlines(0, 0)
    clock.advance(timedelta(minutes=2))
    assert await qa.keep_deadlines(uow, services, LIFE_SETTINGS, clock) == qa.Deadlines(0, 1)
    assert await qa.keep_deadlines(uow, services, LIFE_SETTINGS, clock) == qa.Deadlines(0, 0)
    assert "answer accepted" in await say(dispatcher, ASKER, f"/question {question}")
    assert (await _balances(uow))[("payable:member:2", "usd")] == -1800
    # Accepted on the asker's behalf, it counts where the asker is.
    assert await services.interactions.flush() == 1
    async with uow() as unit:
        counted = await unit.session.execute(select(Interaction.kind, Interaction.platform))
        assert [tuple(row) for row in counted] == [("answer_accepted", "console")]


async def test_listening_in_splits_odd_minor_units_and_sends_the_answer(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory, services: Services, clock: FakeClock
) -> None:
    payments, recorder = services.payments, services.interactions
    question = await _answered(dispatcher, uow, payments, clock)
    early = await say(dispatcher, LISTENER, f"/unlock {question}")
    assert early == f"Question #{question} has no accepted answer to unlock."
    await say(dispatcher, ASKER, f"/accept {question}")
    teaser = await say(dispatcher, LISTENER, f"/question {question}")
    assert "Profile it." not in teaser
    assert f"for $1.01 with /unlock {question}" in teaser
    [offer] = await send(dispatcher, LISTENER, f"/unlock {question}")
    assert isinstance(offer, Reply)
    assert offer.buttons[0].label == "Pay $1.01"
    listener, payment_id = await _listen_payment(uow, question)
    await provider_says(uow, payments, clock, payment_id, Money(101, "usd"))
    await provider_says(uow, payments, clock, payment_id, Money(101, "usd"))  # told twice
    balances = await _balances(uow)
    # 10 to the platform, 91 split: 45 to the asker (#1), 46 to the expert (#2).
    assert balances[("revenue:listen", "usd")] == -10
    assert balances[("payable:member:1", "usd")] == -45
    assert balances[("payable:member:2", "usd")] == -1800 - 46
    assert _sums_to_zero(balances)
    sent = [e for e in await _outbox(uow, clock) if isinstance(e, NotifyMember)]
    assert any(s.member_id == listener and "Profile it." in s.text for s in sent)
    assert "Profile it." in await say(dispatcher, LISTENER, f"/question {question}")
    assert "Profile it." in await say(dispatcher, LISTENER, f"/unlock {question}")
    assert await recorder.flush() == 2  # the acceptance and the unlock, on the answer
    async with uow() as unit:
        answer = await unit.contents.by_ref(f"answer:{question}")
        assert answer is not None
        assert answer.author_member_id == 2
        counted = await unit.session.execute(select(Interaction.kind, Interaction.platform))
        # The unlock paid at the sandbox counts where the listener is, not at the sandbox.
        assert sorted(tuple(row) for row in counted) == [
            ("answer_accepted", "console"),
            ("unlock", "console"),
        ]


async def test_a_listen_in_refund_takes_the_shares_back(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory, payments: PaymentService, clock: FakeClock
) -> None:
    question = await _answered(dispatcher, uow, payments, clock)
    await say(dispatcher, ASKER, f"/accept {question}")
    await send(dispatcher, LISTENER, f"/unlock {question}")
    _, payment_id = await _listen_payment(uow, question)
    await provider_says(uow, payments, clock, payment_id, Money(101, "usd"))
    refunded = PaymentEventKind.REFUNDED
    await provider_says(uow, payments, clock, payment_id, Money(101, "usd"), kind=refunded)
    balances = await _balances(uow)
    assert balances.get(("payable:member:1", "usd"), 0) == 0
    assert balances[("payable:member:2", "usd")] == -1800
    assert balances[("revenue:listen", "usd")] == -101
    assert balances[("refunds:listen", "usd")] == 101


async def test_experts_set_their_own_minimum_and_are_listed_with_their_record(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory, payments: PaymentService, clock: FakeClock
) -> None:
    assert await say(dispatcher, LISTENER, "/experts") == "There are no experts here yet."
    question = await _answered(dispatcher, uow, payments, clock)
    await say(dispatcher, ASKER, f"/accept {question}")
    assert await say(dispatcher, EXPERT, "/expert price 4") == (
        "Questions cost at least $5.00 here."
    )
    assert await say(dispatcher, EXPERT, "/expert price lots") == (
        "amount: “lots” is not an amount.\nFor example: 20\nUsage: /expert price <amount>"
    )
    said = await say(dispatcher, EXPERT, "/expert price 30")
    assert said == "Questions to you now cost at least $30.00."
    refused_member = await say(dispatcher, ASKER, "/expert price 30")
    assert refused_member == "You need the creator role to use /expert."
    refused = await say(dispatcher, ASKER, "/ask @expert price:20 How do I profile?")
    assert refused == "expert takes questions from $30.00."
    listed = await say(dispatcher, ASKER, "/experts")
    assert "expert: from $30.00 · answers 100% of questions asked" in listed
    assert "median answer time" in listed


async def test_the_lists_show_open_own_and_answered_questions(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory, payments: PaymentService, clock: FakeClock
) -> None:
    assert await say(dispatcher, LISTENER, "/questions") == "No open questions right now."
    question, _, _ = await paid_question(uow, payments, clock)
    assert f"Question #{question}" in await say(dispatcher, EXPERT, "/questions open")
    assert "• expert: from $5.00 · no answers yet" in await say(dispatcher, LISTENER, "/experts")
    assert await say(dispatcher, EXPERT, "/questions answered") == "No answered questions yet."
    mine = await say(dispatcher, ASKER, "/questions mine")
    assert f"Question #{question} · $19.99 · open" in mine
    assert "Why is my async code slow?" in mine
    wrong = await say(dispatcher, LISTENER, "/questions later")
    assert wrong.splitlines()[0] == "which: “later” is not one of: open, mine, answered."
    none = await say(dispatcher, LISTENER, "/questions mine")
    assert none == "You have no paid questions yet. Ask one with /ask."


async def test_an_expert_answers_by_writing_in_the_questions_thread(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory, payments: PaymentService, clock: FakeClock
) -> None:
    question, _, _ = await paid_question(uow, payments, clock)
    thread = Place(Platform.CONSOLE, "qa", is_private=False, thread_id="t1")
    async with uow() as unit:
        content = await unit.contents.by_ref(f"question:{question}")
        assert content is not None
        await show(unit, content, thread, "t1", role="thread")
    chatter = MessagePosted(ASKER, thread, "m1", "Any ideas?")
    assert await dispatcher.notify(chatter) == []
    answer = MessagePosted(EXPERT, thread, "m2", "Profile it with py-spy.")
    [reply] = await dispatcher.notify(answer)
    assert isinstance(reply, Reply)
    assert f"Answer to question #{question} received from expert and taken out" in reply.text
    assert "py-spy" in await say(dispatcher, ASKER, f"/question {question}")
    hidden = [e for e in await _outbox(uow, clock) if isinstance(e, DeleteMessage)]
    assert hidden == [
        DeleteMessage("console", "qa", "m2", f"the answer to paid question {question}")
    ]


async def test_a_question_paid_in_stars_is_refunded_in_stars(
    uow: UnitOfWorkFactory, clock: FakeClock
) -> None:
    providers = {"sandbox": SandboxProvider(SANDBOX_URL), "stars": StarsProvider()}
    services = wire(uow, clock, LIFE_SETTINGS, providers=providers)
    payments = services.payments
    dispatcher = dispatcher_for(uow, clock, LIFE_SETTINGS, services)
    on_telegram = actor("tg-asker", Platform.TELEGRAM)
    [invoice] = await send(dispatcher, on_telegram, "/ask price:6 Why is my build slow?")
    assert isinstance(invoice, Invoice)
    assert invoice.stars == 300  # 6.00 at 50 Stars per unit
    async with uow() as unit:
        question = await unit.questions.get(1)
        assert question is not None
        assert question.currency == "xtr"
        payment_id = question.payment_id
    assert payment_id is not None
    await provider_says(uow, payments, clock, payment_id, Money(300, "xtr"), provider="stars")
    assert "Cancelled." in await say(dispatcher, on_telegram, "/cancel 1")
    refunds = [e for e in await _outbox(uow, clock) if isinstance(e, RefundPayment)]
    assert [(r.payment_id, r.amount_minor) for r in refunds] == [(payment_id, 300)]
    assert (await _balances(uow))[("escrow:qa", "xtr")] == -300


def _sums_to_zero(balances: dict[tuple[str, str], int]) -> bool:
    totals: dict[str, int] = {}
    for (_, currency), minor in balances.items():
        totals[currency] = totals.get(currency, 0) + minor
    return not any(totals.values())


async def test_a_question_of_ten_thousand_characters_keeps_its_code_intact(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory
) -> None:
    code = "```python\nasync def main() -> None:\n    await  asyncio.sleep(0)\n```"
    text = f"Why is this slow?\n{code}\n" + "x" * (10_000 - 19 - len(code))
    assert len(text) == 10_000
    [offer] = await send(dispatcher, ASKER, f"/ask {text}")
    assert isinstance(offer, Reply)
    assert offer.buttons
    async with uow() as unit:
        question = await unit.questions.get(1)
        assert question is not None
        assert question.text == text
    too_long = await say(dispatcher, ASKER, f"/ask {text}x")
    assert too_long == "That message is too long: 10,001 characters, and the limit is 10,000."
    other = await say(dispatcher, ASKER, "/help " + "x" * 4000)
    assert "the limit is 4,000" in other


async def test_the_expert_and_price_before_a_question_leave_its_lines_as_typed(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory
) -> None:
    await say(dispatcher, EXPERT, "/whoami")
    typed = "Help:\n```py\n    x = 1\n```"
    await send(dispatcher, ASKER, f"/ask @expert price:20\n{typed}")
    await send(dispatcher, ASKER, f"/ask {typed}")
    async with uow() as unit:
        for question_id in (1, 2):
            question = await unit.questions.get(question_id)
            assert question is not None
            assert question.text == typed


async def test_a_linked_account_brings_its_questions_and_what_it_is_owed(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory, payments: PaymentService, clock: FakeClock
) -> None:
    question = await _answered(dispatcher, uow, payments, clock)
    await say(dispatcher, ASKER, f"/accept {question}")
    on_telegram = actor("expert_tg", Platform.TELEGRAM, user_id="77", level=Level.CREATOR)
    reply = await say(dispatcher, on_telegram, "/link")
    code = re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b", reply)
    assert code, reply
    assert "Linked" in await say(dispatcher, EXPERT, f"/link {code.group(1)}")
    assert "You are owed $18.00." in await say(dispatcher, on_telegram, "/payouts")
    assert f"Question #{question}" in await say(dispatcher, on_telegram, "/questions mine")
    balances = await _balances(uow)
    assert balances.get(("payable:member:2", "usd"), 0) == 0
    assert _sums_to_zero(balances)

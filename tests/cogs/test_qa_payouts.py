"""/payouts and /payout mark through the dispatcher: what experts are owed, and the payouts
moderators record once they paid them outside the bot."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import timedelta

import pytest

from bot.core.clock import FakeClock
from bot.core.dispatcher import Dispatcher
from bot.core.effects import NotifyMember
from bot.core.events import Actor
from bot.core.i18n import Translator
from bot.core.money import Money
from bot.core.outbox import decode
from bot.core.permissions import Level
from cogs.services import Services
from payments import ledger
from payments.events import PaymentEvent, PaymentEventKind
from payments.purposes import Purpose
from payments.service import PaymentService
from storage.models import QuestionUnlock
from storage.uow import UnitOfWorkFactory
from tests.cogs.conftest import QA_SETTINGS, paid_question
from tests.conftest import actor, dispatcher_for, say, send

ASKER, EXPERT = actor("asker"), actor("expert", level=Level.CREATOR)
MOD = actor("mod", level=Level.MOD)
NOBODY = actor("nobody")
HAND_PAID = "Moderators pay out by hand (a bank transfer, PayPal...) and record it."


@pytest.fixture
def dispatcher(uow: UnitOfWorkFactory, clock: FakeClock, qa_services: Services) -> Dispatcher:
    return dispatcher_for(uow, clock, QA_SETTINGS, qa_services)


async def accepted_answer(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory, payments: PaymentService, clock: FakeClock
) -> int:
    """The fixture's paid question ($19.99), answered and accepted: the expert is owed $18.00
    (the 10% fee is $1.99, rounded down)."""
    question, expert_id, _ = await paid_question(uow, payments, clock)
    await answer_and_accept(dispatcher, question, ASKER, EXPERT)
    return expert_id


async def answer_and_accept(
    dispatcher: Dispatcher, question: int, asker: Actor, expert: Actor
) -> None:
    sent = await say(dispatcher, expert, f"/answer {question} Profile it.")
    assert sent == "Answer sent. You are paid when the asker accepts it."
    assert await say(dispatcher, asker, f"/accept {question}") == "Accepted. Thank you!"


async def another_expert_paid(
    dispatcher: Dispatcher,
    uow: UnitOfWorkFactory,
    payments: PaymentService,
    clock: FakeClock,
    price: str,
) -> None:
    """A second expert, asked through /ask, paid, answering and accepted."""
    asker, expert = actor("asker2"), actor("expert2", level=Level.CREATOR)
    whoami = await say(dispatcher, expert, "/whoami")
    async with uow() as unit:
        identity = await unit.members.identity("console", "expert2")
        assert identity is not None
        expert_id = identity.member_id
    assert whoami.splitlines()[0] == f"You are member #{expert_id} (expert2)."
    [offer] = await send(dispatcher, asker, f"/ask #{expert_id} price:{price} Which ORM?")
    found = re.search(r"Question #(\d+)", offer.text)
    assert found
    question_id = int(found.group(1))
    async with uow() as unit:
        question = await unit.questions.get(question_id)
        assert question is not None
        assert question.payment_id is not None
        paid = PaymentEvent(
            "sandbox",
            PaymentEventKind.PAID,
            "paid",
            clock.now(),
            payment_id=question.payment_id,
            amount=Money(question.price_minor, question.currency),
        )
        await payments.apply(unit, paid)
    await answer_and_accept(dispatcher, question_id, asker, expert)


async def assert_ledger_balanced(uow: UnitOfWorkFactory) -> None:
    async with uow() as unit:
        balances = await unit.ledger.balances()
    totals: dict[str, int] = defaultdict(int)
    for (_account, currency), amount in balances.items():
        totals[currency] += amount
    assert all(total == 0 for total in totals.values()), totals


async def test_an_expert_sees_what_an_accepted_answer_owes_them(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory, qa_payments: PaymentService, clock: FakeClock
) -> None:
    await accepted_answer(dispatcher, uow, qa_payments, clock)
    shown = await say(dispatcher, EXPERT, "/payouts")
    assert shown.splitlines() == [
        "You are owed $18.00.",
        "Latest movements:",
        f"{clock.now():%Y-%m-%d} · accepted answer #1 · +$18.00",
        HAND_PAID,
    ]


async def test_listen_in_shares_in_stars_show_beside_the_community_currency(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory, qa_payments: PaymentService, clock: FakeClock
) -> None:
    expert_id = await accepted_answer(dispatcher, uow, qa_payments, clock)
    clock.advance(timedelta(days=2))
    async with uow() as unit:  # someone paid 50 stars to read the answer to #1
        unlock = await unit.questions.add_unlock(
            QuestionUnlock(question_id=1, member_id=1, status="paid", created_at=clock.now())
        )
        share = Money(45, "xtr")
        await ledger.Ledger(unit).post(
            "qa",
            f"listen:{unlock.id}:expert:paid",
            ledger.transfer(ledger.payable(expert_id), ledger.revenue("qa"), share),
            at=clock.now(),
        )
        # The listen-in's checkout page names the answer it opens.
        purpose = Purpose("listen", str(unlock.id))
        handler = qa_payments.purposes.for_purpose(purpose)
        title = await handler.title(qa_payments.context(unit), purpose, Translator("en"))
        assert title.startswith("The accepted answer to Question #1: ")
    shown = (await say(dispatcher, EXPERT, "/payouts")).splitlines()
    assert shown[:4] == [
        "You are owed $18.00, 45 ⭐.",
        "Latest movements:",
        f"{clock.now():%Y-%m-%d} · listen-in share #1 · +45 ⭐",
        f"{clock.now() - timedelta(days=2):%Y-%m-%d} · accepted answer #1 · +$18.00",
    ]
    await assert_ledger_balanced(uow)


async def test_someone_owed_nothing_hears_so_kindly(dispatcher: Dispatcher) -> None:
    assert await say(dispatcher, NOBODY, "/payouts") == (
        "Nothing is owed to you yet. When an answer of yours is accepted, or someone pays to "
        "read a question you asked, your share shows up here."
    )
    assert await say(dispatcher, NOBODY, "/payouts all") == (
        "You need the mod role to use /payouts all."
    )
    assert await say(dispatcher, MOD, "/payouts all") == "Nobody is owed anything right now."


async def test_moderators_see_everyone_owed_largest_first_with_totals(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory, qa_payments: PaymentService, clock: FakeClock
) -> None:
    await accepted_answer(dispatcher, uow, qa_payments, clock)
    await another_expert_paid(dispatcher, uow, qa_payments, clock, "40")
    refused = await say(dispatcher, EXPERT, "/payouts all")
    assert refused == "You need the mod role to use /payouts all."
    assert await say(dispatcher, MOD, "/payouts all") == (
        "Owed to members, largest first:\n#3 expert2 · $36.00\n#2 expert · $18.00\nTotal: $54.00"
    )


async def test_a_recorded_payout_lowers_the_balance_notifies_and_is_audited(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory, qa_payments: PaymentService, clock: FakeClock
) -> None:
    expert_id = await accepted_answer(dispatcher, uow, qa_payments, clock)
    clock.advance(timedelta(days=1))
    recorded = await say(dispatcher, MOD, f"/payout mark #{expert_id} 17.99 PP-7")
    assert recorded == "Recorded: $17.99 paid to expert (ref PP-7). Still owed: $0.01."
    async with uow() as unit:
        assert (await unit.ledger.balances(f"payable:member:{expert_id}")) == {
            (f"payable:member:{expert_id}", "usd"): -1
        }
        items = await unit.outbox.due(clock.now() + timedelta(days=1), 50)
        [note] = [
            decode(i.kind, i.payload) for i in items if i.dedupe_key == f"payout:{expert_id}:PP-7"
        ]
        [entry] = await unit.audit.recent(member_id=expert_id, limit=1)
    assert note == NotifyMember(
        expert_id, "A payout of $17.99 to you was recorded (ref PP-7). Still owed to you: $0.01."
    )
    assert (entry.action, entry.actor_member_id, entry.detail) == (
        "payout.recorded",
        3,
        {"amount": 1799, "currency": "usd", "ref": "PP-7"},
    )
    shown = await say(dispatcher, EXPERT, "/payouts")
    assert shown.splitlines() == [
        "You are owed $0.01.",
        "Latest movements:",
        f"{clock.now():%Y-%m-%d} · payout recorded, ref PP-7 · -$17.99",
        f"{clock.now() - timedelta(days=1):%Y-%m-%d} · accepted answer #1 · +$18.00",
        HAND_PAID,
    ]
    await assert_ledger_balanced(uow)


async def test_a_payout_is_recorded_once_per_ref_and_never_beyond_what_is_owed(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory, qa_payments: PaymentService, clock: FakeClock
) -> None:
    expert_id = await accepted_answer(dispatcher, uow, qa_payments, clock)
    too_much = await say(dispatcher, MOD, f"/payout mark #{expert_id} 18.01 wire-1")
    assert too_much == (
        "expert is owed $18.00: a payout of $18.01 is more than that. Nothing was recorded."
    )
    stars = await say(dispatcher, MOD, f"/payout mark #{expert_id} 300xtr stars-1")
    assert (
        stars == "expert is owed 0 ⭐: a payout of 300 ⭐ is more than that. Nothing was recorded."
    )
    recorded = await say(dispatcher, MOD, f"/payout mark #{expert_id} 10 wire-1")
    assert recorded == "Recorded: $10.00 paid to expert (ref wire-1). Still owed: $8.00."
    again = await say(dispatcher, MOD, f"/payout mark #{expert_id} 10 wire-1")
    assert again == "Payout wire-1 to expert was already recorded."
    long_ref = await say(dispatcher, MOD, f"/payout mark #{expert_id} 1 {'x' * 65}")
    assert long_ref == "Give the transfer's ref, up to 64 characters."
    async with uow() as unit:
        assert await unit.ledger.balances("payable:member:") == {
            (f"payable:member:{expert_id}", "usd"): -800
        }
        assert await unit.ledger.balances("clearing:manual") == {("clearing:manual", "usd"): -1000}
        items = await unit.outbox.due(clock.now() + timedelta(days=1), 50)
    assert [i.dedupe_key for i in items if i.dedupe_key.startswith("payout:")] == [
        f"payout:{expert_id}:wire-1"
    ]
    await assert_ledger_balanced(uow)


@pytest.mark.parametrize(
    ("amount", "said"),
    [
        ("abc", "“abc” is not an amount."),
        ("12.505", "“12.505” has more decimal places than USD allows."),
        ("1e3", "“1e3” is not an amount."),
        ("12.50zz", "“12.50zz”: write the currency as a code, like 25 usd or 25 cny."),
        ("0", "The amount must be more than zero."),
        ("0.00", "The amount must be more than zero."),
        ("-5", "The amount must be more than zero."),
    ],
)
async def test_an_amount_that_is_not_a_positive_one_is_refused(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory, amount: str, said: str
) -> None:
    await say(dispatcher, NOBODY, "/whoami")  # member #1
    assert await say(dispatcher, MOD, f"/payout mark #1 {amount} ref-1") == (
        f"amount: {said}\nFor example: 25\nUsage: /payout mark <@member> <amount> <ref>"
    )
    async with uow() as unit:
        assert not await unit.ledger.transactions("payout:")


async def test_only_moderators_record_payouts(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory, qa_payments: PaymentService, clock: FakeClock
) -> None:
    expert_id = await accepted_answer(dispatcher, uow, qa_payments, clock)
    refused = await say(dispatcher, EXPERT, f"/payout mark #{expert_id} 18 mine")
    assert refused == "You need the mod role to use /payout."
    async with uow() as unit:
        assert not await unit.ledger.transactions("payout:")

"""No minor unit lost or created when Q&A money is split, for any amount and percentages."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.core.money import Money
from cogs.qa.shares import answer_payout, listen_split

AMOUNTS = st.builds(
    Money, st.integers(min_value=0, max_value=10**12), st.sampled_from(["usd", "jpy", "xtr"])
)
PERCENTS = st.integers(min_value=0, max_value=100)


@given(AMOUNTS, PERCENTS)
def test_an_accepted_answer_pays_out_exactly_the_price(price: Money, fee: int) -> None:
    payout = answer_payout(price, fee)
    assert payout.platform + payout.expert == price
    assert 0 <= payout.platform.minor <= price.minor * fee / 100
    assert payout.expert.minor >= 0


@given(AMOUNTS, PERCENTS, PERCENTS)
def test_a_listen_in_is_split_exactly(paid: Money, fee: int, asker: int) -> None:
    split = listen_split(paid, fee, asker)
    assert split.platform + split.asker + split.expert == paid
    assert all(share.minor >= 0 for share in (split.platform, split.asker, split.expert))
    rest = paid.minor - split.platform.minor
    assert split.asker.minor <= rest * asker / 100 < split.asker.minor + 1


def test_odd_minor_units_go_to_the_expert() -> None:
    split = listen_split(Money(101, "usd"), 10, 50)
    assert (split.platform, split.asker, split.expert) == (
        Money(10, "usd"),
        Money(45, "usd"),
        Money(46, "usd"),
    )

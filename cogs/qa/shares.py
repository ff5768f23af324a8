"""Who gets what of a Q&A payment. Every split gives out exactly what was paid: the platform's
fee and each share are rounded down, and the last share takes the remainder, so no minor unit
is lost or created."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.money import Money


@dataclass(frozen=True)
class AnswerPayout:
    """A question's price once its answer is accepted: the fee, and what the expert is owed."""

    platform: Money
    expert: Money


@dataclass(frozen=True)
class ListenSplit:
    """A listen-in payment: the fee, then the rest split between the asker and the expert."""

    platform: Money
    asker: Money
    expert: Money


def answer_payout(price: Money, fee_percent: int) -> AnswerPayout:
    platform = price.percent(fee_percent)
    return AnswerPayout(platform=platform, expert=price - platform)


def listen_split(paid: Money, fee_percent: int, asker_percent: int) -> ListenSplit:
    platform = paid.percent(fee_percent)
    rest = paid - platform
    asker = rest.percent(asker_percent)
    return ListenSplit(platform=platform, asker=asker, expert=rest - asker)

"""The experts a member can ask: who they are, what they charge, how often and how fast they
answer; and an expert setting their own minimum price."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from bot.core.commands import Args, CommandSpec, Param, ParamKind, Refuse
from bot.core.context import Context
from bot.core.effects import Effect
from bot.core.i18n import N_
from bot.core.money import format_money
from bot.core.permissions import Level
from bot.core.registry import Registry
from cogs.qa import service as qa
from storage.models import Member, Question

# Questions still inside their answer window say nothing yet about the expert's answer rate.
_DECIDED = (qa.ANSWERED, qa.REJECTED, qa.ACCEPTED, qa.REFUNDING, qa.REFUNDED, qa.DISPUTED)
MOST_LISTED = 25


@dataclass(frozen=True)
class ExpertRecord:
    """How an expert has done: questions asked of them (decided ones) and answers given."""

    asked: int
    answered_asked: int
    answer_times: tuple[timedelta, ...]

    @property
    def answer_rate(self) -> float | None:
        return self.answered_asked / self.asked if self.asked else None

    @property
    def median_answer_time(self) -> timedelta | None:
        if not self.answer_times:
            return None
        return timedelta(seconds=statistics.median(t.total_seconds() for t in self.answer_times))


def record_of(expert_id: int, questions: Sequence[Question]) -> ExpertRecord:
    asked = [q for q in questions if q.expert_id == expert_id and q.status in _DECIDED]
    answered = [q for q in questions if q.answerer_id == expert_id]
    times = tuple(
        q.answered_at - q.paid_at for q in answered if q.answered_at and q.paid_at is not None
    )
    return ExpertRecord(
        asked=len(asked),
        answered_asked=sum(1 for q in asked if q.answerer_id == expert_id),
        answer_times=times,
    )


async def experts(ctx: Context, args: Args) -> list[Effect]:
    people = await ctx.uow.members.vouched_at_least(Level.CREATOR)
    if not people:
        return [ctx.reply(ctx._("There are no experts here yet."))]
    questions = await ctx.uow.questions.answered_by_anyone()
    lines = [ctx._("Experts (ask with /ask @name price:AMOUNT question):")]
    for expert in people[:MOST_LISTED]:
        lines.append(await _line(ctx, expert, record_of(expert.id, questions)))
    return [ctx.reply("\n".join(lines))]


async def _line(ctx: Context, expert: Member, record: ExpertRecord) -> str:
    price = format_money(
        await qa.lowest_price(ctx.uow, ctx.settings, expert.id), ctx.translator.locale
    )
    rate, median = record.answer_rate, record.median_answer_time
    if rate is None and median is None:
        return ctx._(
            "• {name}: from {price} · no answers yet", name=expert.display_name, price=price
        )
    return ctx._(
        "• {name}: from {price} · answers {rate} of questions asked · median answer time {time}",
        name=expert.display_name,
        price=price,
        rate=f"{rate:.0%}" if rate is not None else "—",
        time=ctx.translator.duration(median) if median is not None else "—",
    )


async def expert(ctx: Context, args: Args) -> list[Effect]:
    """`/expert price AMOUNT`: questions to this expert cost at least AMOUNT."""
    floor = qa.minimum_price(ctx.settings)
    price = args.money("amount")
    assert price is not None  # required: the dispatcher asked for it
    if price.minor < floor.minor:
        shown = format_money(floor, ctx.translator.locale)
        raise Refuse(ctx._("Questions cost at least {price} here.", price=shown))
    await qa.set_expert_price(ctx.uow, ctx.member.id, price, ctx.clock.now())
    mine = format_money(price, ctx.translator.locale)
    return [ctx.reply(ctx._("Questions to you now cost at least {price}.", price=mine))]


def register(registry: Registry) -> None:
    registry.register(
        CommandSpec(
            name="experts",
            description=N_("The experts: their prices, answer rate and answer time"),
            handler=experts,
            ephemeral=True,
        )
    )
    registry.register(
        CommandSpec(
            name="expert",
            description=N_("Your settings as an expert"),
            subcommands=(
                CommandSpec(
                    name="price",
                    description=N_("Set the lowest price you answer questions for (experts)"),
                    handler=expert,
                    params=(
                        Param(
                            N_("amount"),
                            N_("The price, e.g. 20.00"),
                            kind=ParamKind.MONEY,
                            example="20",
                        ),
                    ),
                    level=Level.CREATOR,
                    ephemeral=True,
                    examples=("/expert price 20",),
                ),
            ),
            level=Level.CREATOR,
            ephemeral=True,
        )
    )

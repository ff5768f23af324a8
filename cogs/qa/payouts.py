"""/payouts and /payout mark: what experts are owed, and the payouts moderators made outside the
bot (a bank transfer, PayPal...). The bot never sends money itself: it keeps the books
(payout_ledger.py), and a moderator records each payout once it is made."""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.commands import Args, CommandSpec, Param, ParamKind, Refuse
from bot.core.context import Context
from bot.core.effects import Effect
from bot.core.i18n import N_
from bot.core.money import Money, format_money
from bot.core.permissions import Level
from bot.core.registry import Registry
from cogs.qa.payout_ledger import PAYOUT, Booked, Payout, book, owed_to, owed_to_everyone
from cogs.qa.service import tell
from payments import ledger
from storage.repositories.ledger import Movement

HISTORY = 10
LISTED = 20
REF_LENGTH = 64


async def payouts(ctx: Context, args: Args) -> list[Effect]:
    if args.choice("scope") != "all":
        return [ctx.reply(await _mine(ctx))]
    if ctx.level < Level.MOD:
        raise Refuse(
            ctx._(
                "You need the {role} role to use /{command}.",
                role=ctx._(Level.MOD.label),
                command="payouts all",
            )
        )
    return [ctx.reply(await _everyone(ctx))]


async def _mine(ctx: Context) -> str:
    owed = sorted(
        await owed_to(ctx.uow, ctx.member.id), key=lambda m: _currency_order(ctx, m.currency)
    )
    history = await ctx.uow.ledger.movements(ledger.payable(ctx.member.id), limit=HISTORY)
    if not owed and not history:
        return ctx._(
            "Nothing is owed to you yet. When an answer of yours is accepted, or someone pays "
            "to read a question you asked, your share shows up here."
        )
    lines = [
        ctx._("You are owed {amounts}.", amounts=", ".join(_money(ctx, m) for m in owed))
        if owed
        else ctx._("You are owed nothing right now.")
    ]
    if history:
        unlocks = {u for m in history if (u := _unlock_of(m.reference)) is not None}
        listened = await ctx.uow.questions.questions_of_unlocks(unlocks)
        lines.append(ctx._("Latest movements:"))
        lines += [_movement(ctx, movement, listened) for movement in history]
    lines.append(ctx._("Moderators pay out by hand (a bank transfer, PayPal...) and record it."))
    return "\n".join(lines)


def _movement(ctx: Context, movement: Movement, listened: Mapping[int, int]) -> str:
    # Credits to a payable account are money owed to the member: shown as a plus.
    change = Money(-movement.amount_minor, movement.currency)
    sign = "+" if change.minor > 0 else ""
    date = ctx.translator.datetime(movement.at, "yyyy-MM-dd")
    return f"{date} · {_what(ctx, movement.reference, listened)} · {sign}{_money(ctx, change)}"


def _what(ctx: Context, reference: str, listened: Mapping[int, int]) -> str:
    """What moved the money, read from the transaction's reference: question:<id>:accepted:...
    (an accepted answer), listen:<unlock id>:... (a listen-in share, shown by the question it
    unlocked), payout:<member id>:<ref>; any other is shown as it is."""
    head, _, rest = reference.partition(":")
    number, _, tail = rest.partition(":")
    unlock = _unlock_of(reference)
    if head == PAYOUT:
        return ctx._("payout recorded, ref {ref}", ref=tail)
    if head == "question" and tail.startswith("accepted"):
        return ctx._("accepted answer #{id}", id=number)
    if unlock is not None and unlock in listened:
        return ctx._("listen-in share #{id}", id=listened[unlock])
    return reference


def _unlock_of(reference: str) -> int | None:
    head, _, rest = reference.partition(":")
    number = rest.partition(":")[0]
    return int(number) if head == "listen" and number.isdigit() else None


async def _everyone(ctx: Context) -> str:
    owed = await owed_to_everyone(ctx.uow)
    if not owed:
        return ctx._("Nobody is owed anything right now.")
    lines = [ctx._("Owed to members, largest first:")]
    currencies = sorted(
        {row.amount.currency for row in owed}, key=lambda c: _currency_order(ctx, c)
    )
    for currency in currencies:
        rows = sorted(
            (row for row in owed if row.amount.currency == currency),
            key=lambda row: -row.amount.minor,
        )
        for row in rows[:LISTED]:
            member = await ctx.uow.members.get(row.member_id)
            name = member.display_name if member else "?"
            lines.append(f"#{row.member_id} {name} · {_money(ctx, row.amount)}")
        if len(rows) > LISTED:
            lines.append(ctx._("… and {count} more.", count=len(rows) - LISTED))
        total = Money(sum(row.amount.minor for row in rows), currency)
        lines.append(ctx._("Total: {amount}", amount=_money(ctx, total)))
    return "\n".join(lines)


def _currency_order(ctx: Context, currency: str) -> tuple[bool, str]:
    """The community's currency first, then the others (Stars...) by code."""
    return currency != ctx.settings.community.currency.lower(), currency


REFUSED = {
    Booked.REPEATED: N_("Payout {ref} to {member} was already recorded."),
    Booked.TOO_MUCH: N_(
        "{member} is owed {owed}: a payout of {amount} is more than that. Nothing was recorded."
    ),
}


async def mark(ctx: Context, args: Args) -> list[Effect]:
    expert, amount = args.member("member"), args.money("amount")
    assert expert is not None  # required: the dispatcher asked for it
    assert amount is not None
    ref = " ".join((args.text("ref") or "").split())
    if len(ref) > REF_LENGTH:
        raise Refuse(ctx._("Give the transfer's ref, up to {limit} characters.", limit=REF_LENGTH))
    payout = Payout(expert.id, amount, ref)
    booked = await book(ctx.uow, payout, ctx.clock.now())
    owed = -await ledger.Ledger(ctx.uow).balance(ledger.payable(expert.id), amount.currency)
    values = {
        "member": expert.display_name,
        "amount": _money(ctx, amount),
        "ref": ref,
        "owed": _money(ctx, owed),
    }
    if booked in REFUSED:
        raise Refuse(ctx._(REFUSED[booked], **values))
    await _audit(ctx, payout)
    await tell(
        ctx.uow,
        ctx.settings,
        payout.member_id,
        N_("A payout of {amount} to you was recorded (ref {ref}). Still owed to you: {owed}."),
        key=payout.reference,
        now=ctx.clock.now(),
        amount=payout.amount,
        ref=payout.ref,
        owed=owed,
    )
    return [
        ctx.reply(
            ctx._("Recorded: {amount} paid to {member} (ref {ref}). Still owed: {owed}.", **values)
        )
    ]


async def _audit(ctx: Context, payout: Payout) -> None:
    await ctx.uow.audit.record(
        "payout.recorded",
        at=ctx.clock.now(),
        actor_id=ctx.member.id,
        subject_id=payout.member_id,
        detail={
            "amount": payout.amount.minor,
            "currency": payout.amount.currency,
            "ref": payout.ref,
        },
    )


def _money(ctx: Context, money: Money) -> str:
    return format_money(money, ctx.translator.locale)


def register(registry: Registry) -> None:
    registry.register(
        CommandSpec(
            name="payouts",
            description=N_("What you are owed for answers and listen-ins, and your payouts"),
            handler=payouts,
            params=(
                Param(
                    N_("scope"),
                    N_("all: everyone who is owed money (moderators)"),
                    kind=ParamKind.CHOICE,
                    choices=("all",),
                    required=False,
                ),
            ),
            ephemeral=True,
            examples=("/payouts", "/payouts all"),
        )
    )
    registry.register(
        CommandSpec(
            name="payout",
            description=N_("Payouts made to experts outside the bot (moderators)"),
            subcommands=(
                CommandSpec(
                    name="mark",
                    description=N_("Record a payout you made to an expert outside the bot"),
                    handler=mark,
                    params=(
                        Param(
                            N_("member"),
                            N_("Who was paid: @name or #member-id"),
                            kind=ParamKind.MEMBER,
                        ),
                        Param(
                            N_("amount"),
                            N_("How much: 25, 12.50, or with a currency code: 300xtr"),
                            kind=ParamKind.MONEY,
                            any_currency=True,
                        ),
                        Param(
                            N_("ref"),
                            N_("The transfer's reference, once per payout"),
                            example="PP-7",
                        ),
                    ),
                    level=Level.MOD,
                    ephemeral=True,
                    examples=("/payout mark @grace 18 PP-7", "/payout mark #12 300xtr stars-1"),
                ),
            ),
            level=Level.MOD,
            ephemeral=True,
        )
    )

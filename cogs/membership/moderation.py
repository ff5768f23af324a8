"""Moderators' hands on memberships: grant (after a bank, WeChat Pay or Alipay transfer),
revoke, and list. Every change is audited with who and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.commands import Args, CommandSpec, Param, ParamKind
from bot.core.context import Context
from bot.core.effects import Effect
from bot.core.i18n import N_
from bot.core.money import Money, format_money, is_known_currency, parse_major
from bot.core.permissions import Level
from bot.core.registry import Registry
from cogs.membership.joining import STATUSES
from cogs.membership.purpose import PERIODS
from cogs.membership.service import HOLDING, entitle, withdraw
from payments import ledger

LISTED = 20


@dataclass(frozen=True)
class GrantDetails:
    """`[days] [paid AMOUNT CURRENCY] [ref TEXT] [reason...]` after the tier."""

    days: int | None = None
    paid: Money | None = None
    ref: str | None = None
    reason: str = ""


def parse_details(text: str) -> GrantDetails:
    words = text.split()
    days = int(words.pop(0)) if words and words[0].isdigit() else None
    paid: Money | None = None
    ref: str | None = None
    rest: list[str] = []
    while words:
        word = words.pop(0)
        if word.lower() == "paid" and len(words) >= 2 and is_known_currency(words[1]):
            paid = parse_major(words.pop(0), words.pop(0))
        elif word.lower() == "ref" and words:
            ref = words.pop(0)
        else:
            rest.append(word)
    return GrantDetails(days, paid, ref, " ".join(rest))


async def grant(ctx: Context, args: Args) -> list[Effect]:
    subject = args.member("member")
    key = (args.text("tier") or "").lower()
    tier = ctx.settings.tiers.get(key)
    if subject is None or tier is None:
        tiers = ", ".join(ctx.settings.tiers) or "-"
        return [
            ctx.reply(
                ctx._(
                    "There is no tier “{tier}”. Choose one of: {tiers}.", tier=key[:32], tiers=tiers
                )
            )
        ]
    try:
        details = parse_details(args.text("details") or "")
    except ValueError as error:
        return [ctx.reply(ctx._("That amount does not work: {problem}", problem=str(error)))]
    now = ctx.clock.now()
    ends_at: datetime | None
    if details.days is not None:
        ends_at = now + timedelta(days=details.days)
    else:
        ends_at = None if tier.interval == "lifetime" else now + PERIODS[tier.interval]
    membership = await entitle(
        ctx.uow,
        ctx.settings,
        member_id=subject.id,
        tier=key,
        status="active",
        ends_at=ends_at,
        now=now,
        source="manual",
        payment_id=None,
        actor_id=ctx.member.id,
        reason=details.reason or "granted by hand",
    )
    if details.paid is not None:
        await ledger.Ledger(ctx.uow).post(
            "manual",
            ledger.manual_reference(membership.id, membership.version),
            ledger.transfer(ledger.revenue("membership"), ledger.clearing("manual"), details.paid),
            at=now,
            memo=f"{key} {details.ref or ''}".strip(),
        )
        await ctx.uow.audit.record(
            "payment.manual",
            at=now,
            actor_id=ctx.member.id,
            subject_id=subject.id,
            detail={
                "tier": key,
                "amount": details.paid.minor,
                "currency": details.paid.currency,
                "ref": details.ref or "",
            },
        )
    until = ctx.translator.datetime(ends_at, "yyyy-MM-dd") if ends_at else ctx._("for life")
    paid = f" · {format_money(details.paid, ctx.translator.locale)}" if details.paid else ""
    return [
        ctx.reply(
            ctx._(
                "{member} now holds {tier} ({until}){paid}.",
                member=subject.display_name,
                tier=tier.name,
                until=until,
                paid=paid,
            )
        )
    ]


async def revoke(ctx: Context, args: Args) -> list[Effect]:
    subject = args.member("member")
    assert subject is not None  # required param, resolved by the dispatcher
    reason = args.text("reason") or "revoked by hand"
    held = [m for m in await ctx.uow.memberships.of_member(subject.id) if m.status in HOLDING]
    if not held:
        return [ctx.reply(ctx._("{member} holds no membership.", member=subject.display_name))]
    for membership in held:
        await withdraw(
            ctx.uow,
            ctx.settings,
            membership,
            status="revoked",
            now=ctx.clock.now(),
            actor_id=ctx.member.id,
            reason=reason,
        )
    tiers = ", ".join(
        ctx.settings.tiers[m.tier].name if m.tier in ctx.settings.tiers else m.tier for m in held
    )
    return [
        ctx.reply(ctx._("Revoked {tiers} from {member}.", tiers=tiers, member=subject.display_name))
    ]


async def members(ctx: Context, args: Args) -> list[Effect]:
    tier, status = args.text("tier"), args.text("status")
    rows = await ctx.uow.memberships.listing(tier=tier, status=status, limit=LISTED + 1)
    if not rows:
        return [ctx.reply(ctx._("Nobody matches."))]
    lines = []
    for membership, member in rows[:LISTED]:
        end = (
            ctx.translator.datetime(membership.ends_at, "yyyy-MM-dd") if membership.ends_at else "∞"
        )
        state = ctx._(STATUSES.get(membership.status, membership.status))
        lines.append(f"#{member.id} {member.display_name} · {membership.tier} · {state} · {end}")
    if len(rows) > LISTED:
        lines.append(ctx._("… and more: narrow it down with a tier or a status."))
    return [ctx.reply("\n".join(lines))]


def register(registry: Registry) -> None:
    who = Param("member", N_("Who: @name or #member-id"), kind=ParamKind.MEMBER)
    registry.register(
        CommandSpec(
            name="grant",
            description=N_("Give a member a tier by hand (after a transfer, as a gift)"),
            handler=grant,
            params=(
                who,
                Param("tier", N_("The tier to give")),
                Param(
                    "details",
                    N_("[days] [paid AMOUNT CURRENCY] [ref TEXT] [reason]"),
                    required=False,
                    rest=True,
                ),
            ),
            level=Level.MOD,
            ephemeral=True,
        )
    )
    registry.register(
        CommandSpec(
            name="revoke",
            description=N_("Take a member's tiers away now"),
            handler=revoke,
            params=(who, Param("reason", N_("Why, for the audit log"), required=False, rest=True)),
            level=Level.MOD,
            ephemeral=True,
        )
    )
    registry.register(
        CommandSpec(
            name="members",
            description=N_("List members by tier and status"),
            handler=members,
            params=(
                Param("tier", N_("Only this tier"), required=False),
                Param(
                    "status",
                    N_("Only this status"),
                    kind=ParamKind.CHOICE,
                    choices=tuple(STATUSES),
                    required=False,
                ),
            ),
            level=Level.MOD,
            ephemeral=True,
        )
    )

"""Moderators' hands on memberships: grant (after a bank, WeChat Pay or Alipay transfer),
revoke, and list. Every change is audited with who and why."""

from __future__ import annotations

from datetime import datetime

from bot.core.commands import Args, CommandSpec, Param, ParamKind, Refuse
from bot.core.context import Context
from bot.core.effects import Effect
from bot.core.i18n import N_
from bot.core.money import format_money
from bot.core.permissions import Level
from bot.core.registry import Registry
from cogs.membership.joining import STATUSES
from cogs.membership.service import HOLDING, entitle, withdraw
from payments import ledger
from payments.providers.base import PERIODS

LISTED = 20


async def grant(ctx: Context, args: Args) -> list[Effect]:
    subject, key = args.member("member"), args.tier("tier")
    assert subject is not None  # required: the dispatcher asked for it
    assert key is not None
    tier = ctx.settings.tiers[key]
    duration, paid, ref = args.duration("duration"), args.money("paid"), args.text("ref")
    if ref is not None and paid is None:
        raise Refuse(ctx._("A ref goes with a payment: add paid:AMOUNT, like paid:300 cny."))
    now = ctx.clock.now()
    ends_at: datetime | None
    if duration is not None:
        ends_at = None if duration.delta is None else now + duration.delta
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
        reason=args.text("reason") or "granted by hand",
    )
    if paid is not None:
        await ledger.Ledger(ctx.uow).post(
            "manual",
            ledger.manual_reference(membership.id, membership.version),
            ledger.transfer(ledger.revenue("membership"), ledger.clearing("manual"), paid),
            at=now,
            memo=f"{key} {ref or ''}".strip(),
        )
        await ctx.uow.audit.record(
            "payment.manual",
            at=now,
            actor_id=ctx.member.id,
            subject_id=subject.id,
            detail={"tier": key, "amount": paid.minor, "currency": paid.currency, "ref": ref or ""},
        )
    until = ctx.translator.datetime(ends_at, "yyyy-MM-dd") if ends_at else ctx._("for life")
    booked = f" · {format_money(paid, ctx.translator.locale)}" if paid else ""
    return [
        ctx.reply(
            ctx._(
                "{member} now holds {tier} ({until}){paid}.",
                member=subject.display_name,
                tier=tier.name,
                until=until,
                paid=booked,
            )
        )
    ]


async def revoke(ctx: Context, args: Args) -> list[Effect]:
    subject = args.member("member")
    assert subject is not None  # required param, resolved by the dispatcher
    reason = args.text("reason") or "revoked by hand"
    held = [m for m in await ctx.uow.memberships.of_member(subject.id) if m.status in HOLDING]
    if not held:
        raise Refuse(ctx._("{member} holds no membership.", member=subject.display_name))
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
    tier, status = args.tier("tier"), args.choice("status")
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
    who = Param(N_("member"), N_("Who: @name or #member-id"), kind=ParamKind.MEMBER)
    registry.register(
        CommandSpec(
            name="grant",
            description=N_("Give a member a tier by hand (after a transfer, as a gift)"),
            handler=grant,
            params=(
                who,
                Param(N_("tier"), N_("The tier to give"), kind=ParamKind.TIER),
                Param(
                    N_("duration"),
                    N_("How long: 30d, 2w, 1y or lifetime (default: the tier's period)"),
                    kind=ParamKind.DURATION,
                    required=False,
                ),
                Param(
                    N_("paid"),
                    N_("What they paid you outside the bot, booked as income: 300 cny"),
                    kind=ParamKind.MONEY,
                    keyword=True,
                    required=False,
                    any_currency=True,
                    example="300cny",
                ),
                Param(
                    N_("ref"),
                    N_("The transfer's reference, kept with the payment"),
                    keyword=True,
                    required=False,
                    example="TX-7",
                ),
                Param(
                    N_("reason"),
                    N_("Why, for the audit log"),
                    keyword=True,
                    required=False,
                    rest=True,
                    example="paid by bank transfer",
                ),
            ),
            level=Level.MOD,
            ephemeral=True,
            examples=(
                "/grant @grace pro",
                "/grant @grace member 90d paid:300cny ref:TX-7 reason:WeChat Pay",
                "/grant #12 pro lifetime reason:speaker at our meetup",
            ),
        )
    )
    registry.register(
        CommandSpec(
            name="revoke",
            description=N_("Take a member's tiers away now"),
            handler=revoke,
            params=(
                who,
                Param(N_("reason"), N_("Why, for the audit log"), required=False, rest=True),
            ),
            level=Level.MOD,
            ephemeral=True,
            examples=("/revoke @mallory shared the invite link",),
        )
    )
    registry.register(
        CommandSpec(
            name="members",
            description=N_("List members by tier and status"),
            handler=members,
            params=(
                Param(N_("tier"), N_("Only this tier"), kind=ParamKind.TIER, required=False),
                Param(
                    N_("status"),
                    N_("Only this status"),
                    kind=ParamKind.CHOICE,
                    choices=tuple(STATUSES),
                    keyword=True,
                    required=False,
                ),
            ),
            level=Level.MOD,
            ephemeral=True,
            examples=("/members", "/members pro status:grace"),
        )
    )

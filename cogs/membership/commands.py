"""/join and /membership: buy a tier, and see what you hold."""

from __future__ import annotations

from bot.config import Tier
from bot.core.commands import Args, CommandSpec, Param, Registry
from bot.core.context import Context
from bot.core.effects import Button, Effect, Invoice, Reply
from bot.core.events import Platform
from bot.core.i18n import N_
from cogs.membership.service import holds_access
from payments.money import Money, format_money
from payments.purposes import Purpose

INTERVALS = {"month": N_("per month"), "year": N_("per year"), "lifetime": N_("once, for life")}
STATUSES = {
    "trialing": N_("free trial"),
    "active": N_("active"),
    "grace": N_("payment due"),
    "cancelled": N_("cancelled, runs to its end"),
    "expired": N_("expired"),
    "revoked": N_("revoked"),
}


async def suggest_tiers(ctx: Context, typed: str) -> list[str]:
    return [key for key in ctx.settings.tiers if key.startswith(typed.lower())]


async def join(ctx: Context, args: Args) -> list[Effect]:
    tiers = ctx.settings.tiers
    if not tiers:
        return [ctx.reply(ctx._("This community sells no memberships yet."))]
    wanted = (args.text("tier") or "").lower()
    if not wanted:
        lines = [ctx._("Membership tiers:")]
        lines += [f"• {key}: {_offer(ctx, tier)}" for key, tier in tiers.items()]
        lines.append(ctx._("Join one with /join <tier>."))
        return [ctx.reply("\n".join(lines))]
    tier = tiers.get(wanted)
    if tier is None:
        return [
            ctx.reply(
                ctx._(
                    "There is no tier “{tier}”. Choose one of: {tiers}.",
                    tier=wanted[:32],
                    tiers=", ".join(tiers),
                )
            )
        ]
    held = await ctx.uow.memberships.get(ctx.member.id, wanted)
    if held is not None and holds_access(held, ctx.clock.now()):
        until = ctx.translator.datetime(held.ends_at, "yyyy-MM-dd") if held.ends_at else None
        text = (
            ctx._("You already hold {tier}, until {date}.", tier=tier.name, date=until)
            if until
            else ctx._("You already hold {tier}.", tier=tier.name)
        )
        return [ctx.reply(text)]
    if ctx.payments is None:
        return [ctx.reply(ctx._("Payments are not set up here. Ask a moderator."))]
    return await _checkout(ctx, wanted, tier)


async def _checkout(ctx: Context, key: str, tier: Tier) -> list[Effect]:
    assert ctx.payments is not None
    providers = ctx.payments.providers
    purpose = Purpose("membership", key)
    if ctx.event.actor.platform is Platform.TELEGRAM and tier.stars_price and "stars" in providers:
        started = await ctx.payments.start_checkout(
            ctx.uow,
            member_id=ctx.member.id,
            purpose=purpose,
            amount=Money(tier.stars_price, "xtr"),
            title=tier.name,
            provider="stars",
        )
        invoice = started.checkout.invoice
        assert invoice is not None
        return [Invoice(tier.name, _offer(ctx, tier), invoice.payload, tier.stars_price)]
    provider = "stripe" if "stripe" in providers else "sandbox"
    recurring = provider == "stripe" and tier.interval != "lifetime"
    price = tier.price_money(ctx.settings.community.currency)
    started = await ctx.payments.start_checkout(
        ctx.uow,
        member_id=ctx.member.id,
        purpose=purpose,
        amount=price,
        title=tier.name,
        provider=provider,
        interval=tier.interval if recurring and tier.interval != "lifetime" else None,
        trial_days=tier.trial_days if recurring else 0,
    )
    pay = ctx._("Pay {price}", price=format_money(price, ctx.translator.locale))
    text = ctx._("{offer}. Pay here; your access follows within seconds.", offer=_offer(ctx, tier))
    return [Reply(text, ephemeral=True, buttons=(Button(pay, url=started.checkout.url or ""),))]


def _offer(ctx: Context, tier: Tier) -> str:
    price = format_money(tier.price_money(ctx.settings.community.currency), ctx.translator.locale)
    offer = f"{tier.name} — {price} {ctx._(INTERVALS[tier.interval])}"
    if tier.trial_days:
        offer += " · " + ctx._("{days}-day free trial", days=tier.trial_days)
    return offer


async def membership(ctx: Context, _args: Args) -> list[Effect]:
    held = await ctx.uow.memberships.of_member(ctx.member.id)
    if not held:
        return [ctx.reply(ctx._("You hold no membership. See the tiers with /join."))]
    lines: list[str] = []
    for m in held:
        name = ctx.settings.tiers[m.tier].name if m.tier in ctx.settings.tiers else m.tier
        line = f"{name}: {ctx._(STATUSES.get(m.status, m.status))}"
        end = m.grace_until if m.status == "grace" else m.ends_at
        if end is not None and m.status not in ("expired", "revoked"):
            line += " · " + ctx._("until {date}", date=ctx.translator.datetime(end, "yyyy-MM-dd"))
        lines.append(line)
    return [ctx.reply("\n".join(lines))]


def register(registry: Registry) -> None:
    registry.register(
        CommandSpec(
            name="join",
            description=N_("See the membership tiers, or join one"),
            handler=join,
            params=(Param("tier", N_("The tier to join"), required=False, suggest=suggest_tiers),),
            ephemeral=True,
        )
    )
    registry.register(
        CommandSpec(
            name="membership",
            description=N_("Your membership: tier, status and end date"),
            handler=membership,
            ephemeral=True,
        )
    )

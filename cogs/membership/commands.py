"""/join and /membership: buy a tier, and see what you hold."""

from __future__ import annotations

from bot.config import Tier
from bot.core.commands import Args, CommandSpec, Param, Registry
from bot.core.context import Context
from bot.core.effects import Button, Effect, Invoice, Reply
from bot.core.events import Platform
from bot.core.i18n import N_
from cogs.checkout import card_provider, pay_reply
from cogs.membership.service import HOLDING, holds_access
from payments.money import Money, format_money
from payments.purposes import Purpose
from storage.models import Membership

INTERVALS = {"month": N_("per month"), "year": N_("per year"), "lifetime": N_("once, for life")}
STATUSES = {
    "trialing": N_("free trial"),
    "active": N_("active"),
    "grace": N_("payment due"),
    "cancelled": N_("cancelled, runs to its end"),
    "expired": N_("expired"),
    "revoked": N_("revoked"),
    "switched": N_("switched to another tier"),
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
    switching = [
        ctx.settings.tiers[m.tier].name if m.tier in ctx.settings.tiers else m.tier
        for m in await ctx.uow.memberships.of_member(ctx.member.id)
        if m.source == "payment" and holds_access(m, ctx.clock.now())
    ]
    return await _checkout(ctx, wanted, tier, switching)


async def _checkout(ctx: Context, key: str, tier: Tier, switching: list[str]) -> list[Effect]:
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
        offer = Invoice(tier.name, _offer(ctx, tier), invoice.payload, tier.stars_price)
        return [ctx.reply(_switch_notice(ctx, switching)), offer] if switching else [offer]
    provider = card_provider(providers)
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
    text = ctx._("{offer}. Pay here; your access follows within seconds.", offer=_offer(ctx, tier))
    if switching:
        text += "\n" + _switch_notice(ctx, switching)
    return [pay_reply(ctx, text, price, started.checkout.url)]


def _switch_notice(ctx: Context, switching: list[str]) -> str:
    return ctx._(
        "Paying switches you from {tiers}: it stops renewing, and its unused days are refunded.",
        tiers=", ".join(switching),
    )


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
    buttons: list[Button] = []
    for m in held:
        name = ctx.settings.tiers[m.tier].name if m.tier in ctx.settings.tiers else m.tier
        line = f"{name}: {ctx._(STATUSES.get(m.status, m.status))}"
        end = m.grace_until if m.status == "grace" else m.ends_at
        if end is not None and m.status in HOLDING:
            line += " · " + ctx._("until {date}", date=ctx.translator.datetime(end, "yyyy-MM-dd"))
        lines.append(line)
        if m.status in HOLDING and (link := await _manage_link(ctx, m)):
            buttons.append(Button(ctx._("Manage {tier}", tier=name), url=link))
    if buttons:
        lines.append(ctx._("Cancel or change your card on the provider's page."))
    return [Reply("\n".join(lines), ephemeral=True, buttons=tuple(buttons))]


async def _manage_link(ctx: Context, membership: Membership) -> str | None:
    """The provider's own page for a paid subscription (Stripe's billing portal)."""
    if ctx.payments is None or membership.payment_id is None:
        return None
    payment = await ctx.uow.payments.get(membership.payment_id)
    if payment is None or not payment.subscription_ref:
        return None
    provider = ctx.payments.providers.get(payment.provider)
    return await provider.portal_link(payment) if provider else None


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

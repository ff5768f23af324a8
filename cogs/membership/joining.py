"""/join and /membership: buy a tier, and see what you hold."""

from __future__ import annotations

from functools import partial

from bot.config import Tier
from bot.core.commands import Args, CommandSpec, Param, ParamKind, Refuse
from bot.core.context import Context
from bot.core.effects import Button, Effect, Reply
from bot.core.i18n import N_
from bot.core.money import Money, format_money
from bot.core.registry import Registry
from cogs.checkout import choose_provider, offer
from cogs.membership.service import HOLDING, INTERVALS, holds_access
from payments.purposes import Purpose
from payments.service import PaymentService
from storage.models import Membership

STATUSES = {
    "trialing": N_("free trial"),
    "active": N_("active"),
    "grace": N_("payment due"),
    "cancelled": N_("cancelled, runs to its end"),
    "expired": N_("expired"),
    "revoked": N_("revoked"),
    "switched": N_("switched to another tier"),
}


async def join(payments: PaymentService, ctx: Context, args: Args) -> list[Effect]:
    tiers = ctx.settings.tiers
    if not tiers:
        raise Refuse(ctx._("This community sells no memberships yet."))
    wanted = args.tier("tier")
    if wanted is None:
        lines = [ctx._("Membership tiers:")]
        lines += [f"• {key}: {_offer(ctx, tier)}" for key, tier in tiers.items()]
        lines.append(ctx._("Join one with /join <tier>."))
        buttons = tuple(Button(key, command=f"/join {key}") for key in tiers)
        return [Reply("\n".join(lines), ephemeral=True, buttons=buttons)]
    tier = tiers[wanted]
    held = await ctx.uow.memberships.get(ctx.member.id, wanted)
    if held is not None and holds_access(held, ctx.clock.now()):
        until = ctx.translator.datetime(held.ends_at, "yyyy-MM-dd") if held.ends_at else None
        raise Refuse(
            ctx._("You already hold {tier}, until {date}.", tier=tier.name, date=until)
            if until
            else ctx._("You already hold {tier}.", tier=tier.name)
        )
    switching = [
        ctx.settings.tiers[m.tier].name if m.tier in ctx.settings.tiers else m.tier
        for m in await ctx.uow.memberships.of_member(ctx.member.id)
        if m.source == "payment" and holds_access(m, ctx.clock.now())
    ]
    return await _checkout(payments, ctx, wanted, tier, switching)


async def _checkout(
    payments: PaymentService, ctx: Context, key: str, tier: Tier, switching: list[str]
) -> list[Effect]:
    """Stars inside Telegram when the tier has a Stars price; else a card checkout, recurring
    on Stripe for monthly and yearly tiers."""
    stars = Money(tier.stars_price, "xtr") if tier.stars_price else None
    provider, amount = choose_provider(
        payments, ctx, tier.price_money(ctx.settings.community.currency), stars
    )
    # Cards renew (Stripe, and the sandbox that plays it); Stars are paid period by period.
    interval = tier.interval if provider != "stars" and tier.interval != "lifetime" else None
    started = await payments.start_checkout(
        ctx.uow,
        member_id=ctx.member.id,
        purpose=Purpose("membership", key),
        amount=amount,
        title=tier.name,
        provider=provider,
        interval=interval,
        trial_days=tier.trial_days if interval else 0,
    )
    if started.checkout.invoice is not None:
        invoice = offer(ctx, tier.name, _offer(ctx, tier), started)
        return [ctx.reply(_switch_notice(ctx, switching)), invoice] if switching else [invoice]
    text = ctx._("{offer}. Pay here; your access follows within seconds.", offer=_offer(ctx, tier))
    if switching:
        text += "\n" + _switch_notice(ctx, switching)
    return [offer(ctx, tier.name, text, started)]


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


async def membership(payments: PaymentService, ctx: Context, _args: Args) -> list[Effect]:
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
        if m.status in HOLDING and (link := await _manage_link(payments, ctx, m)):
            buttons.append(Button(ctx._("Manage {tier}", tier=name), url=link))
    if buttons:
        lines.append(ctx._("Cancel or change your card on the provider's page."))
    return [Reply("\n".join(lines), ephemeral=True, buttons=tuple(buttons))]


async def _manage_link(
    payments: PaymentService, ctx: Context, membership: Membership
) -> str | None:
    """The provider's own page for a paid subscription (Stripe's billing portal)."""
    if membership.payment_id is None:
        return None
    payment = await ctx.uow.payments.get(membership.payment_id)
    if payment is None or not payment.subscription_ref:
        return None
    provider = payments.providers.get(payment.provider)
    return await provider.portal_link(payment) if provider else None


def register(registry: Registry, payments: PaymentService) -> None:
    registry.register(
        CommandSpec(
            name="join",
            description=N_("See the membership tiers, or join one"),
            handler=partial(join, payments),
            params=(
                Param(N_("tier"), N_("The tier to join"), kind=ParamKind.TIER, required=False),
            ),
            examples=("/join", "/join member"),
            ephemeral=True,
        )
    )
    registry.register(
        CommandSpec(
            name="membership",
            description=N_("Your membership: tier, status and end date"),
            handler=partial(membership, payments),
            ephemeral=True,
        )
    )

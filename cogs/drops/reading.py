"""Members and drops: the recent ones (in full where they may read them, else the teaser),
buying one, and choosing to get new ones by private message."""

from __future__ import annotations

from datetime import datetime

from bot.core.commands import Args, CommandSpec, Param, ParamKind
from bot.core.context import Context
from bot.core.effects import Effect
from bot.core.i18n import N_
from bot.core.money import format_money
from bot.core.permissions import Level
from bot.core.registry import Registry
from cogs.checkout import choose_provider, in_stars, offer
from cogs.drops import service as drops
from cogs.drops.purpose import AWAITING_PAYMENT, PAID, PURPOSE
from cogs.drops.rendering import full_text, label, teaser_text
from cogs.membership.service import holds_access
from payments.purposes import Purpose
from payments.service import PaymentService
from storage.models import Drop, DropPurchase
from storage.uow import UnitOfWork

RECENT = 5


async def may_read(ctx: Context, drop: Drop) -> bool:
    """Its tiers' members, its author, moderators, and whoever bought it."""
    if drop.author_id == ctx.member.id or ctx.level >= Level.MOD:
        return True
    if await _holds_tier(ctx.uow, ctx.member.id, drop.tiers, ctx.clock.now()):
        return True
    purchase = await ctx.uow.drops.purchase_of(drop.id, ctx.member.id)
    return purchase is not None and purchase.status == PAID


async def _holds_tier(uow: UnitOfWork, member_id: int, tiers: list[str], now: datetime) -> bool:
    return any(
        m.tier in tiers and holds_access(m, now) for m in await uow.memberships.of_member(member_id)
    )


async def recent(ctx: Context, args: Args) -> list[Effect]:
    published = await ctx.uow.drops.listing(statuses=(drops.PUBLISHED,), limit=RECENT)
    if not published:
        return [ctx.reply(ctx._("No drops yet."))]
    shown = [
        full_text(d, ctx.translator.locale)
        if await may_read(ctx, d)
        else teaser_text(d, ctx.settings, ctx.translator.locale)
        for d in published
    ]
    return [ctx.reply("\n\n———\n\n".join(shown))]


async def buy(payments: PaymentService, ctx: Context, drop_id: int) -> list[Effect]:
    """`/unlock D7`: the drop at once if it is readable already, else its checkout."""
    found = await ctx.uow.drops.get(drop_id)
    if found is None or found.status != drops.PUBLISHED:
        return [ctx.reply(ctx._("There is no drop {label}.", label=label(drop_id)))]
    if await may_read(ctx, found):
        return [ctx.reply(full_text(found, ctx.translator.locale))]
    price = drops.price_of(found)
    if price is None:
        return [
            ctx.reply(ctx._("Drop {label} is for members only: see /join.", label=label(drop_id)))
        ]
    purchase = await ctx.uow.drops.purchase_of(found.id, ctx.member.id)
    if purchase is None:
        purchase = await ctx.uow.drops.add_purchase(
            DropPurchase(
                drop_id=found.id,
                member_id=ctx.member.id,
                status=AWAITING_PAYMENT,
                created_at=ctx.clock.now(),
            )
        )
    provider, charged = choose_provider(payments, ctx, price, in_stars(ctx.settings, price))
    started = await payments.start_checkout(
        ctx.uow,
        member_id=ctx.member.id,
        purpose=Purpose(PURPOSE, str(purchase.id)),
        amount=charged,
        title=found.title[:60],
        provider=provider,
    )
    purchase.payment_id = started.payment.id
    said = ctx._(
        "Unlock drop {label} for {price}; it comes to you in a private message once paid.",
        label=label(found.id),
        price=format_money(charged, ctx.translator.locale),
    )
    return [offer(ctx, found.title, said, started)]


async def notify(ctx: Context, args: Args) -> list[Effect]:
    enabled = args.choice("choice") == "on"
    await drops.set_notice(ctx.uow, ctx.member.id, enabled, ctx.clock.now())
    if enabled:
        return [ctx.reply(ctx._("New drops of your tiers will come to you by private message."))]
    return [ctx.reply(ctx._("No more private messages about new drops."))]


def register(registry: Registry) -> None:
    registry.register(
        CommandSpec(
            name="drops",
            description=N_("The latest drops: in full where your tier reads them"),
            handler=recent,
            ephemeral=True,
        )
    )
    registry.register(
        CommandSpec(
            name="notify",
            description=N_("Get new drops of your tiers by private message, or stop"),
            handler=notify,
            params=(
                Param(N_("choice"), N_("on or off"), kind=ParamKind.CHOICE, choices=("on", "off")),
            ),
            examples=("/notify on", "/notify off"),
            ephemeral=True,
        )
    )

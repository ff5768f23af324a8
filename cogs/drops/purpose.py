"""One-off drop purchases: the money is revenue:drops; the buyer gets the drop by private
message at once, and a refund takes the purchase back."""

from __future__ import annotations

from bot.core.effects import NotifyMember
from bot.core.i18n import N_, Translator
from bot.core.identity import speaker
from bot.core.money import Money
from cogs.drops.rendering import full_text
from cogs.drops.service import content_ref
from cogs.engagement.service import platform_of, record
from payments import ledger
from payments.purposes import PaidOnce, Purpose, PurposeContext
from storage.interaction_recorder import InteractionRecorder
from storage.models import DropPurchase, Payment

AWAITING_PAYMENT, PAID, REFUNDED = "awaiting_payment", "paid", "refunded"
# The purpose kind, and the ledger's name for drop money (revenue:drops, refunds:drops).
PURPOSE = "drops"


class DropPurpose(PaidOnce):
    """`drops:<purchase id>`."""

    kind = PURPOSE

    def __init__(self, interactions: InteractionRecorder) -> None:
        self._interactions = interactions

    def income_account(self, purpose: Purpose) -> str:
        return ledger.revenue(PURPOSE)

    async def still_for_sale(self, ctx: PurposeContext, purpose: Purpose, amount: Money) -> bool:
        purchase = await ctx.uow.drops.purchase(int(purpose.ref))
        return purchase is not None and purchase.status == AWAITING_PAYMENT

    async def title(self, ctx: PurposeContext, purpose: Purpose, speak: Translator) -> str:
        purchase = await ctx.uow.drops.purchase(int(purpose.ref))
        drop = await ctx.uow.drops.get(purchase.drop_id) if purchase else None
        return speak.gettext(N_("Drop: {title}"), title=drop.title if drop else purpose.ref)

    async def paid(self, ctx: PurposeContext, payment: Payment) -> None:
        purchase = await _purchase(ctx, payment)
        if purchase is None or purchase.status != AWAITING_PAYMENT:
            return
        drop = await ctx.uow.drops.get(purchase.drop_id)
        if drop is None:
            return
        now = ctx.clock.now()
        purchase.status, purchase.paid_at = PAID, now
        speak = await speaker(ctx.uow, ctx.settings, purchase.member_id)
        file = await ctx.uow.drops.file_of(drop.id)
        await ctx.promise(
            NotifyMember(
                purchase.member_id,
                full_text(drop, speak.locale),
                file_id=file.id if file is not None else None,
            ),
            key=f"drop-bought:{purchase.id}",
        )
        content = await ctx.uow.contents.by_ref(content_ref(drop.id))
        if content is not None:
            await record(
                self._interactions,
                content,
                member_id=purchase.member_id,
                kind="unlock",
                platform=await platform_of(ctx.uow, purchase.member_id),
                at=now,
            )

    async def refunded(self, ctx: PurposeContext, payment: Payment, amount: Money) -> None:
        purchase = await _purchase(ctx, payment)
        if purchase is not None and payment.refunded_minor >= payment.amount_minor:
            purchase.status = REFUNDED

    async def disputed(self, ctx: PurposeContext, payment: Payment) -> None:
        purchase = await _purchase(ctx, payment)
        if purchase is not None:
            purchase.status = REFUNDED


async def _purchase(ctx: PurposeContext, payment: Payment) -> DropPurchase | None:
    return await ctx.uow.drops.purchase(int(Purpose.parse(payment.purpose).ref))

"""The sandbox checkout page: Pay or Cancel, and the same payment events a real provider sends.
It says on the page that no real money moves."""

from __future__ import annotations

import html
from collections.abc import Callable

from aiohttp import web

from bot.core.clock import Clock
from bot.core.i18n import N_, Translator
from bot.core.money import Money, format_money
from payments.events import PaymentEvent, PaymentEventKind
from payments.service import PaymentService
from storage.uow import UnitOfWorkFactory

_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 28rem; margin: 3rem auto; padding: 0 1rem; }}
.sandbox {{ background: #fff3cd; border: 1px solid #e0b100; padding: .6rem; border-radius: .4rem; }}
.amount {{ font-size: 2rem; margin: 1rem 0; }}
button {{ font-size: 1rem; padding: .6rem 1.2rem; margin-right: .6rem; }}
</style></head><body>
<p class="sandbox"><strong>{banner}</strong></p>
<h1>{title}</h1>
<p class="amount">{amount}</p>
{body}
</body></html>"""


class SandboxCheckoutPage:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        service: PaymentService,
        clock: Clock,
        default_locale: str,
        on_processed: Callable[[], None] | None = None,
    ) -> None:
        self._uow = uow
        self._service = service
        self._clock = clock
        self._default_locale = default_locale
        self._on_processed = on_processed

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/sandbox/checkout/{token}", self.show),
            web.post("/sandbox/checkout/{token}", self.answer),
        ]

    async def show(self, request: web.Request) -> web.Response:
        return await self._render(request, answered=None)

    async def answer(self, request: web.Request) -> web.Response:
        form = await request.post()
        action = form.get("action")
        if action not in ("pay", "cancel"):
            raise web.HTTPBadRequest(text="action must be pay or cancel")
        reference = _reference(request)
        kind = PaymentEventKind.PAID if action == "pay" else PaymentEventKind.EXPIRED
        async with self._uow() as uow:
            payment = await uow.payments.by_checkout(reference)
            if payment is None:
                raise web.HTTPNotFound(text="no such checkout")
            if payment.status == "pending":
                event = PaymentEvent(
                    provider="sandbox",
                    kind=kind,
                    event_id=f"{reference}:{action}",
                    occurred_at=self._clock.now(),
                    payment_id=payment.id,
                    amount=Money(payment.amount_minor, payment.currency),
                )
                await self._service.apply(uow, event)
        if self._on_processed is not None:
            self._on_processed()
        return await self._render(request, answered=str(action))

    async def _render(self, request: web.Request, *, answered: str | None) -> web.Response:
        async with self._uow() as uow:
            payment = await uow.payments.by_checkout(_reference(request))
            if payment is None:
                raise web.HTTPNotFound(text="no such checkout")
            member = await uow.members.get(payment.member_id)
        locale = (member.locale if member else None) or self._default_locale
        speak = Translator(locale)
        if payment.status != "pending" or answered:
            message = (
                N_("Paid. You can close this page: the bot has your payment.")
                if payment.paid_at is not None
                else N_("This checkout is closed. Nothing was charged.")
            )
            body = f"<p>{html.escape(speak.gettext(message))}</p>"
        else:
            pay = html.escape(speak.gettext(N_("Pay")))
            cancel = html.escape(speak.gettext(N_("Cancel")))
            body = (
                '<form method="post">'
                f'<button name="action" value="pay">{pay}</button>'
                f'<button name="action" value="cancel">{cancel}</button>'
                "</form>"
            )
        page = _PAGE.format(
            lang=locale.replace("_", "-"),
            title=html.escape(payment.purpose),
            banner=html.escape(speak.gettext(N_("Sandbox: no real money is charged here."))),
            amount=html.escape(format_money(Money(payment.amount_minor, payment.currency), locale)),
            body=body,
        )
        return web.Response(text=page, content_type="text/html")


def _reference(request: web.Request) -> str:
    return f"sandbox_{request.match_info['token']}"

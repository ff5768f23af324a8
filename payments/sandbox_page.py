"""The sandbox checkout page: what is bought, from whom, for how much and how often, then Pay
or Cancel, and the same payment events a real provider sends. Once a subscription is paid the
page goes on as its billing page (as Stripe's portal does): cancel or resume it, make the next
renewal fail, retry a declined one, and move the sandbox clock. It says on the page that no
real money moves."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web

from bot.config import Settings
from bot.core.clock import Clock
from bot.core.i18n import N_, Translator
from bot.core.identity import speaker
from bot.core.money import Money, format_money
from payments.events import PaymentEvent, PaymentEventKind
from payments.providers.sandbox import REFERENCE_PREFIX
from payments.purposes import Purpose
from payments.sandbox_billing import SandboxBilling, SubscriptionView
from payments.service import PaymentService
from storage.models import Payment
from storage.uow import UnitOfWork, UnitOfWorkFactory

# How far one press moves the sandbox clock.
CLOCK_STEPS = (1, 7, 30)

_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · {community}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 30rem; margin: 3rem auto; padding: 0 1rem; }}
.sandbox {{ background: #fff3cd; border: 1px solid #e0b100; padding: .6rem; border-radius: .4rem; }}
.community {{ color: #555; margin-bottom: 0; }}
h1 {{ margin-top: .2rem; }}
.amount {{ font-size: 2rem; margin: 1rem 0 .4rem; }}
button {{ font-size: 1rem; padding: .6rem 1.2rem; margin: .3rem .6rem .3rem 0; }}
section {{ border-top: 1px solid #ddd; margin-top: 1.2rem; padding-top: .6rem; }}
</style></head><body>
<p class="sandbox" id="banner"><strong>{banner}</strong></p>
<p class="community" id="community">{community}</p>
<h1 id="title">{title}</h1>
<p class="amount" id="amount">{amount}</p>
{body}
</body></html>"""

_PERIODS = {"month": N_("per month"), "year": N_("per year")}
_STATUSES = {
    "trialing": N_("Free trial until {date}. The first charge, {amount}, is made then."),
    "active": N_("Active. Renews on {date} for {amount}."),
    "past_due": N_(
        "The renewal on {date} was declined. Retry it, or access ends after the grace period."
    ),
    "cancelling": N_("Cancelled: access runs until {date}, and it will not renew."),
    "ended": N_("This subscription has ended."),
}


@dataclass(frozen=True)
class _Action:
    """One button: what it does to the subscription, or to the sandbox's time."""

    label: str
    value: str


_ACTIONS = {
    "stop-renewing": _Action(N_("Cancel at period end"), "stop-renewing"),
    "resume": _Action(N_("Resume renewing"), "resume"),
    "fail-next": _Action(N_("Make the next renewal fail"), "fail-next"),
    "succeed-next": _Action(N_("Let the next renewal succeed"), "succeed-next"),
    "retry": _Action(N_("Retry the declined payment"), "retry"),
}


class SandboxCheckoutPage:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        service: PaymentService,
        billing: SandboxBilling,
        clock: Clock,
        settings: Settings,
        advance: Callable[[timedelta], Awaitable[None]] | None = None,
        on_processed: Callable[[], None] | None = None,
    ) -> None:
        self._uow = uow
        self._service = service
        self._billing = billing
        self._clock = clock
        self._settings = settings
        # Moves the sandbox clock and bills what fell due (set where the bot runs).
        self.advance = advance
        self._on_processed = on_processed

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/sandbox/checkout/{token}", self.show),
            web.post("/sandbox/checkout/{token}", self.answer),
        ]

    async def show(self, request: web.Request) -> web.Response:
        async with self._uow() as uow:
            payment = await _payment(uow, request)
            page = await self._render(uow, payment)
        return web.Response(text=page, content_type="text/html")

    async def answer(self, request: web.Request) -> web.Response:
        form = await request.post()
        action = str(form.get("action", ""))
        if action == "advance":
            await self._advance(str(form.get("days", "")))
        elif action in ("pay", "cancel"):
            await self._settle(request, action)
        elif action in _ACTIONS:
            await self._manage(request, action)
        else:
            choices = ", ".join(["pay", "cancel", "advance", *_ACTIONS])
            raise web.HTTPBadRequest(text=f"action must be one of {choices}")
        if self._on_processed is not None:
            self._on_processed()
        # Back to the page by GET, so that reloading it repeats nothing.
        raise web.HTTPSeeOther(location=request.path)

    async def _settle(self, request: web.Request, action: str) -> None:
        async with self._uow() as uow:
            payment = await _payment(uow, request)
            if payment.status != "pending":
                return  # a double click, or a closed checkout: once is enough
            if action == "pay":
                await self._billing.pay(uow, payment)
                return
            await self._service.apply(
                uow,
                PaymentEvent(
                    provider="sandbox",
                    kind=PaymentEventKind.EXPIRED,
                    event_id=f"{payment.checkout_ref}:cancel",
                    occurred_at=self._clock.now(),
                    payment_id=payment.id,
                ),
            )

    async def _manage(self, request: web.Request, action: str) -> None:
        async with self._uow() as uow:
            payment_id = (await _payment(uow, request)).id
        match action:
            case "stop-renewing" | "resume":
                await self._billing.cancel(payment_id, at_period_end=action == "stop-renewing")
            case "fail-next" | "succeed-next":
                await self._billing.fail_next_renewal(payment_id, action == "fail-next")
            case "retry":
                await self._billing.retry(payment_id)

    async def _advance(self, days: str) -> None:
        if self.advance is None:
            raise web.HTTPConflict(text="the sandbox clock moves only where the bot runs")
        if not days.isdigit() or int(days) not in CLOCK_STEPS:
            steps = ", ".join(str(step) for step in CLOCK_STEPS)
            raise web.HTTPBadRequest(text=f"days must be one of {steps}")
        await self.advance(timedelta(days=int(days)))

    async def _render(self, uow: UnitOfWork, payment: Payment) -> str:
        speak = await speaker(uow, self._settings, payment.member_id)
        purpose = Purpose.parse(payment.purpose)
        handler = self._service.purposes.for_purpose(purpose)
        title = await handler.title(self._service.context(uow), purpose, speak)
        subscription = await self._billing.view(uow, payment)
        price = (
            subscription.amount if subscription else Money(payment.amount_minor, payment.currency)
        )
        if payment.status == "pending":
            body = _offer(speak, payment, self._clock.now())
        elif subscription is not None:
            body = self._subscription(speak, subscription)
        else:
            message = (
                N_("Paid. You can close this page: the bot has your payment.")
                if payment.paid_at is not None
                else N_("This checkout is closed. Nothing was charged.")
            )
            body = f'<p id="outcome">{_text(speak, message)}</p>'
        return _PAGE.format(
            lang=speak.locale.replace("_", "-"),
            title=html.escape(title),
            community=html.escape(self._settings.community.name),
            banner=_text(speak, N_("Sandbox: no real money is charged here.")),
            amount=html.escape(_price(speak, price, payment.interval)),
            body=body,
        )

    def _subscription(self, speak: Translator, view: SubscriptionView) -> str:
        date = speak.datetime(view.period_end, "yyyy-MM-dd") if view.period_end else ""
        amount = format_money(view.amount, speak.locale)
        status = _text(speak, _STATUSES[view.status], date=date, amount=amount)
        paid = _text(speak, N_("Paid. The bot has your payment."))
        parts = [f'<p id="outcome">{paid}</p>']
        parts.append(f'<section><p id="subscription">{status}</p>')
        if view.status != "ended":
            buttons = ["resume" if view.status == "cancelling" else "stop-renewing"]
            buttons.append("succeed-next" if view.fail_next_renewal else "fail-next")
            if view.status == "past_due":
                buttons.append("retry")
            parts.append(_form(speak, [_ACTIONS[b] for b in buttons]))
        parts.append("</section>")
        if self.advance is not None:
            now = speak.datetime(self._clock.now(), "yyyy-MM-dd HH:mm")
            clock = _text(speak, N_("Sandbox clock: {now}"), now=now)
            steps = [
                _Action(speak.ngettext("+{n} day", "+{n} days", step), str(step))
                for step in CLOCK_STEPS
            ]
            parts.append(f'<section><p id="clock">{clock}</p>{_clock_form(steps)}</section>')
        return "\n".join(parts)


def _offer(speak: Translator, payment: Payment, now: datetime) -> str:
    """What pressing Pay will do: charge now, or start a trial that charges at its end."""
    price = Money(payment.amount_minor, payment.currency)
    shown = format_money(price, speak.locale)
    if payment.interval and payment.trial_days:
        first = speak.datetime(now + timedelta(days=payment.trial_days), "yyyy-MM-dd")
        trial = speak.gettext(
            N_(
                "{days}-day free trial: nothing is charged today. The first charge, {amount}, "
                "is on {date}."
            ),
            days=payment.trial_days,
            amount=shown,
            date=first,
        )
        pay = speak.gettext(N_("Start the free trial"))
        lead = f'<p id="trial">{html.escape(trial)}</p>'
    else:
        pay = speak.gettext(N_("Pay {price}"), price=shown)
        lead = ""
    cancel = speak.gettext(N_("Cancel"))
    return (
        f'{lead}<form method="post">'
        f'<button name="action" value="pay">{html.escape(pay)}</button>'
        f'<button name="action" value="cancel">{html.escape(cancel)}</button>'
        "</form>"
    )


def _price(speak: Translator, price: Money, interval: str | None) -> str:
    shown = format_money(price, speak.locale)
    return f"{shown} {speak.gettext(_PERIODS[interval])}" if interval in _PERIODS else shown


def _form(speak: Translator, actions: list[_Action]) -> str:
    buttons = "".join(
        f'<button name="action" value="{a.value}">{_text(speak, a.label)}</button>' for a in actions
    )
    return f'<form method="post">{buttons}</form>'


def _clock_form(steps: list[_Action]) -> str:
    """The labels are translated already: one button per step of the clock."""
    buttons = "".join(
        f'<button name="days" value="{s.value}">{html.escape(s.label)}</button>' for s in steps
    )
    return (
        f'<form method="post"><input type="hidden" name="action" value="advance">{buttons}</form>'
    )


def _text(speak: Translator, message: str, **values: object) -> str:
    return html.escape(speak.gettext(message, **values))


async def _payment(uow: UnitOfWork, request: web.Request) -> Payment:
    payment = await uow.payments.by_checkout(f"{REFERENCE_PREFIX}{request.match_info['token']}")
    if payment is None:
        raise web.HTTPNotFound(text="no such checkout")
    return payment

"""Wiring payments for `knowpay run`: the provider the config names, its webhook and catch-up,
the sandbox page, the deliverer of provider calls (refunds, cancellations), and the services
the cogs are handed."""

from __future__ import annotations

from dataclasses import dataclass, field

import stripe
from aiohttp import web

from bot.config import Secrets, Settings
from bot.core.clock import Clock
from bot.core.outbox import Deliverer
from bot.errors import StartupError
from bot.web import stripe_route
from cogs import build_services
from cogs.services import Services
from payments.provider_calls import ProviderCalls
from payments.providers.base import PaymentProvider
from payments.providers.sandbox import SandboxProvider
from payments.providers.stars import StarsPayments, StarsProvider
from payments.providers.stripe import StripeProvider
from payments.providers.stripe_events import StripeEvents
from payments.sandbox_billing import SandboxBilling
from payments.sandbox_page import SandboxCheckoutPage
from payments.webhooks import StripeCatchUp, StripeWebhook
from storage.interaction_recorder import InteractionRecorder
from storage.uow import UnitOfWorkFactory


@dataclass
class WiredPayments:
    services: Services
    routes: list[web.RouteDef] = field(default_factory=list)
    deliverers: list[Deliverer] = field(default_factory=list)
    catch_up: StripeCatchUp | None = None
    # Telegram Stars, when Telegram is connected: the provider takes its refunder from it.
    stars_provider: StarsProvider | None = None
    stars: StarsPayments | None = None
    http_client: stripe.HTTPClient | None = None
    # The sandbox's billing and its page, when the sandbox takes the payments.
    sandbox: SandboxBilling | None = None
    sandbox_page: SandboxCheckoutPage | None = None

    async def close(self) -> None:
        if self.http_client is not None:
            await self.http_client.close_async()  # type: ignore[no-untyped-call]


def public_base_url(settings: Settings) -> str:
    server = settings.server
    return server.public_url or f"http://{server.host}:{server.port}"


def wire_payments(
    settings: Settings,
    secrets: Secrets,
    uow: UnitOfWorkFactory,
    clock: Clock,
    interactions: InteractionRecorder,
) -> WiredPayments:
    providers: dict[str, PaymentProvider] = {}
    client: stripe.StripeClient | None = None
    http_client: stripe.HTTPClient | None = None
    if settings.payments.provider == "stripe":
        if not secrets.stripe_api_key:
            raise StartupError('STRIPE_API_KEY: not set, and [payments] provider is "stripe"')
        if not secrets.stripe_webhook_secret:
            raise StartupError(
                "STRIPE_WEBHOOK_SECRET: not set; Stripe's events cannot be verified without it"
            )
        http_client = stripe.AIOHTTPClient()  # aiohttp, which the bot already runs on
        client = stripe.StripeClient(
            secrets.stripe_api_key,
            http_client=http_client,
            base_addresses={"api": settings.stripe.api_base} if settings.stripe.api_base else None,
            max_network_retries=2,
        )
        home = public_base_url(settings)
        providers["stripe"] = StripeProvider(
            client,
            success_url=settings.stripe.success_url or f"{home}/paid",
            cancel_url=settings.stripe.cancel_url or f"{home}/cancelled",
        )
    else:
        providers["sandbox"] = SandboxProvider(public_base_url(settings))
    stars_provider = StarsProvider() if secrets.telegram_token else None
    if stars_provider is not None:
        providers["stars"] = stars_provider
    services = build_services(
        settings=settings, clock=clock, providers=providers, interactions=interactions
    )
    service = services.payments
    wired = WiredPayments(services, deliverers=[ProviderCalls(uow, service, clock)])
    wired.http_client = http_client
    if stars_provider is not None:
        wired.stars_provider = stars_provider
        wired.stars = StarsPayments(uow, service, clock)
    if client is not None and secrets.stripe_webhook_secret:
        webhook = StripeWebhook(
            uow=uow,
            service=service,
            events=StripeEvents(client),
            secret=secrets.stripe_webhook_secret,
            clock=clock,
        )
        wired.routes.append(stripe_route(webhook))
        wired.catch_up = StripeCatchUp(client, webhook, clock)
    if isinstance(sandbox := providers.get("sandbox"), SandboxProvider):
        sandbox.billing = wired.sandbox = SandboxBilling(uow, service, clock)
        wired.sandbox_page = SandboxCheckoutPage(
            uow=uow,
            service=service,
            billing=wired.sandbox,
            clock=clock,
            settings=settings,
        )
        wired.routes.extend(wired.sandbox_page.routes())
    return wired

"""What the Discord journeys share: real discord.py against the fake Discord, real
stripe-python against the fake Stripe (which signs and posts its webhooks to the bot's own
/webhooks/stripe), and the real outbox delivering through the Discord deliverer."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.discord.access import DiscordAccess
from bot.adapters.discord.adapter import DiscordAdapter
from bot.adapters.discord.delivery import DiscordDeliverer
from bot.config import Settings
from bot.core.clock import FakeClock
from bot.core.delivery import OutboxWorker
from bot.core.dispatcher import Dispatcher
from bot.core.events import MemberChange, MembershipChanged
from bot.core.listening import EventContext
from bot.web import WebServer, build_web_app, stripe_route
from cogs import build_registry
from cogs.membership.reconcile import Reconciler
from payments.provider_calls import ProviderCalls
from payments.providers.stripe import StripeProvider
from payments.providers.stripe_events import StripeEvents
from payments.webhooks import StripeWebhook
from storage.models import Payment
from storage.uow import UnitOfWorkFactory
from tests.adapters.conftest import Seen
from tests.conftest import make_settings, wire
from tests.fakes.discord import FakeDiscord, InteractionResult
from tests.fakes.stripe import FakeStripe, connect


@dataclass
class Journey:
    discord: FakeDiscord
    stripe: FakeStripe
    uow: UnitOfWorkFactory
    clock: FakeClock
    settings: Settings
    worker: OutboxWorker
    reconciler: Reconciler
    arrivals: Seen  # people joining the server, once the cogs have handled it

    async def deliver_promises(self) -> None:
        while await self.worker.run_once():
            pass

    async def pay(self, user_id: int, tier: str, *, times: int = 1) -> Payment:
        """/join TIER, pay on (fake) Stripe's page; the webhooks arrive `times` times."""
        result = await self.discord.invoke_slash(user_id, "join", {"tier": tier}, timeout=10)
        return await self.checkout(result, times=times)

    async def checkout(self, offer: InteractionResult, *, times: int = 1) -> Payment:
        """Press the Pay button of `offer` and pay on (fake) Stripe's page; the webhooks
        arrive `times` times, then what the payment promised is delivered."""
        assert offer.ephemeral
        [row] = offer.components
        [button] = row["components"]
        assert button["label"].startswith("Pay $")
        session_id = re.sub(r".*/", "", button["url"])
        events = await self.stripe.complete_checkout(session_id)
        for event in events * (times - 1):
            await self.stripe.deliver(event)
        await self.stripe.drain()
        await self.deliver_promises()
        async with self.uow() as unit:
            payment = await unit.payments.by_checkout(session_id)
            assert payment is not None
            return payment

    def last_message(self, containing: str) -> str:
        """The newest message the bot sent (DMs included) with `containing` in it."""
        sent = [m["content"] for ms in self.discord.messages.values() for m in ms]
        return next(text for text in reversed(sent) if containing in text)


@contextlib.asynccontextmanager
async def start_journey(
    fake_discord: FakeDiscord,
    memory_engine: AsyncEngine,
    uow: UnitOfWorkFactory,
    settings: Settings,
    clock: FakeClock,
) -> AsyncIterator[Journey]:
    """The bot on `clock`, the clock `fake_discord` stamps with; the fake Stripe bills by it."""
    fake_stripe = FakeStripe(clock=clock)
    await fake_stripe.start()
    async with connect(fake_stripe, retries=1) as client:
        provider = StripeProvider(client, success_url="https://x/ok", cancel_url="https://x/no")
        services = wire(uow, clock, settings, providers={"stripe": provider})
        service = services.payments
        webhook = StripeWebhook(
            uow=uow,
            service=service,
            events=StripeEvents(client),
            secret=FakeStripe.WEBHOOK_SECRET,
            clock=clock,  # signatures are checked against real time by stripe itself
        )
        server = WebServer(build_web_app(memory_engine, [stripe_route(webhook)]))
        port = await server.start("127.0.0.1", 0)
        fake_stripe.webhook_url = f"http://127.0.0.1:{port}/webhooks/stripe"
        arrivals = Seen()

        async def arrived(ctx: EventContext, event: MembershipChanged) -> None:
            if event.change is MemberChange.JOINED:
                await arrivals.record(ctx, event)

        registry = build_registry(services)
        registry.listen(MembershipChanged, arrived)  # after the cogs' own listeners
        dispatcher = Dispatcher(registry=registry, uow=uow, clock=clock, settings=settings)
        adapter = DiscordAdapter(dispatcher, settings, FakeDiscord.TOKEN)
        running = asyncio.create_task(adapter.run())
        await fake_discord.wait_until_ready()
        guild = fake_discord.guild_id
        worker = OutboxWorker(
            uow,
            {
                "discord": DiscordDeliverer(adapter.gateway, guild),
                "payments": ProviderCalls(uow, service, clock),
            },
            clock,
        )
        access = DiscordAccess(adapter.client, adapter.gateway, guild)
        yield Journey(
            fake_discord,
            fake_stripe,
            uow,
            clock,
            settings,
            worker,
            Reconciler(uow, settings, clock, [access]),
            arrivals,
        )
        await adapter.stop()
        await asyncio.wait_for(running, timeout=10)
        await server.stop()
    await fake_stripe.stop()
    assert fake_stripe.crashes == []


def drops_settings(fake: FakeDiscord, tier_channel: str = "members") -> Settings:
    """A "member" tier whose drops go to `tier_channel`, teasers to the public "drops"
    channel, creators and moderators by their roles."""
    return make_settings(
        discord=fake.config(
            drops_channel_id=fake.channels["drops"],
            mod_role_ids=[fake.roles["mod"]],
            creator_role_ids=[fake.roles["creator"]],
        ),
        tiers={
            "member": {
                "name": "Member",
                "price": "9.00",
                "interval": "month",
                "discord_role_ids": [fake.roles["member"]],
                "discord_drops_channel_id": fake.channels[tier_channel],
            }
        },
    )

"""The membership journey on Discord: real discord.py against the fake Discord, real
stripe-python against the fake Stripe (which signs and posts its webhooks to the bot's own
/webhooks/stripe), the real outbox, lifecycle and reconcile."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.discord.access import DiscordAccess
from bot.adapters.discord.adapter import DiscordAdapter
from bot.adapters.discord.delivery import DiscordDeliverer
from bot.config import Settings
from bot.core.clock import FakeClock, SystemClock
from bot.core.context import EventContext
from bot.core.dispatcher import Dispatcher
from bot.core.events import MemberChange, MembershipChanged
from bot.web import WebServer, build_web_app, stripe_route
from cogs import build_purposes, build_registry
from cogs.membership.lifecycle import run_lifecycle
from cogs.membership.reconcile import Reconciler
from payments.outbox import OutboxWorker
from payments.provider_calls import ProviderCalls
from payments.providers.stripe import StripeProvider
from payments.providers.stripe_events import StripeEvents
from payments.service import PaymentService
from payments.webhooks import StripeWebhook
from storage.models import Membership, Payment
from storage.uow import UnitOfWorkFactory
from tests.adapters.conftest import ADA, MODERATOR, Seen
from tests.conftest import make_settings
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.stripe_server import FakeStripe, connect

BEA = 500000000000000003  # pays before she is in the server
CAL = 500000000000000004  # given a tier role by hand, never paid


def journey_settings(fake: FakeDiscord) -> Settings:
    member, pro = fake.roles["member"], fake.roles["pro"]
    return make_settings(
        # "creator" is left out on purpose: here it is a role no tier opens.
        discord=fake.config(mod_role_ids=[fake.roles["mod"]]),
        tiers={
            "member": {
                "name": "Member",
                "price": "9.00",
                "interval": "month",
                "grace_days": 3,
                "discord_role_ids": [member],
            },
            "pro": {
                "name": "Pro",
                "price": "30.00",
                "interval": "month",
                "discord_role_ids": [member, pro],
            },
        },
    )


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
        assert result.ephemeral
        [row] = result.components
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

    async def membership(self, member_id: int, tier: str) -> Membership:
        async with self.uow() as unit:
            found = await unit.memberships.get(member_id, tier)
            assert found is not None
            return found

    def last_message(self, containing: str) -> str:
        """The newest message the bot sent (DMs included) with `containing` in it."""
        sent = [m["content"] for ms in self.discord.messages.values() for m in ms]
        return next(text for text in reversed(sent) if containing in text)

    def role_calls(self, method: str) -> int:
        return sum(c.method == method and "/roles/" in c.path for c in self.discord.calls)


@pytest.fixture
async def journey(
    fake_discord: FakeDiscord, memory_engine: AsyncEngine, uow: UnitOfWorkFactory
) -> AsyncIterator[Journey]:
    settings = journey_settings(fake_discord)
    clock = FakeClock(datetime.now(UTC))  # Stripe's fake bills in real time
    fake_stripe = FakeStripe()
    await fake_stripe.start()
    async with connect(fake_stripe, retries=1) as client:
        provider = StripeProvider(client, success_url="https://x/ok", cancel_url="https://x/no")
        service = PaymentService(
            providers={"stripe": provider},
            purposes=build_purposes(),
            clock=clock,
            settings=settings,
        )
        webhook = StripeWebhook(
            uow=uow,
            service=service,
            events=StripeEvents(client),
            secret=FakeStripe.WEBHOOK_SECRET,
            clock=SystemClock(),  # signatures are checked against real time
        )
        server = WebServer(build_web_app(memory_engine, [stripe_route(webhook)]))
        port = await server.start("127.0.0.1", 0)
        fake_stripe.webhook_url = f"http://127.0.0.1:{port}/webhooks/stripe"
        arrivals = Seen()

        async def arrived(ctx: EventContext, event: MembershipChanged) -> None:
            if event.change is MemberChange.JOINED:
                await arrivals.record(ctx, event)

        registry = build_registry()
        registry.listen(MembershipChanged, arrived)  # after the cogs' own listeners
        dispatcher = Dispatcher(
            registry=registry, uow=uow, clock=clock, settings=settings, payments=service
        )
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


async def test_pay_renew_lapse_into_grace_and_lose_the_role(journey: Journey) -> None:
    member_role = journey.discord.roles["member"]
    payment = await journey.pay(ADA, "member", times=3)

    assert member_role in journey.discord.member_roles(ADA)
    assert journey.role_calls("PUT") == 1  # three deliveries of each webhook, one grant
    assert journey.last_message("Your Member membership is active. Paid: $9.00.")
    first_end = (await journey.membership(payment.member_id, "member")).ends_at
    assert first_end is not None

    assert payment.subscription_ref is not None
    await journey.stripe.renew(payment.subscription_ref)
    await journey.stripe.drain()
    renewed = await journey.membership(payment.member_id, "member")
    assert renewed.status == "active"
    assert renewed.ends_at is not None
    assert renewed.ends_at > first_end + timedelta(days=27)

    await journey.stripe.renew(payment.subscription_ref, paid=False)
    await journey.stripe.drain()
    await journey.deliver_promises()
    lapsed = await journey.membership(payment.member_id, "member")
    assert lapsed.status == "grace"
    assert journey.last_message("did not go through. You keep access for 3 days")
    assert member_role in journey.discord.member_roles(ADA)

    journey.clock.advance(timedelta(days=2, hours=1))
    await run_lifecycle(journey.uow, journey.settings, journey.clock)
    await journey.deliver_promises()
    assert journey.last_message("Your Member membership ends on")
    journey.clock.advance(timedelta(days=1))
    await run_lifecycle(journey.uow, journey.settings, journey.clock)
    await journey.deliver_promises()
    assert (await journey.membership(payment.member_id, "member")).status == "expired"
    assert member_role not in journey.discord.member_roles(ADA)


async def test_cancel_keeps_access_to_the_end_and_a_refund_takes_it(journey: Journey) -> None:
    member_role = journey.discord.roles["member"]
    payment = await journey.pay(ADA, "member")
    assert payment.subscription_ref is not None
    assert payment.charge_ref is not None

    await journey.stripe.update_subscription(payment.subscription_ref, cancel_at_period_end=True)
    await journey.stripe.drain()
    cancelled = await journey.membership(payment.member_id, "member")
    assert cancelled.status == "cancelled"
    assert member_role in journey.discord.member_roles(ADA)
    shown = await journey.discord.invoke_slash(ADA, "membership")
    assert shown.content is not None
    assert "Member: cancelled, runs to its end · until" in shown.content
    [row] = shown.components
    [manage] = row["components"]
    assert manage["label"] == "Manage Member"
    assert manage["url"].startswith("https://billing.stripe.test/p/session/bps_")
    [portal] = [c for c in journey.stripe.calls if c.path == "/v1/billing_portal/sessions"]
    assert portal.params == {"customer": payment.customer_ref, "return_url": "https://x/ok"}

    await journey.stripe.refund_externally(payment.charge_ref)
    await journey.stripe.drain()
    await journey.deliver_promises()
    assert (await journey.membership(payment.member_id, "member")).status == "revoked"
    assert member_role not in journey.discord.member_roles(ADA)


async def test_upgrading_swaps_roles_and_refunds_the_unused_days(journey: Journey) -> None:
    member_role, pro_role = journey.discord.roles["member"], journey.discord.roles["pro"]
    first = await journey.pay(ADA, "member")
    journey.clock.advance(timedelta(days=15))
    await journey.pay(ADA, "pro")

    assert set(journey.discord.member_roles(ADA)) >= {member_role, pro_role}
    assert journey.role_calls("DELETE") == 0  # the shared role was never taken
    await journey.stripe.drain()
    old = await journey.membership(first.member_id, "member")
    assert old.status == "switched"
    assert first.subscription_ref is not None
    assert journey.stripe.subscriptions[first.subscription_ref]["cancel_at_period_end"] is True
    refunds = [c for c in journey.stripe.calls if c.method == "POST" and c.path == "/v1/refunds"]
    [refund] = [int(c.params["amount"]) for c in refunds]
    # 15 of 30 days of $9.00 (Stripe's period starts at a whole second before our clock).
    assert 449 <= refund <= 450


async def test_moderators_grant_by_hand_and_members_cannot(journey: Journey) -> None:
    member_role = journey.discord.roles["member"]
    refused = await journey.discord.invoke_slash(
        ADA, "grant", {"member": ADA, "tier": "member", "details": "30"}
    )
    assert refused.content is not None
    assert "You need the mod role to use /grant." in refused.content
    assert member_role not in journey.discord.member_roles(ADA)

    granted = await journey.discord.invoke_slash(
        MODERATOR,
        "grant",
        {"member": ADA, "tier": "member", "details": "30 paid 200 CNY ref WX123 bank transfer"},
    )
    assert granted.content is not None
    assert "Member" in granted.content
    await journey.deliver_promises()
    assert member_role in journey.discord.member_roles(ADA)
    async with journey.uow() as unit:
        balances = await unit.ledger.balances()
        assert balances[("revenue:membership", "cny")] == -20000


async def test_someone_who_paid_gets_the_role_when_they_join_the_server(
    journey: Journey,
) -> None:
    member_role = journey.discord.roles["member"]
    payment = await journey.pay(ADA, "member")
    await journey.discord.leave(ADA)
    await journey.deliver_promises()

    await journey.discord.join(ADA, "ada")
    # The arrival is handled off the gateway's reader; its grant is queued, then delivered.
    await journey.arrivals.wait_for_count(1)
    await journey.deliver_promises()
    assert member_role in journey.discord.member_roles(ADA)
    assert (await journey.membership(payment.member_id, "member")).status == "active"


async def test_reconcile_repairs_drift_and_leaves_other_roles_alone(journey: Journey) -> None:
    roles = journey.discord.roles
    await journey.pay(ADA, "member")
    journey.discord.add_user(CAL, "cal", roles=[roles["pro"], roles["creator"]])
    await journey.discord.set_roles_by_hand(ADA, [])  # a moderator's slip
    before_put, before_delete = journey.role_calls("PUT"), journey.role_calls("DELETE")

    dry = await journey.reconciler.run(dry_run=True)
    assert len(dry.repairs) == 2
    assert journey.role_calls("PUT") == before_put

    report = await journey.reconciler.run()
    assert {(r.user_id, r.action, r.target) for r in report.repairs} == {
        (str(ADA), "give", roles["member"]),
        (str(CAL), "take", roles["pro"]),
    }
    assert journey.discord.member_roles(ADA) == [roles["member"]]
    assert journey.discord.member_roles(CAL) == [roles["creator"]]  # not ours to touch
    assert roles["mod"] in journey.discord.member_roles(MODERATOR)
    assert journey.role_calls("PUT") == before_put + 1
    assert journey.role_calls("DELETE") == before_delete + 1
    assert report.lines()[0] == "discord: checked 4 accounts, 2 repaired"  # bots skipped

    again = await journey.reconciler.run()
    assert again.repairs == []
    async with journey.uow() as unit:
        audited = await unit.audit.recent(limit=10)
        assert any(entry.action == "access.reconciled_take" for entry in audited)

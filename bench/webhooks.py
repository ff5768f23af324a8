"""10,000 signed Stripe webhook deliveries (30% of them duplicates), end to end.

Each delivery goes over loopback HTTP to the bot's real /webhooks/stripe route: signature
check, dedupe by event id, translation, the payment and ledger update in one transaction.
The baseline, measured in the same run on the same machine, is the same deliveries to a
handler that only verifies the signature: the ratio says what storage and bookkeeping cost.
Afterwards the ledger must match the unique events exactly.

    .venv/bin/python bench/webhooks.py [--deliveries 10000] [--duplicates 0.3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import stripe
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core.clock import SystemClock
from bot.core.money import Money
from bot.web import WebServer, build_web_app, stripe_route
from payments import ledger
from payments.providers.stripe_events import StripeEvents
from payments.purposes import Purpose, PurposeContext, Purposes
from payments.service import PaymentService
from payments.webhooks import StripeWebhook
from storage.engine import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.models import Payment
from storage.uow import UnitOfWorkFactory
from tests.conftest import make_settings

SECRET = "whsec_bench"
CONCURRENCY = 8


class BenchPurpose:
    kind = "bench"

    def income_account(self, purpose: Purpose) -> str:
        return ledger.revenue(self.kind)

    async def still_for_sale(self, ctx: PurposeContext, purpose: Purpose, amount: Money) -> bool:
        return True

    async def paid(self, ctx: PurposeContext, payment: Payment) -> None: ...
    async def renewed(self, ctx: PurposeContext, payment: Payment) -> None: ...
    async def renewal_failed(self, ctx: PurposeContext, payment: Payment) -> None: ...
    async def subscription_changed(self, ctx: PurposeContext, payment: Payment) -> None: ...
    async def subscription_ended(self, ctx: PurposeContext, payment: Payment) -> None: ...
    async def refunded(self, ctx: PurposeContext, payment: Payment, amount: Money) -> None: ...
    async def disputed(self, ctx: PurposeContext, payment: Payment) -> None: ...


def completed_event(n: int, payment_id: int, amount: int) -> dict[str, Any]:
    return {
        "id": f"evt_bench_{n:06d}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "type": "checkout.session.completed",
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "data": {
            "object": {
                "id": f"cs_bench_{payment_id}",
                "object": "checkout.session",
                "mode": "payment",
                "payment_status": "paid",
                "status": "complete",
                "amount_total": amount,
                "currency": "usd",
                "client_reference_id": str(payment_id),
                "metadata": {"payment_id": str(payment_id)},
                "payment_intent": f"pi_bench_{payment_id}",
                "customer": None,
                "subscription": None,
            }
        },
    }


async def deliver_all(url: str, bodies: list[bytes]) -> float:
    """Post every body (signed now); returns deliveries per second."""
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)

    async def worker(http: aiohttp.ClientSession) -> None:
        while not queue.empty():
            body = queue.get_nowait()
            header = stripe.WebhookSignature.generate_signature_header(  # type: ignore[attr-defined]
                body.decode(), SECRET, timestamp=int(time.time())
            )
            async with http.post(url, data=body, headers={"Stripe-Signature": header}) as response:
                if response.status != 200:
                    raise RuntimeError(f"delivery answered {response.status}")

    started = time.perf_counter()
    async with aiohttp.ClientSession() as http:
        await asyncio.gather(*(worker(http) for _ in range(CONCURRENCY)))
    return len(bodies) / (time.perf_counter() - started)


async def baseline(bodies: list[bytes]) -> float:
    async def verify_only(request: web.Request) -> web.Response:
        body = await request.read()
        stripe.Webhook.construct_event(body.decode(), request.headers["Stripe-Signature"], SECRET)
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/webhooks/stripe", verify_only)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        return await deliver_all(f"http://127.0.0.1:{port}/webhooks/stripe", bodies)
    finally:
        await runner.cleanup()


async def end_to_end(
    bodies: list[bytes], payments: dict[int, int], url: str
) -> tuple[float, dict[str, int]]:
    engine = make_engine(url)
    await upgrade(engine)
    uow = UnitOfWorkFactory(make_sessionmaker(engine))
    clock = SystemClock()
    async with uow() as unit:
        member = await unit.members.create_with_identity(
            platform="console",
            platform_user_id="bench",
            display_name="bench",
            username=None,
            level=0,
            now=clock.now(),
        )
        assert member is not None
        for payment_id, amount in payments.items():
            unit.session.add(
                Payment(
                    id=payment_id, purpose="bench:x", member_id=member.member_id, provider="stripe",
                    status="pending", amount_minor=amount, currency="usd", refunded_minor=0,
                    checkout_ref=f"cs_bench_{payment_id}", created_at=clock.now(),
                )
            )  # fmt: skip
    purposes = Purposes()
    purposes.register(BenchPurpose())
    service = PaymentService(providers={}, purposes=purposes, clock=clock, settings=make_settings())
    client = stripe.StripeClient("sk_test_never_called")
    webhook = StripeWebhook(
        uow=uow, service=service, events=StripeEvents(client), secret=SECRET, clock=clock
    )
    server = WebServer(build_web_app(engine, [stripe_route(webhook)]))
    port = await server.start("127.0.0.1", 0)
    try:
        rate = await deliver_all(f"http://127.0.0.1:{port}/webhooks/stripe", bodies)
    finally:
        await server.stop()
    async with uow() as unit:
        balances = await unit.ledger.balances()
        counts = {
            "clearing": balances.get(("clearing:stripe", "usd"), 0),
            "revenue": -balances.get(("revenue:bench", "usd"), 0),
        }
    await engine.dispose()
    return rate, counts


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=10_000)
    parser.add_argument("--duplicates", type=float, default=0.3)
    parser.add_argument(
        "--database-url",
        help="an EMPTY database to fill (default: a fresh SQLite file in a temporary folder)",
    )
    args = parser.parse_args()
    random.seed(7)
    unique = int(args.deliveries * (1 - args.duplicates))
    payments = {n + 1: random.randint(100, 50_000) for n in range(unique)}
    events = [
        json.dumps(completed_event(n, pid, amt)).encode()
        for n, (pid, amt) in enumerate(payments.items())
    ]
    bodies = events + [random.choice(events) for _ in range(args.deliveries - unique)]
    random.shuffle(bodies)

    base_rate = await baseline(bodies)
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        rate, books = await end_to_end(bodies, payments, url)
    expected = sum(payments.values())
    print(f"database: {url.split('://')[0]}")
    print(f"deliveries: {len(bodies)} ({unique} unique, {len(bodies) - unique} duplicates)")
    print(f"baseline (verify signature only): {base_rate:,.0f} deliveries/s")
    print(f"end to end (verify, dedupe, payment + ledger): {rate:,.0f} deliveries/s")
    print(f"ratio end-to-end / baseline: {rate / base_rate:.2f}")
    matches = books["clearing"] == books["revenue"] == expected
    print(
        f"ledger: clearing {books['clearing']}, revenue {books['revenue']}, "
        f"expected {expected}: {'exact' if matches else 'MISMATCH'}"
    )
    if not matches:
        raise SystemExit(1)


if __name__ == "__main__":
    asyncio.run(main())

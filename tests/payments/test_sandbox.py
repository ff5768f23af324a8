"""The sandbox checkout page over real HTTP: pay, cancel, replay; and /healthz's outbox view."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.clock import FakeClock
from bot.core.effects import NotifyMember
from bot.core.money import Money
from bot.core.outbox import queue
from bot.web import WebServer, build_web_app
from payments.providers.sandbox import SandboxProvider
from payments.purposes import Purpose, Purposes
from payments.sandbox_billing import SandboxBilling
from payments.sandbox_page import SandboxCheckoutPage
from payments.service import PaymentService
from storage.uow import UnitOfWorkFactory
from tests.conftest import a_member, make_settings
from tests.payments.conftest import RecordingPurpose


@pytest.fixture
async def site(
    engine: AsyncEngine, db: UnitOfWorkFactory, purposes: Purposes, payments_clock: FakeClock
) -> AsyncIterator[tuple[str, PaymentService]]:
    server = WebServer(build_web_app(engine))
    port = await server.start("127.0.0.1", 0)
    await server.stop()  # learn a free port, then build the real app with the right base url
    service = PaymentService(
        providers={"sandbox": SandboxProvider(f"http://127.0.0.1:{port}")},
        purposes=purposes,
        clock=payments_clock,
        settings=make_settings(),
    )
    page = SandboxCheckoutPage(
        uow=db,
        service=service,
        billing=SandboxBilling(db, service, payments_clock),
        clock=payments_clock,
        settings=make_settings(),
    )
    server = WebServer(build_web_app(engine, page.routes()))
    await server.start("127.0.0.1", port)
    yield f"http://127.0.0.1:{port}", service
    await server.stop()


async def _checkout(db: UnitOfWorkFactory, service: PaymentService) -> tuple[int, str]:
    member = await a_member(db)
    async with db() as uow:
        started = await service.start_checkout(
            uow,
            member_id=member,
            purpose=Purpose("test", "t"),
            amount=Money(900, "usd"),
            title="Test",
            provider="sandbox",
        )
    assert started.checkout.url is not None
    return started.payment.id, started.checkout.url


async def test_paying_on_the_page_settles_the_payment_once(
    site: tuple[str, PaymentService], db: UnitOfWorkFactory, recording: RecordingPurpose
) -> None:
    _, service = site
    payment_id, url = await _checkout(db, service)
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as response:
            page = await response.text()
        assert "Sandbox: no real money is charged here." in page
        assert "$9.00" in page
        assert 'value="pay"' in page
        for _ in range(2):  # a double click
            async with http.post(url, data={"action": "pay"}) as response:
                assert response.status == 200
                assert "Paid." in await response.text()
    assert recording.calls == [("paid", payment_id)]
    async with db() as uow:
        payment = await uow.payments.get(payment_id)
        assert payment is not None
        assert payment.status == "paid"


async def test_cancelling_charges_nothing(
    site: tuple[str, PaymentService], db: UnitOfWorkFactory, recording: RecordingPurpose
) -> None:
    _, service = site
    payment_id, url = await _checkout(db, service)
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data={"action": "cancel"}) as response:
            assert "Nothing was charged." in await response.text()
        async with http.post(url, data={"action": "pay"}) as response:
            assert "Nothing was charged." in await response.text()  # closed stays closed
        async with http.post(url, data={"action": "steal"}) as response:
            assert response.status == 400
        async with http.get(f"{url}nope") as response:
            assert response.status == 404
    assert recording.calls == []
    async with db() as uow:
        payment = await uow.payments.get(payment_id)
        assert payment is not None
        assert payment.status == "expired"


async def test_healthz_reports_dead_outbox_items(
    site: tuple[str, PaymentService], db: UnitOfWorkFactory, payments_clock: FakeClock
) -> None:
    base, _ = site
    async with db() as uow:
        await queue(uow, NotifyMember(1, "x"), key="x", now=payments_clock.now())
        item = await uow.outbox.get(1)
        assert item is not None
        item.status = "dead"
    async with aiohttp.ClientSession() as http, http.get(f"{base}/healthz") as response:
        assert response.status == 200
        assert await response.json() == {
            "status": "degraded",
            "database": "ok",
            "outbox": {"pending": 0, "dead": 1},
        }

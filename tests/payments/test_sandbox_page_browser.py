"""The sandbox checkout page in a real headless Chromium, as a payer sees it: the community,
what is bought, the price and period, the trial, in the payer's language, marked as no real
money; then the trial started, the clock moved and a renewal made to fail from its buttons."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from sqlalchemy import select

from bot.app import Core, open_core
from bot.config import Secrets
from bot.core.clock import FakeClock
from bot.web import WebServer, build_web_app
from storage.models import Payment
from tests.browser import press, text_of
from tests.conftest import NOW, actor, make_settings, send

TIERS = {
    "member": {
        "name": "Member",
        "price": "9.00",
        "interval": "month",
        "trial_days": 7,
        "discord_role_ids": [444444444444444441],
    }
}


@dataclass
class Site:
    core: Core
    clock: FakeClock


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    settings = make_settings(
        server={"port": port},
        database={"url": f"sqlite+aiosqlite:///{tmp_path / 'page.db'}"},
        tiers=TIERS,
    )
    clock = FakeClock(NOW)
    async with open_core(settings, Secrets.from_env({}), clock) as core:
        time, billing, page = core.sandbox_time, core.payments.sandbox, core.payments.sandbox_page
        assert time is not None
        assert billing is not None
        assert page is not None

        async def catch_up() -> None:
            await billing.bill_due()

        # As `knowpay run` wires it (less the memberships' lifecycle, not looked at here).
        time.catch_up, page.advance = catch_up, time.advance
        server = WebServer(build_web_app(core.engine, core.payments.routes))
        await server.start("127.0.0.1", port)
        try:
            yield Site(core, clock)
        finally:
            await server.stop()


async def _checkout_url(site: Site, name: str, locale: str | None = None) -> str:
    [offer] = await send(site.core.dispatcher, actor(name, locale=locale), "/join member")
    url = offer.buttons[0].url
    assert url
    return url


async def test_a_payer_sees_what_they_buy_and_starts_the_trial(
    site: Site, browser: webdriver.Chrome
) -> None:
    url = await _checkout_url(site, "alice")

    def pay_and_watch() -> None:
        browser.get(url)
        assert text_of(browser, "banner") == "Sandbox: no real money is charged here."
        assert text_of(browser, "community") == "Test club"
        assert text_of(browser, "title") == "Member membership"
        assert browser.title == "Member membership · Test club"
        assert text_of(browser, "amount") == "$9.00 per month"
        assert text_of(browser, "trial") == (
            "7-day free trial: nothing is charged today. The first charge, $9.00, is on 2026-01-12."
        )
        press(browser, "Start the free trial", then_shows=("subscription", "Free trial until"))
        assert text_of(browser, "subscription") == (
            "Free trial until 2026-01-12. The first charge, $9.00, is made then."
        )
        assert text_of(browser, "clock") == "Sandbox clock: 2026-01-05 09:00"
        press(browser, "+7 days", then_shows=("subscription", "Active."))
        assert text_of(browser, "subscription") == "Active. Renews on 2026-02-11 for $9.00."
        assert text_of(browser, "clock") == "Sandbox clock: 2026-01-12 09:00"
        press(browser, "Make the next renewal fail", then_shows=("subscription", "Active."))
        press(browser, "+30 days", then_shows=("subscription", "was declined"))
        press(browser, "Retry the declined payment", then_shows=("subscription", "Active."))
        assert text_of(browser, "subscription") == "Active. Renews on 2026-03-13 for $9.00."
        press(browser, "Cancel at period end", then_shows=("subscription", "Cancelled"))
        assert browser.find_elements(By.XPATH, "//button[normalize-space()='Resume renewing']")

    await asyncio.to_thread(pay_and_watch)
    async with site.core.uow() as uow:
        charges = list(await uow.session.scalars(select(Payment.amount_minor).order_by(Payment.id)))
    assert charges == [0, 900, 900]  # the trial, its first charge, the retried renewal


async def test_the_page_speaks_the_payers_language(site: Site, browser: webdriver.Chrome) -> None:
    url = await _checkout_url(site, "li", locale="zh_CN")

    def look() -> None:
        browser.get(url)
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"
        assert text_of(browser, "banner") == "沙盒：这里不会收取真实的钱。"
        assert text_of(browser, "title") == "Member 会员"
        assert text_of(browser, "amount").endswith("每月")
        assert text_of(browser, "trial").startswith("7 天免费试用：今天不扣款。")
        press(browser, "开始免费试用", then_shows=("subscription", "免费试用至"))

    await asyncio.to_thread(look)

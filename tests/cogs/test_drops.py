"""Drops through the dispatcher, the real payment service and the outbox: draft, preview,
publish (now or at its time, once), edit and delete on every copy, DMs to those who asked,
one-off purchases, who reads what."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import pytest

from bot.core.clock import FakeClock
from bot.core.delivery import OutboxSettings, OutboxWorker
from bot.core.dispatcher import Dispatcher
from bot.core.effects import (
    DeleteMessage,
    DurableEffect,
    EditMessage,
    Invoice,
    NotifyMember,
    PostToChat,
    Reply,
)
from bot.core.events import Place, Platform
from bot.core.i18n import Translator
from bot.core.money import Money
from bot.core.outbox import Recipient, decode
from bot.core.permissions import Level
from cogs.drops import service as drops
from cogs.drops.rendering import teaser_text
from cogs.engagement.service import show
from cogs.services import Services
from payments.providers.sandbox import SandboxProvider
from payments.providers.stars import StarsProvider
from payments.purposes import Purpose
from payments.service import PaymentService
from storage.models import Drop, DropNotice, Member, Membership, PlatformIdentity
from storage.uow import UnitOfWorkFactory
from tests.cogs.conftest import provider_says
from tests.conftest import SANDBOX_URL, actor, dispatcher_for, make_settings, say, send, wire

CREATOR, OTHER_CREATOR = actor("ada", level=Level.CREATOR), actor("bo", level=Level.CREATOR)
READER, OUTSIDER, MOD = actor("cy"), actor("dee"), actor("mo", level=Level.MOD)
TIER = {
    "name": "Member",
    "price": "9.00",
    "interval": "month",
    "discord_role_ids": [1],
    "telegram_chat_ids": [-100200],
    "discord_drops_channel_id": 700,
}
SETTINGS = make_settings(
    community={"name": "Club", "timezone": "Europe/Berlin"},
    tiers={"member": TIER},
    discord={"drops_channel_id": 800},
    telegram={"drops_chat_id": -100300},
    payments={"stars_per_unit": 50},
)
NEW = "/drop new member price:4.99\nAsync patterns\nUse task groups.\nThey cancel well.\nhttps://x.dev/tg"


@pytest.fixture
def services(uow: UnitOfWorkFactory, clock: FakeClock) -> Services:
    return wire(uow, clock, SETTINGS)


@pytest.fixture
def payments(services: Services) -> PaymentService:
    return services.payments


@pytest.fixture
def dispatcher(uow: UnitOfWorkFactory, clock: FakeClock, services: Services) -> Dispatcher:
    return dispatcher_for(uow, clock, SETTINGS, services)


async def _outbox(uow: UnitOfWorkFactory, clock: FakeClock) -> list[DurableEffect]:
    async with uow() as unit:
        items = await unit.outbox.due(clock.now() + timedelta(days=30), 5000)
        return [decode(item.kind, item.payload) for item in items]


async def _member_id(uow: UnitOfWorkFactory, name: str) -> int:
    async with uow() as unit:
        member = await unit.members.find_by_username("console", name)
        assert member is not None
        return member.id


async def _holds_tier(uow: UnitOfWorkFactory, clock: FakeClock, member_id: int) -> None:
    async with uow() as unit:
        await unit.memberships.add(
            Membership(
                member_id=member_id,
                tier="member",
                status="active",
                source="manual",
                started_at=clock.now(),
                ends_at=clock.now() + timedelta(days=30),
                updated_at=clock.now(),
            )
        )


async def test_a_member_cannot_write_a_drop_and_a_creator_sees_a_preview_first(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory, clock: FakeClock
) -> None:
    refused = await say(dispatcher, READER, NEW)
    assert refused == "You need the creator role to use /drop."
    preview = await say(dispatcher, CREATOR, NEW)
    assert preview.startswith("Preview of drop D1 (nothing is posted yet):")
    assert "**Async patterns**" in preview
    assert "Anyone can unlock it for $4.99: /unlock D1" in preview
    assert "In full in: discord 700, telegram -100200" in preview
    assert await _outbox(uow, clock) == []
    gold = await say(dispatcher, CREATOR, "/drop new gold\nT\nBody")
    assert gold.splitlines()[0] == "tiers: There is no tier “gold”. Choose one of: member."
    assert "Write a drop like this" in await say(
        dispatcher, CREATOR, "/drop new member\nOnly a title"
    )


async def test_publishing_posts_in_full_where_tiers_read_a_teaser_in_public_and_dms_who_asked(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory, clock: FakeClock
) -> None:
    await say(dispatcher, CREATOR, NEW)
    for who in (READER, OUTSIDER, actor("quiet")):
        await say(dispatcher, who, "/whoami")
    reader, outsider, quiet = [await _member_id(uow, n) for n in ("cy", "dee", "quiet")]
    await _holds_tier(uow, clock, reader)
    await _holds_tier(uow, clock, quiet)
    assert "private message" in await say(dispatcher, READER, "/notify on")
    await say(dispatcher, OUTSIDER, "/notify on")  # asked, but holds no tier
    said = await say(dispatcher, CREATOR, "/drop publish D1")
    assert said == "Drop D1 is published; 1 members get it by private message."
    effects = await _outbox(uow, clock)
    posts = {(p.platform, p.chat_id): p for p in effects if isinstance(p, PostToChat)}
    assert set(posts) == {
        ("discord", "700"),
        ("telegram", "-100200"),
        ("discord", "800"),
        ("telegram", "-100300"),
    }
    assert "They cancel well." in posts["discord", "700"].text
    teaser = posts["discord", "800"]
    assert "They cancel well." in teaser.text  # the first lines...
    assert "https://x.dev/tg" not in teaser.text  # ...not the whole drop
    assert [b.command for b in teaser.buttons] == ["/unlock D1"]
    assert {p.content_ref for p in posts.values()} == {"drop:1"}
    dms = [e for e in effects if isinstance(e, NotifyMember)]
    assert [d.member_id for d in dms] == [reader]
    assert outsider not in [d.member_id for d in dms]
    assert quiet not in [d.member_id for d in dms]
    again = await say(dispatcher, CREATOR, "/drop publish D1")
    assert again == "Drop D1 is published already."


def test_a_teaser_cut_inside_a_code_block_still_closes_it() -> None:
    drop = Drop(
        id=3, title="T", body="Look:\n```rust\nlet x = 1;\nlet y = 2;\n```", tiers=["member"]
    )
    teaser = teaser_text(drop, SETTINGS, "en")
    assert "let x = 1;…\n```\n" in teaser
    assert "let y" not in teaser
    assert teaser.count("```") == 2


async def test_a_scheduled_drop_is_published_once_at_its_time_across_restarts(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory, clock: FakeClock
) -> None:
    await say(dispatcher, CREATOR, NEW.replace("4.99", '4.99 at:"in 2h"'))
    scheduled = await say(dispatcher, CREATOR, "/drop publish D1")
    assert scheduled.startswith("Drop D1 is scheduled for")
    assert await drops.publish_due(uow, SETTINGS, clock) == 0
    clock.advance(timedelta(hours=2))
    # Two instances reach it at once; then one more run after a restart.
    runs = await asyncio.gather(*(drops.publish_due(uow, SETTINGS, clock) for _ in range(2)))
    assert sorted(runs) == [0, 1]
    assert await drops.publish_due(uow, SETTINGS, clock) == 0
    posts = [e for e in await _outbox(uow, clock) if isinstance(e, PostToChat)]
    assert len(posts) == 4
    yesterday = await say(dispatcher, CREATOR, "/drop new member at:yesterday\nT\nB")
    assert yesterday.splitlines()[0] == (
        "at: Could not understand “yesterday”. Try 2026-12-01 20:00, today 20:00, "
        "tomorrow 20:00, fri 20:00, in 90m / 2h / 3d, or now."
    )


async def test_editing_changes_every_copy_and_deleting_removes_them(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory, clock: FakeClock
) -> None:
    await say(dispatcher, CREATOR, NEW)
    await say(dispatcher, CREATOR, "/drop publish D1")
    async with uow() as unit:  # what the adapters reported posting
        content = await unit.contents.by_ref("drop:1")
        assert content is not None
        for platform, chat, message in (("discord", "700", "1"), ("discord", "800", "2")):
            place = Place(Platform(platform), chat, is_private=False)
            await show(unit, content, place, message)
    assert "not yours" in await say(dispatcher, OTHER_CREATOR, "/drop edit D1\nX\nY")
    edited = await say(dispatcher, CREATOR, "/drop edit D1\nAsync patterns, revised\nNew body.")
    assert edited == "Drop D1 is changed; 2 posted messages are being edited."
    edits = {e.chat_id: e for e in await _outbox(uow, clock) if isinstance(e, EditMessage)}
    assert "New body." in edits["700"].text
    assert "Members of Member read it in full." in edits["800"].text  # still a teaser
    assert [b.command for b in edits["800"].buttons] == ["/unlock D1"]  # with its button
    assert edits["700"].buttons == ()
    deleted = await say(dispatcher, MOD, "/drop delete D1")  # moderators may
    assert deleted == "Drop D1 is deleted; 2 posted messages are being removed."
    gone = [e for e in await _outbox(uow, clock) if isinstance(e, DeleteMessage)]
    assert sorted(e.message_id for e in gone) == ["1", "2"]
    assert await say(dispatcher, CREATOR, "/drop delete D1") == "Drop D1 is deleted already."


async def test_buying_a_drop_delivers_it_and_only_readers_see_it_in_full(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory, clock: FakeClock, payments: PaymentService
) -> None:
    await say(dispatcher, CREATOR, NEW)
    await say(dispatcher, CREATOR, "/drop publish D1")
    teaser = await say(dispatcher, OUTSIDER, "/drops")
    assert "Use task groups." in teaser
    assert "https://x.dev/tg" not in teaser
    [offer] = await send(dispatcher, OUTSIDER, "/unlock D1")
    assert isinstance(offer, Reply)
    assert offer.buttons[0].label == "Pay $4.99"
    outsider = await _member_id(uow, "dee")
    async with uow() as unit:
        purchase = await unit.drops.purchase_of(1, outsider)
        assert purchase is not None
        payment_id = purchase.payment_id
        # What the checkout page names as bought, in the payer's language.
        purpose = Purpose("drops", str(purchase.id))
        handler = payments.purposes.for_purpose(purpose)
        for locale, title in (("en", "Drop: Async patterns"), ("zh_CN", "内容：Async patterns")):
            named = await handler.title(payments.context(unit), purpose, Translator(locale))
            assert named == title
    for _ in range(2):  # the provider's news, twice
        await provider_says(uow, payments, clock, payment_id, Money(499, "usd"))
    dms = [e for e in await _outbox(uow, clock) if isinstance(e, NotifyMember)]
    assert [d.member_id for d in dms] == [outsider]
    assert "https://x.dev/tg" in dms[0].text
    assert "https://x.dev/tg" in await say(dispatcher, OUTSIDER, "/drops")
    assert "https://x.dev/tg" not in await say(dispatcher, READER, "/drops")
    async with uow() as unit:
        balances = await unit.ledger.balances("revenue:drops")
    assert balances == {("revenue:drops", "usd"): -499}
    stats = await say(dispatcher, CREATOR, "/drop stats D1")
    assert "Sold 1 times · revenue $4.99" in stats


async def test_a_drop_bought_inside_telegram_is_paid_in_stars(
    uow: UnitOfWorkFactory, clock: FakeClock
) -> None:
    providers = {"sandbox": SandboxProvider(SANDBOX_URL), "stars": StarsProvider()}
    services = wire(uow, clock, SETTINGS, providers=providers)
    dispatcher = dispatcher_for(uow, clock, SETTINGS, services)
    await say(dispatcher, CREATOR, NEW)
    await say(dispatcher, CREATOR, "/drop publish D1")
    [invoice] = await send(dispatcher, actor("tg", Platform.TELEGRAM), "/unlock D1")
    assert isinstance(invoice, Invoice)
    assert invoice.stars == 250  # 4.99 at 50 Stars per unit, rounded up


async def test_unlock_names_a_question_or_a_drop(dispatcher: Dispatcher) -> None:
    said = await say(dispatcher, READER, "/unlock soon")
    assert said.splitlines() == [
        "what: “soon” names no question or drop: 12 for question #12, D7 for drop D7.",
        "For example: D7",
        "Usage: /unlock <what>",
    ]
    assert await say(dispatcher, READER, "/unlock D9") == "There is no drop D9."
    assert await say(dispatcher, READER, "/unlock 9") == "There is no question #9."


async def test_a_thousand_dms_go_out_once_each_despite_failures(
    uow: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """The fan-out of one drop to 1,000 members who asked for it, through the real outbox and
    a platform that fails one delivery in five: everyone gets it once, nobody twice."""
    async with uow() as unit:
        author = await unit.members.create_with_identity(
            platform="console",
            platform_user_id="author",
            display_name="author",
            username="author",
            level=Level.CREATOR,
            now=clock.now(),
        )
        assert author is not None
        readers = [Member(display_name=f"m{n}", created_at=clock.now()) for n in range(1000)]
        unit.session.add_all(readers)
        await unit.session.flush()
        for n, reader in enumerate(readers):
            unit.session.add_all(
                [
                    PlatformIdentity(
                        member_id=reader.id,
                        platform="console",
                        platform_user_id=f"m{n}",
                        display_name=f"m{n}",
                        level=0,
                        created_at=clock.now(),
                        last_seen_at=clock.now(),
                    ),
                    DropNotice(member_id=reader.id, enabled=True, updated_at=clock.now()),
                    Membership(
                        member_id=reader.id,
                        tier="member",
                        status="active",
                        source="manual",
                        started_at=clock.now(),
                        updated_at=clock.now(),
                    ),
                ]
            )
        draft = drops.Draft(title="T", body="B", tiers=("member",))
        made = await drops.create(unit, author.member_id, draft, clock.now())
        assert await drops.publish(unit, SETTINGS, made, clock.now()) == 1000

    received: list[int] = []
    chance = random.Random(9)

    class Unreliable:
        platform = "console"

        async def deliver(self, effect: DurableEffect, recipient: Recipient | None) -> None:
            if chance.random() < 0.2:
                raise ConnectionError("the platform hiccuped")
            if isinstance(effect, NotifyMember):
                received.append(effect.member_id)

    settings = OutboxSettings(max_attempts=50, first_retry=timedelta(seconds=1), batch=200)
    worker = OutboxWorker(uow, {"console": Unreliable()}, clock, settings)
    while await worker.run_once() or len(received) < 1000:
        clock.advance(timedelta(minutes=2))
    assert len(received) == 1000
    assert len(set(received)) == 1000


async def test_a_new_drop_reaches_each_reader_in_the_language_their_platform_reports(
    dispatcher: Dispatcher, uow: UnitOfWorkFactory, clock: FakeClock
) -> None:
    await say(dispatcher, CREATOR, NEW)
    chinese, english = actor("li", locale="zh-CN"), actor("ed", locale="en-US")
    for who in (chinese, english):
        await say(dispatcher, who, "/notify on")
        await _holds_tier(uow, clock, await _member_id(uow, who.user_id))
    await say(dispatcher, CREATOR, "/drop publish D1")
    dms = {e.member_id: e.text for e in await _outbox(uow, clock) if isinstance(e, NotifyMember)}
    assert dms[await _member_id(uow, "li")].startswith("内容 D1 · ")
    assert dms[await _member_id(uow, "ed")].startswith("Drop D1 · ")


async def test_the_drops_teaser_is_in_the_readers_language(
    dispatcher: Dispatcher, clock: FakeClock
) -> None:
    await say(dispatcher, CREATOR, NEW)
    await say(dispatcher, CREATOR, "/drop publish D1")
    teaser = await say(dispatcher, actor("li", locale="zh-CN"), "/drops")
    assert "Members of" not in teaser
    assert "/unlock D1" in teaser
    assert "Use task groups." in teaser  # the creator's words stay as written


async def test_publish_without_a_label_asks_which_of_ones_own_drafts(
    dispatcher: Dispatcher, clock: FakeClock
) -> None:
    await say(dispatcher, CREATOR, NEW)
    await say(dispatcher, OTHER_CREATOR, NEW)  # D2: someone else's
    await say(dispatcher, CREATOR, NEW)  # D3
    [asked] = await send(dispatcher, CREATOR, "/drop publish")
    assert isinstance(asked, Reply)
    assert asked.text == "/drop publish needs <drop>: The drop's label, like D7."
    assert [(b.label, b.command) for b in asked.buttons] == [
        ("D3", "/drop publish D3"),
        ("D1", "/drop publish D1"),
    ]
    await say(dispatcher, CREATOR, "/drop publish D1")
    [again] = await send(dispatcher, CREATOR, "/drop publish")
    assert isinstance(again, Reply)
    assert [b.label for b in again.buttons] == ["D3"]  # a published drop is no longer offered

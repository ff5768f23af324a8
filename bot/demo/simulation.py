"""`knowpay demo`: a believable community simulated through the real handlers, payments, ledger
and report, in a fresh SQLite file; the latest weekly report is written to a folder.

A fake clock walks day by day through the weeks up to `REPORT_WEEK` (fixed, so a seed always
gives the same report). Each day, in time order: newcomers join the Discord server or the
Telegram chat (a few /link their other account later); creators post in the tracked channel
and chat; a weekly drop and some questions, with prices, are registered and shown on both
platforms; members react (sometimes taking it back) and reply, creators react to their own
posts; members /join a tier and pay at the sandbox checkout, and the demo plays the provider
(as Stripe's webhooks would): renewals, failed renewals with grace, cancellations, refunds; a
moderator /grants the tier to those who paid by WeChat or bank transfer. At midnight the
membership lifecycle runs and the day's interactions are written.

Left out, and why: drops and paid Q&A have no cogs yet, so their contents exist but nobody buys
or unlocks them (no "unlock" interactions, no Q&A or drop income); tier switches, disputes and
Telegram Stars are not simulated; durable effects (roles, DMs, provider refunds) stay in the
outbox, as there is no platform to deliver them to.
"""

from __future__ import annotations

import heapq
import itertools
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.core.clock import FakeClock
from bot.core.dispatcher import Dispatcher
from bot.core.effects import Reply
from bot.core.events import (
    CommandEvent,
    MemberChange,
    MembershipChanged,
    MessagePosted,
    Place,
    Platform,
    ReactionChanged,
)
from bot.core.i18n import Translator
from bot.core.identity import resolve_actor
from bot.core.money import Money
from bot.demo import people as odds
from bot.demo.people import Person, Shown, place, private
from cogs import build_registry, build_services
from cogs.engagement.report_build import build_report
from cogs.engagement.report_chart import render_chart
from cogs.engagement.report_render import to_json, to_markdown
from cogs.engagement.service import register_content, show
from cogs.engagement.weeks import Week, day_start
from cogs.membership.lifecycle import run_lifecycle
from payments.events import PaymentEvent, PaymentEventKind
from payments.providers.base import PERIODS
from payments.providers.sandbox import SandboxProvider
from storage.engine import make_engine, make_sessionmaker
from storage.interaction_recorder import InteractionRecorder
from storage.migrate import upgrade
from storage.models import Payment
from storage.uow import UnitOfWorkFactory

REPORT_WEEK = Week(2026, 48)
DATABASE = "knowpay-demo.db"
SANDBOX_URL = "http://127.0.0.1:8080"  # the checkout page nobody opens: the demo pays itself
LINK_CODE = re.compile(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}\b")

Action = Callable[[], Awaitable[object]]
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class DemoResult:
    """What the demo wrote, and the report week's headline figures."""

    markdown: Path
    json: Path
    chart: Path
    database: Path
    week: str
    members: int
    interactions: int  # rows recorded, reactions taken back included
    charges: int  # payments and renewals charged through the sandbox
    active_members: int
    gross: Money  # the week's gross income in the community currency
    engagement_value: float  # T
    seconds: float


@dataclass
class _Subscription:
    """A paid tier as the provider sees it: the first payment, charged again each period."""

    payment_id: int
    price: Money
    interval: str
    period_end: datetime | None  # None for a lifetime tier


async def run_demo(
    out_dir: Path,
    *,
    members: int = 300,
    weeks: int = 8,
    seed: int = 7,
    progress: Progress | None = None,
) -> DemoResult:
    """Simulate `members` people over `weeks` weeks into `out_dir`/knowpay-demo.db (replaced if
    there) and write report.md, report.json and report.png for the last of those weeks.
    `progress(days_done, days)` is called after each simulated day."""
    if members < 1 or weeks < 1:
        raise ValueError("the demo needs at least one member and one week")
    started = time.perf_counter()
    database = _fresh_database(out_dir)
    settings = odds.demo_settings()
    engine = make_engine(f"sqlite+aiosqlite:///{database}")
    try:
        await upgrade(engine)
        simulation = _Simulation(engine, settings, random.Random(seed), members, weeks)
        await simulation.run(progress)
        async with simulation.uow() as unit:
            report = await build_report(unit, settings, REPORT_WEEK)
    finally:
        await engine.dispose()
    speak = Translator(settings.community.default_locale)
    markdown, json, chart = (out_dir / f"report.{ext}" for ext in ("md", "json", "png"))
    markdown.write_text(to_markdown(report, speak), encoding="utf-8")
    json.write_text(to_json(report), encoding="utf-8")
    chart.write_bytes(render_chart(report, speak))
    return DemoResult(
        markdown=markdown,
        json=json,
        chart=chart,
        database=database,
        week=report.week,
        members=members,
        interactions=simulation.recorder.written,
        charges=simulation.charges,
        active_members=report.engagement.active_members.value,
        gross=Money(report.revenue.gross.value, report.revenue.currency),
        engagement_value=report.model.total.value,
        seconds=time.perf_counter() - started,
    )


def _fresh_database(out_dir: Path) -> Path:
    """The demo's database file in `out_dir`, with any earlier one (and its WAL) removed."""
    out_dir.mkdir(parents=True, exist_ok=True)
    database = (out_dir / DATABASE).resolve()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    return database


class _Simulation:
    def __init__(
        self, engine: AsyncEngine, settings: Settings, rng: random.Random, members: int, weeks: int
    ) -> None:
        self.settings, self.rng = settings, rng
        self.days = weeks * 7
        self.first_day = REPORT_WEEK.first_day - timedelta(weeks=weeks - 1)
        tz = settings.community.tzinfo
        self.clock = FakeClock(day_start(self.first_day, tz))
        self.uow = UnitOfWorkFactory(make_sessionmaker(engine))
        self.recorder = InteractionRecorder(engine, tz)
        services = build_services(
            settings=settings,
            clock=self.clock,
            providers={"sandbox": SandboxProvider(SANDBOX_URL)},
            interactions=self.recorder,
        )
        self.payments = services.payments
        self.dispatcher = Dispatcher(
            registry=build_registry(services), uow=self.uow, clock=self.clock, settings=settings
        )
        self.people = odds.population(rng, members, self.days)
        self.creators, self.moderator = odds.staff(members)
        self.shown: list[Shown] = []
        self.charges = 0
        self._queue: list[tuple[datetime, int, Action]] = []
        self._order = itertools.count()  # ties in time run in the order they were planned
        self._ids = itertools.count(1)  # message ids, provider references, event ids
        self._does: dict[odds.Doing, Callable[[Person], Awaitable[None]]] = {
            "join": self._join,
            "interact": self._interact,
            "buy": self._buy,
            "grant": self._grant,
            "link": self._link,
            "post": self._post,
            "drop": partial(self._publish, "drop", (odds.DROPS_CHANNEL, odds.DROPS_CHAT)),
            "ask": partial(self._publish, "question", (odds.QA_CHANNEL, odds.QA_CHAT)),
        }

    async def run(self, progress: Progress | None) -> None:
        tz = self.settings.community.tzinfo
        for day in range(self.days):
            date = self.first_day + timedelta(days=day)
            start, end = day_start(date, tz), day_start(date + timedelta(days=1), tz)
            plan = odds.day_plan(
                self.rng, self.people, self.creators, day=day, start=start, weekday=date.weekday()
            )
            for planned in plan:
                self._at(planned.at, partial(self._does[planned.doing], planned.person))
            while self._queue and self._queue[0][0] < end:
                at, _, action = heapq.heappop(self._queue)
                self.clock.advance(max(at - self.clock.now(), timedelta(0)))
                await action()
            self.clock.advance(end - self.clock.now())
            await run_lifecycle(self.uow, self.settings, self.clock)
            # Written daily, outside any unit of work: the recorder takes SQLite's write turn.
            await self.recorder.flush()
            if progress is not None:
                progress(day + 1, self.days)

    def _at(self, when: datetime, action: Action) -> None:
        heapq.heappush(self._queue, (when, next(self._order), action))

    # ------------------------------------------------------------------ community

    async def _join(self, person: Person) -> None:
        where = place(person.home, odds.GUILD, odds.COMMUNITY_CHAT)
        await self.dispatcher.notify(MembershipChanged(person.actor(), where, MemberChange.JOINED))

    async def _post(self, creator: Person) -> None:
        rng, now = self.rng, self.clock.now()
        where = place(creator.home, odds.POSTS_CHANNEL, odds.COMMUNITY_CHAT)
        message = str(next(self._ids))
        await self.dispatcher.notify(
            MessagePosted(creator.actor(), where, message, odds.post_text(rng))
        )
        self.shown.append(Shown(now, odds.popularity(rng), {creator.home: (where, message)}))
        if rng.random() < odds.SELF_REACTION:
            own = ReactionChanged(creator.actor(), where, message, "🔥", added=True)
            soon = now + timedelta(minutes=rng.randrange(1, 30))
            self._at(soon, partial(self.dispatcher.notify, own))

    async def _publish(self, kind: str, channels: tuple[int, int], author: Person) -> None:
        """Register a drop or a question the way their cogs will, shown on both platforms."""
        now = self.clock.now()
        title = odds.drop_title(self.rng) if kind == "drop" else odds.question_title(self.rng)
        prices = odds.DROP_PRICES if kind == "drop" else odds.QUESTION_PRICES
        messages: dict[Platform, tuple[Place, str]] = {}
        author_id = await self._member_id(author)
        async with self.uow() as unit:
            content = await register_content(
                unit,
                kind=kind,
                ref=f"{kind}:demo:{next(self._ids)}",
                title=title,
                author_id=author_id,
                at=now,
                price=self.settings.money(self.rng.choice(prices)),
            )
            for platform in (Platform.DISCORD, Platform.TELEGRAM):
                where, message = place(platform, *channels), str(next(self._ids))
                await show(unit, content, where, message)
                messages[platform] = (where, message)
        self.shown.append(Shown(now, odds.popularity(self.rng), messages))

    async def _interact(self, person: Person) -> None:
        """React to or reply on a content, picked by popularity and freshness."""
        rng, now = self.rng, self.clock.now()
        platform = rng.choice(person.platforms)
        shown = odds.pick(rng, self.shown, platform, now)
        if shown is None:
            return
        where, message = shown.messages[platform]
        actor = person.actor(platform)
        if rng.random() < odds.REPLY_SHARE:
            thread = shown.replies.setdefault(platform, [])
            threaded = bool(thread) and rng.random() < odds.THREAD_SHARE
            answering = rng.choice(thread) if threaded else message
            reply, text = str(next(self._ids)), rng.choice(odds.REPLIES)
            await self.dispatcher.notify(MessagePosted(actor, where, reply, text, answering))
            thread.append(reply)
        elif (platform, message) not in person.reacted:  # one reaction per member and message
            person.reacted.add((platform, message))
            emoji = rng.choice(odds.EMOJIS)
            await self.dispatcher.notify(ReactionChanged(actor, where, message, emoji, added=True))
            if rng.random() < odds.TAKEN_BACK:
                back = ReactionChanged(actor, where, message, emoji, added=False)
                later = now + timedelta(minutes=rng.randrange(1, 180))
                self._at(later, partial(self.dispatcher.notify, back))

    async def _link(self, person: Person) -> None:
        """/link on the home platform, then the code typed on the other one."""
        other = Platform.TELEGRAM if person.home is Platform.DISCORD else Platform.DISCORD
        issued = await self.dispatcher.handle(CommandEvent(person.actor(), private(person), "link"))
        code = LINK_CODE.search(" ".join(e.text for e in issued if isinstance(e, Reply)))
        if code is None:
            raise RuntimeError(f"/link gave no code: {issued}")
        typed = CommandEvent(person.actor(other), private(person, other), "link", code.group())
        await self.dispatcher.handle(typed)
        person.platforms.append(other)

    # ------------------------------------------------------------------ money

    async def _buy(self, person: Person) -> None:
        """/join, then the sandbox checkout is paid; a recurring tier becomes a subscription
        the demo renews as a provider would."""
        assert person.tier is not None
        tier = self.settings.tiers[person.tier]
        offer = await self.dispatcher.handle(
            CommandEvent(person.actor(), private(person), "join", person.tier)
        )
        url = next((b.url for e in offer if isinstance(e, Reply) for b in e.buttons if b.url), None)
        if url is None:
            raise RuntimeError(f"/join {person.tier} offered no checkout: {offer}")
        now, n = self.clock.now(), next(self._ids)
        price = tier.price_money(self.settings.community.currency)
        recurring = tier.interval != "lifetime"
        period_end = now + PERIODS[tier.interval] if recurring else None
        paid = replace(
            self._news(PaymentEventKind.PAID),
            checkout_ref=f"sandbox_{url.rsplit('/', 1)[-1]}",  # the page's reference, as it does
            charge_ref=f"ch_demo_{n}",
            subscription_ref=f"sub_demo_{n}" if recurring else None,
            amount=price,
            period_end=period_end,
            subscription_status="active" if recurring else None,
        )
        payment = await self._apply(paid)
        subscription = _Subscription(payment.id, price, tier.interval, period_end)
        self.charges += 1
        if self.rng.random() < odds.REFUNDS:
            refund = partial(self._refund, subscription)
            self._at(now + timedelta(days=self.rng.randrange(1, 7)), refund)
        elif period_end is not None:
            self._at(period_end, partial(self._renew, subscription))

    async def _renew(self, subscription: _Subscription) -> None:
        roll = self.rng.random()
        if roll < odds.CHURN:
            await self._end(subscription)
        elif roll < odds.CHURN + odds.FAILS:
            failed = self._news(PaymentEventKind.RENEWAL_FAILED, subscription.payment_id)
            await self._apply(replace(failed, subscription_status="past_due"))
            # Half pay within the grace days; the others lapse and the provider gives up.
            recovers = self.rng.random() < odds.RECOVERS
            then = partial(self._charge if recovers else self._end, subscription)
            self._at(self.clock.now() + timedelta(days=2 if recovers else 5), then)
        else:
            await self._charge(subscription)

    async def _charge(self, subscription: _Subscription) -> None:
        assert subscription.period_end is not None
        subscription.period_end += PERIODS[subscription.interval]
        renewed = replace(
            self._news(PaymentEventKind.RENEWED, subscription.payment_id),
            charge_ref=f"ch_demo_{next(self._ids)}",
            amount=subscription.price,
            period_end=subscription.period_end,
            subscription_status="active",
        )
        await self._apply(renewed)
        self.charges += 1
        self._at(subscription.period_end, partial(self._renew, subscription))

    async def _refund(self, subscription: _Subscription) -> None:
        """A money-back request in the first week: the whole payment, and the end of it."""
        refunded = self._news(PaymentEventKind.REFUNDED, subscription.payment_id)
        await self._apply(replace(refunded, amount=subscription.price))
        if subscription.period_end is not None:
            await self._end(subscription)

    async def _end(self, subscription: _Subscription) -> None:
        ended = self._news(PaymentEventKind.SUBSCRIPTION_ENDED, subscription.payment_id)
        await self._apply(replace(ended, subscription_status="canceled"))

    def _news(self, kind: PaymentEventKind, payment_id: int | None = None) -> PaymentEvent:
        return PaymentEvent(
            "sandbox", kind, f"evt_demo_{next(self._ids)}", self.clock.now(), payment_id=payment_id
        )

    async def _apply(self, news: PaymentEvent) -> Payment:
        """What the provider's webhook would report, applied as the webhook handler does."""
        async with self.uow() as unit:
            payment = await self.payments.apply(unit, news)
        if payment is None:
            raise RuntimeError(f"{news.kind} matched no payment: {news}")
        return payment

    async def _grant(self, person: Person) -> None:
        """A moderator books a transfer: WeChat Pay in yuan, or a bank transfer in dollars."""
        member_id = await self._member_id(person)
        n = next(self._ids)
        paid = f"paid:65cny ref:WX{n}" if self.rng.random() < 0.6 else f"paid:9.00usd ref:BK{n}"
        line = f"#{member_id} {person.tier} {paid} reason:transfer"
        mod = self.moderator
        where = place(mod.home, odds.MOD_CHANNEL, odds.COMMUNITY_CHAT)
        granted = await self.dispatcher.handle(CommandEvent(mod.actor(), where, "grant", line))
        if not any("now holds" in getattr(effect, "text", "") for effect in granted):
            raise RuntimeError(f"/grant {line} was refused: {granted}")
        if self.rng.random() < odds.REGRANTS:
            self._at(self.clock.now() + PERIODS["month"], partial(self._grant, person))

    async def _member_id(self, person: Person) -> int:
        if person.member_id is None:
            async with self.uow() as unit:
                identity = await resolve_actor(unit, person.actor(), self.clock.now())
                person.member_id = identity.member_id
        return person.member_id

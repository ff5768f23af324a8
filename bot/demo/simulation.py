"""`knowpay demo`: a believable community simulated through the real handlers, payments, ledger,
outbox and report, in a fresh SQLite file; the latest weekly report is written to a folder.

The community is a year old when the simulated weeks begin (`REPORT_WEEK` is fixed, so a seed
always gives the same report). A fake clock walks day by day through that year, when members
join, pay and renew, and then through the weeks in full. Each day, in time order: newcomers join
the Discord server or the Telegram chat (a few /link their other account later); members /join a
tier and pay at the sandbox checkout, whose billing then renews them on their anniversaries,
declines a card now and then (most are retried in the grace days), ends what they stopped
renewing; a few ask for their money back; a moderator /grants the tier to those who paid by
WeChat or bank transfer. In the simulated weeks, also: creators post in the tracked channel
and chat, a creator writes and publishes the weekly drop (/drop new, /drop publish), members
/ask paid questions that an expert answers and the asker accepts, others /unlock the answers
and the drops; members react (sometimes taking it back) and reply. At each day's end run the
bot's own jobs: the sandbox's billing, the membership lifecycle, the Q&A deadlines, the
outbox (whose posts the demo's platforms give message ids) and the interactions' upkeep.

Left out: tier switches, disputes and Telegram Stars.
"""

from __future__ import annotations

import heapq
import itertools
import random
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Secrets, Settings
from bot.core.clock import FakeClock
from bot.core.delivery import OutboxWorker
from bot.core.dispatcher import Dispatcher
from bot.core.effects import Button, Effect, PostToChat, Reply
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
from bot.core.parsing import split_command
from bot.demo import people as odds
from bot.demo.people import Person, Shown, place, private
from bot.demo.platforms import DemoPlatform
from bot.payments_wiring import wire_payments
from cogs import build_registry
from cogs.engagement.report_build import build_report
from cogs.engagement.report_chart import render_chart
from cogs.engagement.report_render import to_json, to_markdown
from cogs.engagement.upkeep import keep_interactions
from cogs.engagement.weeks import Week, day_start
from cogs.membership.lifecycle import run_lifecycle
from cogs.qa.service import keep_deadlines
from payments.events import PaymentEvent, PaymentEventKind
from payments.providers.sandbox import REFERENCE_PREFIX
from payments.purposes import Purpose
from storage.engine import make_engine, make_sessionmaker
from storage.interaction_recorder import InteractionRecorder
from storage.migrate import upgrade
from storage.models import Payment
from storage.uow import UnitOfWorkFactory

REPORT_WEEK = Week(2026, 48)
DATABASE = "knowpay-demo.db"
LINK_CODE = re.compile(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}\b")
DROP_LABEL = re.compile(r"/drop publish (D\d+)")

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
    charges: int  # checkouts paid and renewals charged through the sandbox
    active_members: int
    gross: Money  # the week's gross income in the community currency
    engagement_value: float  # T
    seconds: float


def days_simulated(weeks: int) -> int:
    """How many days `run_demo` walks through (and reports progress on) for `weeks`."""
    return odds.HISTORY_DAYS + weeks * 7


async def run_demo(
    out_dir: Path,
    *,
    members: int = 300,
    weeks: int = 4,
    seed: int = 7,
    progress: Progress | None = None,
) -> DemoResult:
    """Simulate `members` people over a year of payments and `weeks` weeks of everything into
    `out_dir`/knowpay-demo.db (replaced if there) and write report.md, report.json and
    report.png for the last of those weeks. `progress(days_done, days)` is called after each
    simulated day."""
    if members < 1 or weeks < 1:
        raise ValueError("the demo needs at least one member and one week")
    started = time.perf_counter()
    database = _fresh_database(out_dir)
    settings = odds.demo_settings()
    # Nothing else waits on this loop: SQLite's calls run in its thread, not in aiosqlite's.
    engine = make_engine(f"sqlite+aiosqlite:///{database}", in_loop=True)
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
        self.clock = FakeClock(day_start(self.first_day - timedelta(days=odds.HISTORY_DAYS), tz))
        self.uow = UnitOfWorkFactory(make_sessionmaker(engine))
        self.recorder = InteractionRecorder(engine, tz)
        wired = wire_payments(settings, Secrets.from_env({}), self.uow, self.clock, self.recorder)
        assert wired.sandbox is not None  # the demo's settings take no real money
        self.services, self.billing = wired.services, wired.sandbox
        self.dispatcher = Dispatcher(
            registry=build_registry(self.services),
            uow=self.uow,
            clock=self.clock,
            settings=settings,
        )
        self._ids = itertools.count(1)  # message ids, transfer references
        platforms = [
            DemoPlatform(platform.value, self._ids, self._posted)
            for platform in (Platform.DISCORD, Platform.TELEGRAM)
        ]
        deliverers = {d.platform: d for d in (*platforms, *wired.deliverers)}
        self.outbox = OutboxWorker(self.uow, deliverers, self.clock)
        self.people = odds.population(rng, members, self.days)
        self.creators, self.moderator = odds.staff(members)
        self.shown: list[Shown] = []
        self._shown_by_ref: dict[str, Shown] = {}
        self.charges = 0
        self._queue: list[tuple[datetime, int, Action]] = []
        self._order = itertools.count()  # ties in time run in the order they were planned
        self._does: dict[odds.Doing, Callable[[Person], Awaitable[None]]] = {
            "join": self._join,
            "interact": self._interact,
            "buy": self._buy,
            "grant": self._grant,
            "link": self._link,
            "post": self._post,
            "drop": self._drop,
            "ask": self._ask,
        }

    async def run(self, progress: Progress | None) -> None:
        tz = self.settings.community.tzinfo
        days = range(-odds.HISTORY_DAYS, self.days)
        for done, day in enumerate(days, start=1):
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
            await self._jobs(lively=day >= 0)
            if progress is not None:
                progress(done, len(days))

    async def _jobs(self, lively: bool) -> None:
        """What the bot's scheduler runs, once a day here; before the simulated weeks there
        are no questions or interactions to keep."""
        billed = await self.billing.bill_due()
        self.charges += billed.renewed
        await run_lifecycle(self.uow, self.settings, self.clock)
        if lively:
            await keep_deadlines(self.uow, self.services, self.settings, self.clock)
        await self._deliver()
        if lively:
            await keep_interactions(self.uow, self.settings, self.clock)
        # Outside any unit of work: the recorder takes SQLite's write turn.
        await self.recorder.flush()

    async def _deliver(self) -> None:
        while await self.outbox.run_once():
            pass

    def _at(self, when: datetime, action: Action) -> None:
        heapq.heappush(self._queue, (when, next(self._order), action))

    def _later(self, hours: tuple[int, int], action: Action) -> None:
        self._at(self.clock.now() + timedelta(minutes=self.rng.randrange(*hours) * 60), action)

    async def _command(self, person: Person, line: str, where: Place | None = None) -> list[Effect]:
        """`line` typed as a command, by default in a private chat with the bot."""
        parsed = split_command(line)
        assert parsed is not None, line
        name, arguments = parsed
        return await self.dispatcher.handle(
            CommandEvent(person.actor(), where or private(person), name, arguments)
        )

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
            self._at(
                now + timedelta(minutes=rng.randrange(1, 30)), partial(self.dispatcher.notify, own)
            )

    def _posted(self, post: PostToChat, message: str) -> None:
        """A post the outbox delivered: one in a public channel shows its content to all."""
        if post.content_ref is None or post.chat_id not in odds.PUBLIC_CHATS:
            return
        shown = self._shown_by_ref.get(post.content_ref)
        if shown is None:
            shown = Shown(self.clock.now(), odds.popularity(self.rng), {})
            self._shown_by_ref[post.content_ref] = shown
            self.shown.append(shown)
        platform = Platform(post.platform)
        shown.messages[platform] = (Place(platform, post.chat_id, False), message)

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
                self._at(
                    now + timedelta(minutes=rng.randrange(1, 180)),
                    partial(self.dispatcher.notify, back),
                )

    async def _link(self, person: Person) -> None:
        """/link on the home platform, then the code typed on the other one."""
        other = Platform.TELEGRAM if person.home is Platform.DISCORD else Platform.DISCORD
        issued = await self._command(person, "/link")
        code = LINK_CODE.search(" ".join(e.text for e in issued if isinstance(e, Reply)))
        if code is None:
            raise RuntimeError(f"/link gave no code: {issued}")
        typed = CommandEvent(person.actor(other), private(person, other), "link", code.group())
        await self.dispatcher.handle(typed)
        person.platforms.append(other)

    # ------------------------------------------------------------------ content for sale

    async def _drop(self, creator: Person) -> None:
        """Drop night: the creator writes the drop, reads the preview and presses Publish."""
        title, body = odds.drop_title(self.rng), odds.drop_body(self.rng)
        price = self.rng.choice(odds.DROP_PRICES)
        preview = await self._command(
            creator, f"/drop new member,pro price:{price}\n{title}\n{body}"
        )
        found = DROP_LABEL.search(" ".join(b.command or "" for b in _buttons(preview)))
        if found is None:
            raise RuntimeError(f"/drop new gave no drop to publish: {preview}")
        drop = found.group(1)
        await self._command(creator, f"/drop publish {drop}")
        await self._deliver()  # the teasers are up before anyone reacts to them
        for buyer in self._audience(odds.DROP_BUYERS, paying=False):
            self._later((1, 96), partial(self._unlock, buyer, drop))

    async def _ask(self, asker: Person) -> None:
        """A paid question: asked and paid, answered by an expert, accepted by the asker (or,
        after `[qa] accept_days`, by the deadline job); then others pay to listen in."""
        price = self.rng.choice(odds.QUESTION_PRICES)
        paid = await self._checkout(
            asker, f"/ask price:{price} {odds.question_title(self.rng)}\n{odds.QUESTION_BODY}"
        )
        if paid is None:
            raise RuntimeError(f"/ask price:{price} gave no checkout")
        await self._deliver()
        question = Purpose.parse(paid.purpose).ref
        expert = self.rng.choice(self.creators)
        self._later(odds.ANSWER_WITHIN_HOURS, partial(self._answer, expert, asker, question))

    async def _answer(self, expert: Person, asker: Person, question: str) -> None:
        await self._command(expert, f"/answer {question} {self.rng.choice(odds.ANSWERS)}")
        if self.rng.random() < odds.ACCEPTED_BY_ASKER:
            self._later((1, 24), partial(self._command, asker, f"/accept {question}"))
        for listener in self._audience(odds.LISTENERS, paying=None, besides=(asker,)):
            self._later((26, 120), partial(self._unlock, listener, question))

    async def _unlock(self, person: Person, what: str) -> None:
        await self._checkout(person, f"/unlock {what}")

    def _audience(
        self, mean: float, *, paying: bool | None, besides: Sequence[Person] = ()
    ) -> list[Person]:
        """A few members already here (payers or not, or either), about `mean` of them."""
        today = (self.clock.now() - day_start(self.first_day, self.settings.community.tzinfo)).days
        here = [
            p
            for p in self.people
            if p.join_day <= today
            and p not in besides
            and (paying is None or (p.tier is not None and p.pay_day <= today) == paying)
        ]
        count = min(len(here), odds.poisson(self.rng, mean))
        return self.rng.sample(here, count)

    # ------------------------------------------------------------------ money

    async def _checkout(self, person: Person, line: str) -> Payment | None:
        """Run the command, open the checkout it offers and press Pay, as the sandbox page
        does; None when it offered none (the drop was readable already, say)."""
        offer = await self._command(person, line)
        url = next((b.url for b in _buttons(offer) if b.url), None)
        if url is None:
            return None
        async with self.uow() as unit:
            payment = await unit.payments.by_checkout(REFERENCE_PREFIX + url.rsplit("/", 1)[-1])
            if payment is None or payment.status != "pending":
                raise RuntimeError(f"{line}: its checkout {url} has no pending payment")
            await self.billing.pay(unit, payment)
        self.charges += 1
        return payment

    async def _buy(self, person: Person) -> None:
        """/join and pay; some ask for new drops by DM, some want their money back within the
        week, and a subscription's renewals are decided as each comes near."""
        assert person.tier is not None
        payment = await self._checkout(person, f"/join {person.tier}")
        if payment is None:
            raise RuntimeError(f"/join {person.tier} offered no checkout")
        if self.rng.random() < odds.DROP_NOTICES:
            await self._command(person, "/notify on")
        if self.rng.random() < odds.REFUNDS:
            self._later((24, 7 * 24), partial(self._refund, payment.id))
        elif payment.interval is not None:
            self._at(self.clock.now(), partial(self._renewal_nears, payment.id))

    async def _renewal_nears(self, payment_id: int) -> None:
        """A few days before each renewal the member may stop renewing (on the sandbox page),
        or their card will be declined, and most then pay within the grace days."""
        now = self.clock.now()
        async with self.uow() as unit:
            payment = await unit.payments.get(payment_id)
            assert payment is not None
            view = await self.billing.view(unit, payment)
        again = partial(self._renewal_nears, payment_id)
        if view is None or view.status in ("ended", "cancelling") or view.period_end is None:
            return
        if view.status == "past_due" or view.period_end - now > odds.DECIDED_BEFORE:
            self._at(max(now + timedelta(days=1), view.period_end - odds.DECIDED_BEFORE), again)
            return
        roll = self.rng.random()
        if roll < odds.CHURN:
            await self.billing.cancel(payment_id, at_period_end=True)
            return
        if roll < odds.CHURN + odds.FAILS:
            await self.billing.fail_next_renewal(payment_id, True)
            if self.rng.random() < odds.RECOVERS:
                days = timedelta(days=self.rng.randrange(1, 6))
                self._at(view.period_end + days, partial(self.billing.retry, payment_id))
        self._at(view.period_end + timedelta(days=1), again)

    async def _refund(self, payment_id: int) -> None:
        """The owner refunds the payment in the provider's dashboard, whose webhook says so."""
        async with self.uow() as unit:
            payment = await unit.payments.get(payment_id)
            assert payment is not None
            refunded = PaymentEvent(
                "sandbox",
                PaymentEventKind.REFUNDED,
                f"{payment.checkout_ref}:refund",
                self.clock.now(),
                payment_id=payment.id,
                amount=Money(payment.amount_minor, payment.currency),
            )
            await self.services.payments.apply(unit, refunded)
        if payment.interval is not None:
            await self.billing.cancel(payment_id, at_period_end=True)

    async def _grant(self, person: Person) -> None:
        """A moderator books a transfer: WeChat Pay in yuan, or a bank transfer in dollars."""
        member_id = await self._member_id(person)
        n = next(self._ids)
        paid = f"paid:85cny ref:WX{n}" if self.rng.random() < 0.6 else f"paid:12.00usd ref:BK{n}"
        line = f"/grant #{member_id} {person.tier} {paid} reason:transfer"
        where = place(self.moderator.home, odds.MOD_CHANNEL, odds.COMMUNITY_CHAT)
        granted = await self._command(self.moderator, line, where)
        if not any("now holds" in getattr(effect, "text", "") for effect in granted):
            raise RuntimeError(f"{line} was refused: {granted}")
        if self.rng.random() < odds.REGRANTS:
            self._at(self.clock.now() + timedelta(days=30), partial(self._grant, person))

    async def _member_id(self, person: Person) -> int:
        if person.member_id is None:
            async with self.uow() as unit:
                identity = await resolve_actor(unit, person.actor(), self.clock.now())
                person.member_id = identity.member_id
        return person.member_id


def _buttons(effects: Sequence[Effect]) -> list[Button]:
    return [button for effect in effects if isinstance(effect, Reply) for button in effect.buttons]

"""The people of `knowpay demo` and the odds they live by: who joins when, on which platform,
how active they are, who pays for what, and the community's configuration.

Days are counted from the first of the simulated weeks: the year before it (negative days) is
the community's history, when members join and pay but nobody's activity is simulated.

Activity and popularity are heavy-tailed (Pareto), as in real communities: most members lurk
or react now and then, a few do most of the talking, and a few posts get most of the attention.
Everything is drawn from one seeded `random.Random`, so a seed always gives the same community.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from bot.config import Settings, settings_from_dict
from bot.core.events import Actor, Place, Platform
from bot.core.permissions import Level

# Ids of the demo's Discord server and channels, and of its Telegram chats.
GUILD, POSTS_CHANNEL, DROPS_CHANNEL, QA_CHANNEL, MOD_CHANNEL = (
    900000000000000001,
    900000000000000002,
    900000000000000003,
    900000000000000004,
    900000000000000005,
)
MEMBER_ROLE, PRO_ROLE = 900000000000000010, 900000000000000011
COMMUNITY_CHAT, DROPS_CHAT, QA_CHAT = -1009000000001, -1009000000002, -1009000000003
MEMBERS_CHAT, PRO_CHAT = -1009000000010, -1009000000011

SETTINGS = {
    "community": {"name": "Byte Club (demo)", "currency": "usd", "timezone": "Asia/Shanghai"},
    "discord": {
        "guild_id": GUILD,
        "qa_channel_id": QA_CHANNEL,
        "drops_channel_id": DROPS_CHANNEL,
        "report_channel_id": MOD_CHANNEL,
    },
    "telegram": {
        "community_chat_id": COMMUNITY_CHAT,
        "qa_chat_id": QA_CHAT,
        "drops_chat_id": DROPS_CHAT,
    },
    "tiers": {
        "member": {
            "name": "Member",
            "price": "12.00",
            "interval": "month",
            "discord_role_ids": [MEMBER_ROLE],
            "telegram_chat_ids": [MEMBERS_CHAT],
        },
        "pro": {
            "name": "Pro",
            "price": "120.00",
            "interval": "year",
            "discord_role_ids": [MEMBER_ROLE, PRO_ROLE],
            "telegram_chat_ids": [MEMBERS_CHAT, PRO_CHAT],
        },
        "lifetime": {
            "name": "Lifetime",
            "price": "299.00",
            "interval": "lifetime",
            "discord_role_ids": [MEMBER_ROLE, PRO_ROLE],
            "telegram_chat_ids": [MEMBERS_CHAT, PRO_CHAT],
        },
    },
    "engagement": {"track": {"discord": [POSTS_CHANNEL], "telegram": [COMMUNITY_CHAT]}},
}

HISTORY_DAYS = 364  # the community's age when the simulated weeks begin
# Where contents are posted for everyone: the posts, the drops' teasers, the questions.
PUBLIC_CHATS = frozenset(
    str(chat)
    for chat in (POSTS_CHANNEL, DROPS_CHANNEL, QA_CHANNEL, COMMUNITY_CHAT, DROPS_CHAT, QA_CHAT)
)  # as the platforms name them in a post

# Shares of the population. Payers are drawn more often among the active (see `population`).
TELEGRAM_SHARE = 0.4
LURKER_SHARE = 0.3
FOUNDING_SHARE = 0.1  # there from the first day; the others join steadily since
LINKED_SHARE = 0.06  # later link an account on the other platform with /link
BY_HAND_SHARE = 0.15  # of payers: pay by WeChat or bank transfer, granted by a moderator
PAY_WITHIN_DAYS = 28  # payers decide within four weeks of joining
TIER_ODDS = {"member": 0.8, "pro": 0.15, "lifetime": 0.05}
POSTS_PER_WEEK = 3  # per creator
QUESTIONS_PER_WEEK = 1, 0.01  # per week: a base, and so many more per active member
DROP_DAY, DROP_TIME = 2, timedelta(hours=20)  # Wednesday evening is drop night
REPLY_SHARE = 0.25  # of interactions; the rest are reactions
THREAD_SHARE = 0.3  # of replies: answering another reply rather than the content itself
TAKEN_BACK = 0.06  # of reactions
SELF_REACTION = 0.25  # of posts: the creator reacts too (which does not count)
# Of renewals: cancelled, failed (of which RECOVERS are paid within the grace days); of first
# payments: refunded within a week. Renewals are decided this long before they fall due.
CHURN, FAILS, RECOVERS, REFUNDS = 0.06, 0.05, 0.7, 0.03
DECIDED_BEFORE = timedelta(days=3)
REGRANTS = 0.8  # members paying by transfer who pay again for the next month
DROP_NOTICES = 0.3  # of payers: ask for new drops by private message
DROP_PRICES, QUESTION_PRICES = ("4.99", "9.00", "12.00"), ("5.00", "10.00", "20.00", "30.00")
DROP_BUYERS = 2.5  # members without a tier who buy a drop, on average
LISTENERS = 1.5  # members who pay to read an accepted answer, on average
ANSWER_WITHIN_HOURS = 2, 30
ACCEPTED_BY_ASKER = 0.8  # the others are accepted by the deadline job after [qa] accept_days
# Weekly interactions of an active member: BASE_RATE x Pareto(ACTIVITY_ALPHA), capped.
BASE_RATE, ACTIVITY_ALPHA, RATE_CAP = 1.8, 1.5, 40.0
POPULARITY_ALPHA = 1.2
HALF_LIFE = timedelta(days=1.5)  # the attention a content gets halves this often
FRESH = timedelta(days=10)  # older contents get no more attention
# Evenings are busy, nights quiet; weekends a little quieter (the weights average to 1).
HOURLY = (2, 1, 1, 1, 1, 1, 2, 3, 5, 6, 6, 6, 7, 6, 6, 6, 6, 7, 9, 11, 12, 11, 8, 4)
WEEKDAY = (1.1, 1.1, 1.1, 1.1, 1.05, 0.8, 0.75)

FIRST_NAMES = (
    "Ada",
    "Alan",
    "Bo",
    "Chloe",
    "Dan",
    "Eve",
    "Fatima",
    "Gus",
    "Hana",
    "Ivan",
    "Jia",
    "Kai",
    "Lena",
    "Mei",
    "Noah",
    "Olu",
    "Priya",
    "Quinn",
    "Rui",
    "Sara",
    "Tom",
    "Uma",
    "Vic",
    "Wen",
    "Yara",
    "Zoe",
    "Leo",
    "Iris",
    "Omar",
    "Xin",
)
INITIALS = "ABCDEFGHJKLMNPRSTVWXYZ"
TOPICS = (
    "Rust lifetimes",
    "asyncio",
    "PostgreSQL indexes",
    "SQLite WAL",
    "Kubernetes probes",
    "TypeScript generics",
    "Go channels",
    "CI caching",
    "LLM evals",
    "React server components",
    "gRPC streaming",
    "Linux perf",
)
POST_ANGLES = ("a field guide", "what I got wrong", "benchmarks", "live notes", "a deep dive")
DROP_FORMATS = ("cheat sheet (PDF)", "source code pack", "video walkthrough", "workbook")
EMOJIS = ("👍", "🔥", "❤️", "🎉", "🤯", "👀")
REPLIES = ("Thanks, this helped!", "What about Windows?", "+1", "Slides please?", "Same bug here.")
QUESTIONS = ("How do I debug {} in production?", "Is it worth learning {} for a small team?")
QUESTION_BODY = "We tried the obvious things; what would you look at first?"
ANSWERS = (
    "Measure first: a flame graph usually points at it in minutes.",
    "Start small: one service, one week, and compare the numbers.",
    "Turn on the slow log and read the three worst offenders.",
)
DROP_BODIES = (
    "Everything from the live session, cleaned up, with the examples that work.",
    "The checklist we use in review, with the reasons behind each line.",
)


@dataclass
class Person:
    """A member, a creator or a moderator, with an account on one platform or, after /link,
    on both."""

    name: str
    number: int  # makes the platform user ids
    platforms: list[Platform]
    level: Level | None = None  # what the platform vouches for (a creator or moderator role)
    join_day: int = 0
    rate: float = 0.0  # interactions per week
    tier: str | None = None  # the tier they will buy
    by_hand: bool = False  # pays by transfer; a moderator grants the tier
    pay_day: int = 0
    link_day: int | None = None
    member_id: int | None = None  # known once they reached the bot
    reacted: set[tuple[Platform, str]] = field(default_factory=set)

    @property
    def home(self) -> Platform:
        return self.platforms[0]

    def actor(self, platform: Platform | None = None) -> Actor:
        platform = platform or self.home
        user_id = self.number + (700_000_000_000_000_000 if platform is Platform.DISCORD else 0)
        handle = self.name.lower().replace(" ", "_")
        return Actor(platform, str(user_id), self.name, username=handle, level=self.level)


Doing = Literal["join", "interact", "buy", "grant", "link", "post", "drop", "ask"]


@dataclass(frozen=True)
class Planned:
    at: datetime
    doing: Doing
    person: Person


@dataclass
class Shown:
    """A content as members see it: its message on each platform, and the replies to it."""

    created: datetime
    popular: float
    messages: dict[Platform, tuple[Place, str]]
    replies: dict[Platform, list[str]] = field(default_factory=dict)


def demo_settings() -> Settings:
    return settings_from_dict(SETTINGS, source="knowpay demo")


def place(platform: Platform, discord: int, telegram: int) -> Place:
    return Place(platform, str(discord if platform is Platform.DISCORD else telegram), False)


def private(person: Person, platform: Platform | None = None) -> Place:
    actor = person.actor(platform)
    return Place(actor.platform, actor.user_id)


def population(rng: random.Random, members: int, days: int) -> list[Person]:
    people = []
    for n in range(members):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(INITIALS)}."
        home = Platform.TELEGRAM if rng.random() < TELEGRAM_SHARE else Platform.DISCORD
        lurker = rng.random() < LURKER_SHARE
        rate = 0.0 if lurker else min(RATE_CAP, BASE_RATE * rng.paretovariate(ACTIVITY_ALPHA))
        founding = rng.random() < FOUNDING_SHARE
        person = Person(
            name=name,
            number=5_000_000_000 + n,
            platforms=[home],
            join_day=-HISTORY_DAYS if founding else rng.randrange(-HISTORY_DAYS, days),
            rate=rate,
        )
        # The engaged pay more often: one in five lurkers, three in five of the heaviest users.
        if rng.random() < 0.2 + 0.4 * min(1.0, rate / 10):
            person.tier = rng.choices(list(TIER_ODDS), weights=list(TIER_ODDS.values()))[0]
            person.by_hand = person.tier == "member" and rng.random() < BY_HAND_SHARE
            person.pay_day = person.join_day + rng.randrange(PAY_WITHIN_DAYS)
        if not lurker and rng.random() < LINKED_SHARE:
            person.link_day = person.join_day + rng.randrange(1, 8)
        people.append(person)
    return people


def staff(members: int) -> tuple[list[Person], Person]:
    """The creators (one per 60 members, at least two, on both platforms) and a moderator."""
    creators = [
        Person(
            name=f"{FIRST_NAMES[-1 - n % len(FIRST_NAMES)]} (creator {n + 1})",
            number=4_000_000_000 + n,
            platforms=[Platform.DISCORD if n % 2 == 0 else Platform.TELEGRAM],
            level=Level.CREATOR,
        )
        for n in range(max(2, members // 60))
    ]
    moderator = Person("Mod Mei", 4_100_000_000, [Platform.DISCORD], level=Level.MOD)
    return creators, moderator


def day_plan(
    rng: random.Random,
    people: list[Person],
    creators: list[Person],
    *,
    day: int,
    start: datetime,
    weekday: int,
) -> list[Planned]:
    """What everyone does on day `day`, which begins at `start`; before day 0, only what
    concerns money: joining, paying, linking."""
    plan: list[Planned] = []
    lively = day >= 0
    for person in (present := [p for p in people if p.join_day <= day]):
        since = start
        if person.join_day == day:
            since = start + time_of_day(rng)
            plan.append(Planned(since, "join", person))
        doings: list[Doing] = (
            ["interact"] * daily_count(rng, person.rate, weekday) if lively else []
        )
        if person.tier and person.pay_day == day:
            doings.append("grant" if person.by_hand else "buy")
        if person.link_day == day:
            doings.append("link")
        # Nothing before they joined.
        at = [max(start + time_of_day(rng), since + timedelta(minutes=5)) for _ in doings]
        plan += [Planned(when, doing, person) for when, doing in zip(at, doings, strict=True)]
    if not lively:
        return plan
    for creator in creators:
        posts = daily_count(rng, POSTS_PER_WEEK, weekday)
        plan += [Planned(start + time_of_day(rng), "post", creator) for _ in range(posts)]
    if weekday == DROP_DAY:
        plan.append(Planned(start + DROP_TIME, "drop", creators[day // 7 % len(creators)]))
    if askers := [p for p in present if p.rate > 0 and p.join_day < day]:
        base, each = QUESTIONS_PER_WEEK
        questions = daily_count(rng, base + each * len(askers), weekday)
        plan += [
            Planned(start + time_of_day(rng), "ask", rng.choice(askers)) for _ in range(questions)
        ]
    return plan


def pick(rng: random.Random, shown: list[Shown], platform: Platform, now: datetime) -> Shown | None:
    """A content to engage with on `platform`: the popular and the fresh are likelier."""
    fresh = [s for s in shown if platform in s.messages and now - s.created < FRESH]
    if not fresh:
        return None
    weights = [s.popular * math.pow(0.5, (now - s.created) / HALF_LIFE) for s in fresh]
    return rng.choices(fresh, weights=weights)[0]


def daily_count(rng: random.Random, weekly_rate: float, weekday: int) -> int:
    """Today's actions, at `weekly_rate` a week."""
    return poisson(rng, weekly_rate / 7 * WEEKDAY[weekday])


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method: fine for the small means here)."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def time_of_day(rng: random.Random) -> timedelta:
    hour = rng.choices(range(24), weights=HOURLY)[0]
    return timedelta(hours=hour, seconds=rng.randrange(3600))


def popularity(rng: random.Random) -> float:
    return rng.paretovariate(POPULARITY_ALPHA)


def post_text(rng: random.Random) -> str:
    topic = rng.choice(TOPICS)
    return f"{topic}: {rng.choice(POST_ANGLES)}\nNotes and links from this week's session."


def drop_title(rng: random.Random) -> str:
    return f"{rng.choice(TOPICS)} {rng.choice(DROP_FORMATS)}"


def drop_body(rng: random.Random) -> str:
    return rng.choice(DROP_BODIES)


def question_title(rng: random.Random) -> str:
    return rng.choice(QUESTIONS).format(rng.choice(TOPICS))

"""The reconciler's decisions, against an in-memory platform (the adapters' sides are tested
against the fakes in tests/adapters)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from bot.core.access import Access, Holder
from bot.core.clock import FakeClock
from bot.core.events import Platform
from bot.core.permissions import Level
from cogs.membership.reconcile import Reconciler
from cogs.membership.service import entitle, withdraw
from storage.uow import UnitOfWorkFactory
from tests.conftest import make_settings

ROLE, PRO_ROLE, OTHER_ROLE, CHAT = 11, 12, 99, -100
SETTINGS = make_settings(
    tiers={
        "member": {
            "name": "Member",
            "price": "9.00",
            "interval": "month",
            "discord_role_ids": [ROLE],
            "telegram_chat_ids": [CHAT],
        },
        "pro": {
            "name": "Pro",
            "price": "30.00",
            "interval": "month",
            "discord_role_ids": [PRO_ROLE],
        },
    }
)


@dataclass
class Board:
    """A platform that lists everyone, holding roles in memory."""

    roles: dict[str, set[int]]
    platform: Platform = Platform.DISCORD
    calls: list[tuple[str, str, int]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    while_listing: Callable[[], Awaitable[None]] | None = None

    def managed(self, access: Access) -> frozenset[int]:
        return access.roles

    async def holders(
        self, managed: frozenset[int], suspects: Mapping[str, frozenset[int]]
    ) -> AsyncIterator[Holder]:
        if self.while_listing is not None:
            await self.while_listing()
        for user, roles in self.roles.items():
            yield Holder(user, frozenset(roles) & managed)

    async def give(self, user_id: str, target: int, reason: str) -> None:
        self.calls.append(("give", user_id, target))
        self.roles[user_id].add(target)

    async def take(self, user_id: str, target: int, reason: str) -> None:
        if user_id in self.refuse:
            raise RuntimeError("Missing Permissions")
        self.calls.append(("take", user_id, target))
        self.roles[user_id].discard(target)


@dataclass
class Chats:
    """A platform that cannot list anyone: it records whom it was asked about."""

    inside: dict[str, set[int]]
    platform: Platform = Platform.TELEGRAM
    asked: dict[str, frozenset[int]] = field(default_factory=dict)

    def managed(self, access: Access) -> frozenset[int]:
        return access.chats

    async def holders(
        self, managed: frozenset[int], suspects: Mapping[str, frozenset[int]]
    ) -> AsyncIterator[Holder]:
        self.asked = dict(suspects)
        for user, chats in suspects.items():
            yield Holder(user, frozenset(self.inside.get(user, set())) & chats)

    async def take(self, user_id: str, target: int, reason: str) -> None:
        self.inside[user_id].discard(target)


async def _account(
    uow: UnitOfWorkFactory, clock: FakeClock, platform: str, user: str, level: Level = Level.MEMBER
) -> int:
    async with uow() as unit:
        identity = await unit.members.create_with_identity(
            platform=platform,
            platform_user_id=user,
            display_name=user,
            username=user,
            level=int(level),
            now=clock.now(),
        )
        assert identity is not None
        return identity.member_id


async def _grant(uow: UnitOfWorkFactory, clock: FakeClock, member: int, tier: str) -> None:
    async with uow() as unit:
        await entitle(
            unit,
            SETTINGS,
            member_id=member,
            tier=tier,
            status="active",
            ends_at=clock.now() + timedelta(days=30),
            now=clock.now(),
            source="manual",
            payment_id=None,
            actor_id=None,
            reason="test",
        )


async def _end(uow: UnitOfWorkFactory, clock: FakeClock, member: int, tier: str) -> None:
    async with uow() as unit:
        membership = await unit.memberships.get(member, tier)
        assert membership is not None
        await withdraw(
            unit, SETTINGS, membership, status="expired", now=clock.now(), actor_id=None, reason=""
        )


async def test_missing_and_stray_roles_are_repaired_and_others_left_alone(
    uow: UnitOfWorkFactory, clock: FakeClock
) -> None:
    ada = await _account(uow, clock, "discord", "1")
    await _account(uow, clock, "discord", "2")
    await _account(uow, clock, "discord", "3", Level.MOD)
    await _grant(uow, clock, ada, "member")
    board = Board({"1": {OTHER_ROLE}, "2": {PRO_ROLE, OTHER_ROLE}, "3": {ROLE}, "4": {PRO_ROLE}})
    reconciler = Reconciler(uow, SETTINGS, clock, [board])

    dry = await reconciler.run(dry_run=True)
    assert len(dry.repairs) == 3
    assert board.calls == []

    report = await reconciler.run()
    assert sorted(board.calls) == [
        ("give", "1", ROLE),
        ("take", "2", PRO_ROLE),
        ("take", "4", PRO_ROLE),
    ]
    assert board.roles == {"1": {ROLE, OTHER_ROLE}, "2": {OTHER_ROLE}, "3": {ROLE}, "4": set()}
    assert "  took role 12 (an unknown account, discord 4)" in report.lines()
    assert (await reconciler.run()).repairs == []


async def test_a_refused_repair_is_reported_and_the_others_go_on(
    uow: UnitOfWorkFactory, clock: FakeClock
) -> None:
    board = Board({"5": {ROLE}, "6": {ROLE}}, refuse={"5"})
    report = await Reconciler(uow, SETTINGS, clock, [board]).run()
    assert board.calls == [("take", "6", ROLE)]
    assert report.failures == ["discord 5: Missing Permissions"]


async def test_a_grant_that_lands_during_the_listing_is_not_undone(
    uow: UnitOfWorkFactory, clock: FakeClock
) -> None:
    ada = await _account(uow, clock, "discord", "1")

    async def ada_pays_meanwhile() -> None:
        await _grant(uow, clock, ada, "member")

    board = Board({"1": {ROLE}}, while_listing=ada_pays_meanwhile)
    report = await Reconciler(uow, SETTINGS, clock, [board]).run()
    assert report.repairs == []
    assert board.roles["1"] == {ROLE}


async def test_only_recent_former_members_are_asked_about_where_nobody_can_be_listed(
    uow: UnitOfWorkFactory, clock: FakeClock
) -> None:
    current = await _account(uow, clock, "telegram", "10")
    lately = await _account(uow, clock, "telegram", "11")
    long_ago = await _account(uow, clock, "telegram", "12")
    staff = await _account(uow, clock, "telegram", "13", Level.MOD)
    for member in (current, lately, long_ago, staff):
        await _grant(uow, clock, member, "member")
    await _end(uow, clock, long_ago, "member")
    clock.advance(timedelta(days=40))
    await _grant(uow, clock, current, "member")
    await _end(uow, clock, lately, "member")
    await _end(uow, clock, staff, "member")
    chats = Chats({"10": {CHAT}, "11": {CHAT}, "12": {CHAT}, "13": {CHAT}})

    report = await Reconciler(uow, SETTINGS, clock, [chats]).run()
    assert chats.asked == {"11": frozenset({CHAT})}
    assert [(r.user_id, r.action, r.target) for r in report.repairs] == [("11", "take", CHAT)]
    assert chats.inside["11"] == set()

"""Repositories and the unit of work, on SQLite and (when reachable) PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, func, inspect, select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.engine import make_sessionmaker
from storage.models import AuditEntry, LinkCode, Member, PlatformIdentity
from storage.models.base import UtcDateTime
from storage.uow import UnitOfWork, UnitOfWorkFactory

NOW = datetime(2026, 1, 5, tzinfo=UTC)


@pytest.fixture
def uow_factory(engine: AsyncEngine) -> UnitOfWorkFactory:
    return UnitOfWorkFactory(make_sessionmaker(engine))


async def _create(
    uow: UnitOfWork,
    user_id: str,
    *,
    platform: str = "console",
    username: str | None = None,
    at: datetime = NOW,
) -> PlatformIdentity:
    identity = await uow.members.create_with_identity(
        platform=platform,
        platform_user_id=user_id,
        display_name=user_id.title(),
        username=username,
        level=0,
        now=at,
    )
    assert identity is not None
    return identity


async def _count(uow: UnitOfWork, model: type[object]) -> int:
    return await uow.session.scalar(select(func.count()).select_from(model)) or 0


async def test_create_with_identity_then_identity_loads_the_member(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        created = await _create(uow, "alice", username="Alice")
        assert created.id is not None
        assert created.member.identities == [created]
        same = await uow.members.identity("console", "alice")
        assert same is created

    async with uow_factory() as uow:
        found = await uow.members.identity("console", "alice")
        assert await uow.members.identity("console", "nobody") is None
        assert await uow.members.identity("discord", "alice") is None

    # Read after the session has closed: anything not already loaded would raise here.
    assert found is not None
    assert "member" not in inspect(found).unloaded
    assert "identities" not in inspect(found.member).unloaded
    assert found.id == created.id
    assert found.member.id == created.member.id
    assert [i.id for i in found.member.identities] == [created.id]
    assert found.member.identities[0].username == "Alice"
    assert found.member.display_name == "Alice"
    assert found.member.merged_into_id is None
    assert found.last_seen_at == NOW


async def test_second_create_for_the_same_account_returns_none(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        first = await _create(uow, "alice")
        again = await uow.members.create_with_identity(
            platform="console",
            platform_user_id="alice",
            display_name="Impostor",
            username=None,
            level=0,
            now=NOW,
        )
        assert again is None
        # The failed insert rolled back to its savepoint only: the transaction goes on.
        other = await _create(uow, "bob")
        await uow.audit.record("test", at=NOW, actor_id=None, subject_id=other.member_id)

    async with uow_factory() as uow:
        again = await uow.members.create_with_identity(
            platform="console",
            platform_user_id="alice",
            display_name="Impostor",
            username=None,
            level=0,
            now=NOW,
        )
        assert again is None
        assert await _count(uow, Member) == 2
        assert await _count(uow, PlatformIdentity) == 2
        found = await uow.members.identity("console", "alice")
        assert found is not None
        assert found.id == first.id
        assert found.member.display_name == "Alice"
        assert len(await uow.audit.recent()) == 1


async def test_same_user_id_on_another_platform_is_another_account(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        console = await _create(uow, "42", platform="console")
        discord = await _create(uow, "42", platform="discord")
        assert console.member_id != discord.member_id


async def test_find_by_username_is_case_insensitive_and_platform_scoped(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        alice = await _create(uow, "1", platform="console", username="Alice")
        bob = await _create(uow, "2", platform="discord", username="bob")
        await _create(uow, "3", platform="telegram", username=None)

    async with uow_factory() as uow:
        found = await uow.members.find_by_username("console", "ALICE")
        assert found is not None
        assert found.id == alice.member_id
        found = await uow.members.find_by_username("console", "alice")
        assert found is not None
        assert found.id == alice.member_id
        found = await uow.members.find_by_username("discord", "BoB")
        assert found is not None
        assert found.id == bob.member_id
        assert [i.id for i in found.identities] == [bob.id]
        assert await uow.members.find_by_username("discord", "alice") is None
        assert await uow.members.find_by_username("telegram", "bob") is None
        assert await uow.members.find_by_username("console", "ali") is None


async def test_find_by_username_prefers_the_most_recently_seen(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        await _create(uow, "old", username="sam", at=NOW - timedelta(days=3))
        recent = await _create(uow, "new", username="Sam", at=NOW)

    async with uow_factory() as uow:
        found = await uow.members.find_by_username("console", "SAM")
        assert found is not None
        assert found.id == recent.member_id


async def test_move_identities_folds_one_member_into_another(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        keep = await _create(uow, "alice", platform="console")
        gone = await _create(uow, "alice#1", platform="discord")
        # The member being folded has a second account.
        gone_too = PlatformIdentity(
            member_id=gone.member_id,
            platform="telegram",
            platform_user_id="555",
            display_name="Alice",
            level=0,
            created_at=NOW,
            last_seen_at=NOW,
        )
        uow.session.add(gone_too)
        await uow.session.flush()

    async with uow_factory() as uow:
        source = await uow.members.get(gone.member_id)
        target = await uow.members.get(keep.member_id)
        assert source is not None
        assert target is not None
        assert len(source.identities) == 2

        await uow.members.move_identities(source, target)

        assert source.merged_into_id == target.id
        assert source.identities == []
        assert sorted(i.id for i in target.identities) == sorted([keep.id, gone.id, gone_too.id])
        assert all(i.member_id == target.id for i in target.identities)

    async with uow_factory() as uow:
        source = await uow.members.get(gone.member_id)
        target = await uow.members.get(keep.member_id)
        assert source is not None
        assert target is not None
        assert source.merged_into_id == target.id
        assert source.identities == []
        assert target.merged_into_id is None
        assert [i.id for i in target.identities] == sorted([keep.id, gone.id, gone_too.id])
        moved = await uow.members.identity("discord", "alice#1")
        assert moved is not None
        assert moved.member_id == target.id
        assert moved.member.id == target.id


async def test_audit_recent_is_newest_first_and_filters_by_member(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        alice = (await _create(uow, "alice")).member_id
        bob = (await _create(uow, "bob")).member_id
        carol = (await _create(uow, "carol")).member_id
        record = uow.audit.record
        first = await record("a", at=NOW - timedelta(hours=2), actor_id=alice, subject_id=bob)
        # Recorded later but happened earlier: `at` orders, not insertion.
        oldest = await record("b", at=NOW - timedelta(hours=3), actor_id=None, subject_id=carol)
        tie1 = await record("c", at=NOW, actor_id=bob, subject_id=None, detail={"n": 1})
        tie2 = await record("d", at=NOW, actor_id=None, subject_id=alice, detail={"k": "v"})
        assert first.id is not None

    async with uow_factory() as uow:
        entries = await uow.audit.recent()
        # Same instant: the later id (recorded second) comes first.
        assert [e.id for e in entries] == [tie2.id, tie1.id, first.id, oldest.id]
        assert entries[0].detail == {"k": "v"}
        assert entries[1].detail == {"n": 1}
        assert entries[2].detail == {}
        assert entries[0].at == NOW
        assert entries[0].at.tzinfo is UTC

        assert [e.action for e in await uow.audit.recent(limit=2)] == ["d", "c"]
        assert [e.action for e in await uow.audit.recent(member_id=alice)] == ["d", "a"]
        assert [e.action for e in await uow.audit.recent(member_id=bob)] == ["c", "a"]
        assert [e.action for e in await uow.audit.recent(member_id=carol)] == ["b"]
        assert [e.action for e in await uow.audit.recent(member_id=bob, limit=1)] == ["c"]
        assert await uow.audit.recent(member_id=carol + 100) == []


async def test_link_codes_add_get_forget_and_prune(uow_factory: UnitOfWorkFactory) -> None:
    def code(name: str, member_id: int, *, expires: datetime, used: bool = False) -> LinkCode:
        return LinkCode(
            code_hash=name * 64,
            member_id=member_id,
            created_at=NOW - timedelta(minutes=10),
            expires_at=expires,
            used_at=NOW - timedelta(minutes=1) if used else None,
        )

    later = NOW + timedelta(minutes=10)
    async with uow_factory() as uow:
        alice = (await _create(uow, "alice")).member_id
        bob = (await _create(uow, "bob")).member_id
        await uow.link_codes.add(code("a", alice, expires=later))
        await uow.link_codes.add(code("b", alice, expires=later, used=True))
        await uow.link_codes.add(code("c", bob, expires=later))
        await uow.link_codes.add(code("d", bob, expires=NOW - timedelta(seconds=1)))
        await uow.link_codes.add(code("e", bob, expires=NOW))

    async with uow_factory() as uow:
        got = await uow.link_codes.get("a" * 64)
        assert got is not None
        assert got.member_id == alice
        assert got.expires_at == later
        assert got.created_at.tzinfo is UTC
        assert got.used_at is None
        assert await uow.link_codes.get("z" * 64) is None

        await uow.link_codes.forget_member_codes(alice)

    async with uow_factory() as uow:
        assert await uow.link_codes.get("a" * 64) is None
        used = await uow.link_codes.get("b" * 64)
        assert used is not None
        assert used.used_at == NOW - timedelta(minutes=1)
        assert await uow.link_codes.get("c" * 64) is not None

        await uow.link_codes.prune(NOW)

    async with uow_factory() as uow:
        left = await uow.session.scalars(select(LinkCode.code_hash).order_by(LinkCode.code_hash))
        # "d" expired a second ago; "e" expires exactly now and survives (strictly earlier).
        assert [h[0] for h in left] == ["b", "c", "e"]


async def test_utc_datetime_round_trips_aware_values(uow_factory: UnitOfWorkFactory) -> None:
    tokyo = timezone(timedelta(hours=9))
    when = datetime(2026, 1, 5, 9, 30, 15, 123456, tzinfo=tokyo)
    async with uow_factory() as uow:
        member = Member(display_name="Tz", created_at=when)
        uow.session.add(member)
        await uow.session.flush()
        member_id = member.id

    async with uow_factory() as uow:
        stored = await uow.members.get(member_id)
        assert stored is not None
        assert stored.created_at == datetime(2026, 1, 5, 0, 30, 15, 123456, tzinfo=UTC)
        assert stored.created_at.tzinfo is UTC
        # Comparisons in SQL see the same instant, whatever zone it was given in.
        same = await uow.session.scalar(
            select(Member.id).where(Member.created_at == when.astimezone(UTC))
        )
        assert same == member_id
        earlier = await uow.session.scalar(
            select(func.count()).where(Member.created_at < datetime(2026, 1, 5, 1, tzinfo=UTC))
        )
        assert earlier == 1


async def test_utc_datetime_rejects_naive_values(uow_factory: UnitOfWorkFactory) -> None:
    column = UtcDateTime()
    with pytest.raises(ValueError, match="naive"):
        column.process_bind_param(datetime(2026, 1, 5), None)  # type: ignore[arg-type]

    async def write_naive() -> None:
        async with uow_factory() as uow:
            uow.session.add(Member(display_name="Naive", created_at=datetime(2026, 1, 5)))
            await uow.session.flush()

    with pytest.raises(StatementError, match="naive"):
        await write_naive()

    async with uow_factory() as uow:
        assert await _count(uow, Member) == 0


async def test_a_unit_of_work_that_raises_rolls_back(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        kept = await _create(uow, "kept")

    class Boom(Exception):
        pass

    async def write_then_fail() -> None:
        async with uow_factory() as uow:
            alice = await _create(uow, "alice")
            await uow.audit.record("joined", at=NOW, actor_id=None, subject_id=alice.member_id)
            await uow.link_codes.add(
                LinkCode(
                    code_hash="f" * 64,
                    member_id=alice.member_id,
                    created_at=NOW,
                    expires_at=NOW + timedelta(minutes=5),
                )
            )
            stored = await uow.members.get(kept.member_id)
            assert stored is not None
            stored.display_name = "Renamed"
            raise Boom

    with pytest.raises(Boom):
        await write_then_fail()

    async with uow_factory() as uow:
        assert await uow.members.identity("console", "alice") is None
        assert await _count(uow, Member) == 1
        assert await _count(uow, PlatformIdentity) == 1
        assert await _count(uow, AuditEntry) == 0
        assert await _count(uow, LinkCode) == 0
        stored = await uow.members.get(kept.member_id)
        assert stored is not None
        assert stored.display_name == "Kept"


async def test_foreign_keys_are_enforced(uow_factory: UnitOfWorkFactory) -> None:
    async def add_orphan_identity() -> None:
        async with uow_factory() as uow:
            uow.session.add(
                PlatformIdentity(
                    member_id=987654,
                    platform="console",
                    platform_user_id="ghost",
                    display_name="Ghost",
                    level=0,
                    created_at=NOW,
                    last_seen_at=NOW,
                )
            )
            await uow.session.flush()

    async def audit_unknown_actor() -> None:
        async with uow_factory() as uow:
            await uow.audit.record("x", at=NOW, actor_id=987654, subject_id=None)

    async def delete_member(member_id: int) -> None:
        async with uow_factory() as uow:
            await uow.session.execute(delete(Member).where(Member.id == member_id))

    with pytest.raises(IntegrityError):
        await add_orphan_identity()
    with pytest.raises(IntegrityError):
        await audit_unknown_actor()

    async with uow_factory() as uow:
        alice = await _create(uow, "alice")
    # Deleting a member that identities still point at is refused as well.
    with pytest.raises(IntegrityError):
        await delete_member(alice.member_id)

    async with uow_factory() as uow:
        assert await _count(uow, Member) == 1
        assert await _count(uow, PlatformIdentity) == 1
        assert await _count(uow, AuditEntry) == 0


async def test_move_identities_updates_loaded_identities(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        keep = await _create(uow, "alice", platform="console")
        gone = await _create(uow, "alice#1", platform="discord")
        target = keep.member

        await uow.members.move_identities(gone.member, target)

        assert gone.member_id == target.id
        assert gone.member is target


async def test_console_messages_are_handed_out_once_oldest_first(db: UnitOfWorkFactory) -> None:
    now = datetime(2026, 12, 4, 12, tzinfo=UTC)
    async with db() as unit:
        await unit.console_messages.keep("carol", "first", None, now)
        await unit.console_messages.keep("carol", "second", 7, now + timedelta(minutes=1))
        await unit.console_messages.keep("dave", "not carol's", None, now)
    async with db() as unit:
        taken = await unit.console_messages.take_unshown("carol", now + timedelta(hours=1))
    assert [(m.text, m.file_id) for m in taken] == [("first", None), ("second", 7)]
    assert all(m.shown_at == now + timedelta(hours=1) for m in taken)
    async with db() as unit:
        assert await unit.console_messages.take_unshown("carol", now) == []
        [kept] = await unit.console_messages.take_unshown("dave", now)
    assert kept.text == "not carol's"

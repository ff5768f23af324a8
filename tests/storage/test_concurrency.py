"""Units of work racing each other: first contact from one account, and many writers at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.engine import make_sessionmaker
from storage.models import AuditEntry, Member, PlatformIdentity
from storage.uow import UnitOfWorkFactory

NOW = datetime(2026, 1, 5, tzinfo=UTC)
WRITERS = 20


@pytest.fixture
def uow_factory(engine: AsyncEngine) -> UnitOfWorkFactory:
    return UnitOfWorkFactory(make_sessionmaker(engine))


async def _resolve(
    uow_factory: UnitOfWorkFactory, user_id: str, *, created: asyncio.Event | None = None
) -> tuple[int, int, bool]:
    """What a handler does on an event: find the account, creating it on first contact.

    Returns (identity id, member id, whether this call created it)."""
    async with uow_factory() as uow:
        identity = await uow.members.create_with_identity(
            platform="telegram",
            platform_user_id=user_id,
            display_name=f"User {user_id}",
            username=None,
            level=0,
            now=NOW,
        )
        won = identity is not None
        if created is not None:
            created.set()
        identity = identity or await uow.members.identity("telegram", user_id)
        assert identity is not None
        assert identity.member.identities[0].id == identity.id
        return identity.id, identity.member_id, won


async def _counts(uow_factory: UnitOfWorkFactory) -> tuple[int, int]:
    async with uow_factory() as uow:
        members = await uow.session.scalar(select(func.count()).select_from(Member))
        identities = await uow.session.scalar(select(func.count()).select_from(PlatformIdentity))
    return members or 0, identities or 0


async def test_two_units_of_work_resolving_the_same_new_account(
    uow_factory: UnitOfWorkFactory,
) -> None:
    accounts = [str(1000 + n) for n in range(5)]
    for user_id in accounts:
        first, second = await asyncio.gather(
            _resolve(uow_factory, user_id), _resolve(uow_factory, user_id)
        )
        assert first[:2] == second[:2]
        assert [first[2], second[2]].count(True) == 1

    assert await _counts(uow_factory) == (len(accounts), len(accounts))


async def test_the_loser_of_the_race_finds_the_winners_account(
    uow_factory: UnitOfWorkFactory,
) -> None:
    """The second unit of work starts only once the first has inserted (and not yet
    committed): it must wait for the first, fail its insert and read the winner's row."""
    created = asyncio.Event()

    async def late() -> tuple[int, int, bool]:
        await created.wait()
        return await _resolve(uow_factory, "777")

    winner, loser = await asyncio.gather(_resolve(uow_factory, "777", created=created), late())

    assert winner[2] is True
    assert loser == (winner[0], winner[1], False)
    assert await _counts(uow_factory) == (1, 1)


async def test_many_concurrent_writers_all_commit(uow_factory: UnitOfWorkFactory) -> None:
    """On SQLite (a file in WAL mode) the writers queue on BEGIN IMMEDIATE and the busy
    timeout: none of them may fail with "database is locked"."""

    async def writer(n: int) -> None:
        async with uow_factory() as uow:
            # Read first, then write: the pattern that deadlocks with a deferred BEGIN.
            assert await uow.members.identity("discord", str(n)) is None
            identity = await uow.members.create_with_identity(
                platform="discord",
                platform_user_id=str(n),
                display_name=f"Writer {n}",
                username=f"writer{n}",
                level=0,
                now=NOW,
            )
            assert identity is not None
            await uow.audit.record(
                "joined", at=NOW, actor_id=None, subject_id=identity.member_id, detail={"n": n}
            )

    results = await asyncio.gather(*(writer(n) for n in range(WRITERS)), return_exceptions=True)

    assert [r for r in results if r is not None] == []
    assert await _counts(uow_factory) == (WRITERS, WRITERS)
    async with uow_factory() as uow:
        entries = await uow.session.scalar(select(func.count()).select_from(AuditEntry))
    assert entries == WRITERS


async def test_concurrent_units_of_work_on_an_in_memory_database(
    memory_engine: AsyncEngine,
) -> None:
    uow_factory = UnitOfWorkFactory(make_sessionmaker(memory_engine))
    results = await asyncio.gather(
        _resolve(uow_factory, "1"),
        _resolve(uow_factory, "1"),
        _resolve(uow_factory, "2"),
    )
    assert results[0][:2] == results[1][:2]
    assert await _counts(uow_factory) == (2, 2)

"""Alembic migrations: they reach head, match the models, and run again or backwards safely."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.engine import BUSY_TIMEOUT_MS, make_engine
from storage.migrate import current_revision, head_revision, run_alembic, upgrade
from storage.models import Base

TABLES = {
    "sandbox_subscriptions",
    "sandbox_clock",
    "console_messages",
    "members",
    "platform_identities",
    "link_codes",
    "audit_log",
    "payments",
    "webhook_events",
    "ledger_transactions",
    "ledger_entries",
    "outbox",
    "memberships",
    "mrr_changes",
    "contents",
    "content_messages",
    "interactions",
    "interaction_days",
    "rollup_marks",
    "weekly_figures",
    "report_runs",
    "questions",
    "expert_prices",
    "question_unlocks",
    "drops",
    "drop_purchases",
    "drop_notices",
    "drop_files",
}


async def _downgrade(engine: AsyncEngine, revision: str) -> None:
    await run_alembic(engine, command.downgrade, revision)


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    return set(names) - {"alembic_version"}


async def _schema_differences(engine: AsyncEngine) -> list[Any]:
    def compare(connection: Connection) -> list[Any]:
        return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))

    async with engine.connect() as connection:
        return await connection.run_sync(compare)


async def test_upgrade_from_empty_reaches_head(database: Any) -> None:
    engine = database.engine()
    try:
        assert head_revision() == "0012"
        assert await current_revision(engine) is None
        assert await _tables(engine) == set()

        await upgrade(engine)

        assert await current_revision(engine) == head_revision()
        assert await _tables(engine) == TABLES
    finally:
        await engine.dispose()


async def test_migrated_schema_matches_the_models(engine: AsyncEngine) -> None:
    # No allowance for type-affinity noise is needed: compare_type is on (Alembic's default)
    # and the migration spells every type the way the models do, on SQLite and PostgreSQL.
    assert await _schema_differences(engine) == []


async def test_upgrading_twice_is_a_no_op(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO members (display_name, created_at) "
                "VALUES ('kept', '2026-01-05 00:00:00+00:00')"
            )
        )

    await upgrade(engine)

    assert await current_revision(engine) == head_revision()
    async with engine.connect() as connection:
        names = (await connection.execute(text("SELECT display_name FROM members"))).scalars()
        assert list(names) == ["kept"]


async def test_0011_notes_what_earlier_paid_memberships_bring_in(engine: AsyncEngine) -> None:
    """Memberships paid before 0011 get their monthly amount, from their payment: when each
    started, and 0 when it ended; a trial, a grant by hand and a lifetime tier nothing."""

    def day(year: int, number: int) -> datetime:
        return datetime(year, 1, number, tzinfo=UTC)

    await _downgrade(engine, "0010")
    rows = [
        ("member", "active", "payment", 1, "month", 900, day(2026, 5), day(2026, 5)),
        ("team", "expired", "payment", 2, "year", 12000, day(2025, 5), day(2026, 5)),
        ("pro", "trialing", "payment", 3, "month", 3000, day(2026, 6), day(2026, 6)),
        ("gift", "active", "manual", None, None, 0, day(2026, 7), day(2026, 7)),
        ("forever", "active", "payment", 4, None, 9900, day(2026, 8), day(2026, 8)),
    ]
    async with engine.begin() as connection:
        await connection.execute(
            text("INSERT INTO members (id, display_name, created_at) VALUES (1, 'li', :at)"),
            {"at": day(2025, 1)},
        )
        for tier, status, source, payment, interval, amount, started, updated in rows:
            if payment is not None:
                await connection.execute(
                    text(
                        "INSERT INTO payments (id, purpose, member_id, provider, status, "
                        "amount_minor, currency, refunded_minor, cancel_at_period_end, "
                        "interval, trial_days, created_at) VALUES (:id, :purpose, 1, "
                        "'sandbox', 'paid', :amount, 'usd', 0, false, :interval, 0, :at)"
                    ),
                    {
                        "id": payment,
                        "purpose": f"membership:{tier}",
                        "amount": amount,
                        "interval": interval,
                        "at": started,
                    },
                )
            await connection.execute(
                text(
                    "INSERT INTO memberships (member_id, tier, status, source, payment_id, "
                    "started_at, version, updated_at) VALUES (1, :tier, :status, :source, "
                    ":payment, :started, 1, :updated)"
                ),
                {
                    "tier": tier,
                    "status": status,
                    "source": source,
                    "payment": payment,
                    "started": started,
                    "updated": updated,
                },
            )

    await upgrade(engine)

    async with engine.connect() as connection:
        noted = await connection.execute(
            text(
                "SELECT m.tier, c.monthly_minor, c.reason FROM mrr_changes c "
                "JOIN memberships m ON m.id = c.membership_id ORDER BY c.at, c.id"
            )
        )
        assert [tuple(row) for row in noted] == [
            ("team", 1000, "paid"),
            ("member", 900, "paid"),
            ("team", 0, "voluntary"),
        ]


async def test_downgrade_to_base_then_upgrade_again(engine: AsyncEngine) -> None:
    await _downgrade(engine, "base")

    assert await current_revision(engine) is None
    assert await _tables(engine) == set()

    await upgrade(engine)

    assert await current_revision(engine) == head_revision()
    assert await _tables(engine) == TABLES
    assert await _schema_differences(engine) == []


async def test_sqlite_file_database_pragmas(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'pragmas.db'}")
    try:
        await upgrade(engine)
        async with engine.connect() as connection:

            async def pragma(name: str) -> Any:
                return (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar_one()

            assert str(await pragma("journal_mode")).lower() == "wal"
            assert await pragma("foreign_keys") == 1
            assert await pragma("busy_timeout") == BUSY_TIMEOUT_MS == 5000
    finally:
        await engine.dispose()

"""`knowpay demo`: a simulated community writes a complete, reproducible, plausible weekly
report."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from bot.demo.simulation import days_simulated, run_demo


@pytest.fixture(scope="module")
def steady(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, Any], Path]:
    """The demo as `knowpay demo` runs it by default (300 members, the last 4 weeks in full),
    once for the tests that read it."""
    steps: list[tuple[int, int]] = []
    result = asyncio.run(
        run_demo(
            tmp_path_factory.mktemp("demo"),
            progress=lambda done, days: steps.append((done, days)),
        )
    )
    assert steps == [(day, days_simulated(4)) for day in range(1, days_simulated(4) + 1)]
    return result, json.loads(result.json.read_text(encoding="utf-8")), result.database


def _rows(database: Path, query: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(database)) as connection:
        return list(connection.execute(query))


def test_the_three_report_files_are_written(steady: tuple[Any, dict[str, Any], Path]) -> None:
    result, report, _ = steady
    assert result.markdown.read_text(encoding="utf-8").startswith("## Weekly report 2026-W48")
    assert result.chart.read_bytes().startswith(b"\x89PNG")
    assert report["week"] == result.week == "2026-W48"
    assert report["engagement"]["active_members"]["value"] == result.active_members > 0
    assert report["revenue"]["gross"]["value"] == result.gross.minor > 0
    assert report["model"]["total"]["value"] == result.engagement_value > 0
    assert result.interactions > 0


def test_payments_are_spread_over_the_year(steady: tuple[Any, dict[str, Any], Path]) -> None:
    _, _, database = steady
    # Paid checkouts and renewals fell in (nearly) every month of the year before the report.
    months = _rows(
        database,
        "SELECT DISTINCT substr(t.at, 1, 7) FROM ledger_transactions t "
        "JOIN ledger_entries e ON e.transaction_id = t.id "
        "WHERE e.account = 'revenue:membership'",
    )
    assert len(months) >= 12
    # Monthly and yearly subscriptions renewed on their anniversaries by the sandbox's billing;
    # some renewals were declined, some stopped; some first payments were refunded.
    statuses = {status for (status,) in _rows(database, "SELECT status FROM payments")}
    assert {"paid", "refunded"} <= statuses
    renewed = _rows(database, "SELECT renewals FROM sandbox_subscriptions WHERE renewals > 0")
    assert len(renewed) > 20
    assert max(n for (n,) in renewed) >= 11  # a monthly member there all year
    ended = _rows(database, "SELECT count(*) FROM sandbox_subscriptions WHERE ended_at IS NOT NULL")
    assert ended[0][0] > 0
    declined = _rows(
        database, "SELECT count(*) FROM outbox WHERE payload LIKE '%did not go through%'"
    )
    assert declined[0][0] > 0
    assert _rows(database, "SELECT count(*) FROM ledger_transactions WHERE kind = 'manual'")[0][0]


def test_the_week_reads_like_a_steady_community(
    steady: tuple[Any, dict[str, Any], Path],
) -> None:
    _, report, _ = steady
    revenue, engagement = report["revenue"], report["engagement"]
    gross = revenue["gross"]
    # No bunching: the headline moves like a steady business's week, not by -96%.
    assert abs(gross["value"] - gross["previous"]) <= 0.35 * gross["previous"]
    # Memberships, paid questions and drops all bring money in, in both weeks compared.
    sources = revenue["gross_by_source"]
    for source in ("membership", "qa", "drops"):
        assert sources[source]["value"] > 0 or sources[source]["previous"] > 0, source
    assert sources["membership"]["value"] > sources["qa"]["value"]
    # Transfers in yuan, booked by a moderator, are listed apart.
    assert "cny" in revenue["other_currencies"]
    assert revenue["mrr"]["value"] > 0
    assert revenue["active_paid_members"]["value"] > 20
    kinds = engagement["interactions_by_kind"]
    assert kinds["reaction"]["value"] > kinds["reply"]["value"] > 0
    assert kinds["unlock"]["value"] + kinds["unlock"]["previous"] > 0
    assert kinds["answer_accepted"]["value"] + kinds["answer_accepted"]["previous"] > 0
    assert 0.5 < engagement["retention"]["value"] <= 1
    assert all(
        engagement["interactions_by_platform"][p]["value"] > 0 for p in ("discord", "telegram")
    )


def test_questions_and_drops_go_through_their_commands(
    steady: tuple[Any, dict[str, Any], Path],
) -> None:
    _, _, database = steady
    kinds = {kind for (kind,) in _rows(database, "SELECT DISTINCT kind FROM contents")}
    assert kinds == {"post", "drop", "question", "answer"}
    questions = dict(_rows(database, "SELECT status, count(*) FROM questions GROUP BY status"))
    assert questions.get("accepted", 0) > 0
    assert _rows(database, "SELECT count(*) FROM question_unlocks WHERE status = 'paid'")[0][0] > 0
    drops = dict(_rows(database, "SELECT status, count(*) FROM drops GROUP BY status"))
    assert drops == {"published": 4}  # one each Wednesday
    assert _rows(database, "SELECT count(*) FROM drop_purchases WHERE status = 'paid'")[0][0] > 0
    # The outbox was delivered: posts carried their content to the channels, DMs went out.
    pending = _rows(database, "SELECT count(*) FROM outbox WHERE status != 'done'")
    assert pending[0][0] == 0


async def test_the_same_seed_gives_the_same_report_from_a_fresh_database(tmp_path: Path) -> None:
    first = (await run_demo(tmp_path, members=25, weeks=2)).json.read_text(encoding="utf-8")
    # The same folder again: the database is replaced, not added to.
    again = (await run_demo(tmp_path, members=25, weeks=2)).json.read_text(encoding="utf-8")
    other = await run_demo(tmp_path / "other", members=25, weeks=2, seed=8)
    assert again == first
    assert other.json.read_text(encoding="utf-8") != first


async def test_it_needs_someone_to_simulate(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one member"):
        await run_demo(tmp_path, members=0, weeks=1)

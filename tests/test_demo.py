"""`knowpay demo`: a small simulated community writes a complete, reproducible weekly report."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from bot.demo.simulation import run_demo


async def test_a_small_community_writes_the_three_report_files(tmp_path: Path) -> None:
    steps: list[tuple[int, int]] = []
    result = await run_demo(
        tmp_path, members=40, weeks=3, progress=lambda done, days: steps.append((done, days))
    )

    assert steps == [(day, 21) for day in range(1, 22)]
    assert result.markdown.read_text(encoding="utf-8").startswith("## Weekly report 2026-W48")
    assert result.chart.read_bytes().startswith(b"\x89PNG")
    report = json.loads(result.json.read_text(encoding="utf-8"))
    assert report["week"] == result.week == "2026-W48"
    engagement = report["engagement"]
    assert engagement["active_members"]["value"] == result.active_members > 0
    assert report["revenue"]["gross"]["value"] == result.gross.minor > 0
    # Moderators' grants of transfers were booked (in dollars, and in yuan apart).
    assert set(report["revenue"]["gross_by_source"]) == {"membership", "qa", "drops", "manual"}
    assert report["revenue"]["other_currencies"]["cny"]["value"] > 0
    assert report["model"]["total"]["value"] == result.engagement_value > 0
    assert all(f["value"] > 0 for f in engagement["interactions_by_platform"].values())
    assert result.interactions > 0
    assert result.charges > 0
    with closing(sqlite3.connect(result.database)) as database:
        kinds = {kind for (kind,) in database.execute("SELECT DISTINCT kind FROM contents")}
    assert kinds == {"post", "drop", "question"}


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

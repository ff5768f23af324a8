"""`knowpay demo` with SQLite in the event loop's thread, against aiosqlite's own thread.

The demo (`bot.demo.simulation.run_demo`: a year of members and payments, then the weeks in
full, through the real handlers, sandbox billing, ledger, outbox and report) runs twice in this
process, on fresh SQLite files, with the same seed, so both do exactly the same work:
- baseline: the engine as the bot runs it, each SQLite call a trip to aiosqlite's thread;
- in loop: the engine the demo uses (`make_engine(..., in_loop=True)`), each call made at once
  in the event loop's thread.
It prints the wall time of each, the SQL statements run (the same in both) and the ratio.

Checks (exit 1 otherwise): both runs wrote the same report.

    .venv/bin/python bench/demo.py                  # 300 members, 4 weeks in full
    .venv/bin/python bench/demo.py --members 100 --weeks 8
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.demo import simulation
from storage.engine import make_engine


async def _run(out: Path, members: int, weeks: int, *, in_loop: bool) -> tuple[float, int, str]:
    statements = 0

    def counted(url: str, **_: Any) -> AsyncEngine:
        engine = make_engine(url, in_loop=in_loop)

        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def _count(*_: Any) -> None:
            nonlocal statements
            statements += 1

        return engine

    simulation.make_engine = counted  # type: ignore[attr-defined]
    result = await simulation.run_demo(out, members=members, weeks=weeks)
    return result.seconds, statements, result.json.read_text(encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--weeks", type=int, default=4)
    args = parser.parse_args()
    run = partial(_run, members=args.members, weeks=args.weeks)
    with tempfile.TemporaryDirectory() as folder:
        base_s, base_n, base_report = asyncio.run(run(Path(folder, "base"), in_loop=False))
        loop_s, loop_n, loop_report = asyncio.run(run(Path(folder, "loop"), in_loop=True))
    print(f"demo: {args.members} members, a year of payments, {args.weeks} weeks in full")
    print(f"baseline (aiosqlite's thread): {base_s:6.1f} s, {base_n:,} statements")
    print(f"in the loop's thread:          {loop_s:6.1f} s, {loop_n:,} statements")
    print(f"in loop / baseline: {loop_s / base_s:.2f} (time); {base_s / loop_s:.1f}x as fast")
    if base_report != loop_report:
        print("FAILED: the two runs wrote different reports", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

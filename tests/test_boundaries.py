"""Only bot/adapters/ may talk to Discord or Telegram (DESIGN.md §1).

`make test` also runs import-linter on the same rule; this test reads the source itself so it
catches imports inside functions too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

PLATFORM_LIBRARIES = {"discord", "telegram"}
NEUTRAL_TREES = [
    "cogs",
    "storage",
    "payments",
    "bot/core",
    "bot/config",
    "bot/web.py",
    "bot/demo",
    "bot/payments_wiring.py",
    "bot/scheduler.py",
]


def _imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def _python_files(tree: str) -> list[Path]:
    path = REPO / tree
    return [path] if path.is_file() else sorted(path.rglob("*.py"))


@pytest.mark.parametrize("tree", NEUTRAL_TREES)
def test_neutral_code_never_imports_a_platform_library(tree: str) -> None:
    files = _python_files(tree)
    assert files, f"{tree} has no Python files"
    offenders = {
        str(f.relative_to(REPO)): sorted(_imported_roots(f) & PLATFORM_LIBRARIES)
        for f in files
        if _imported_roots(f) & PLATFORM_LIBRARIES
    }
    assert offenders == {}


def test_the_check_itself_sees_imports_inside_functions(tmp_path: Path) -> None:
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("def f():\n    from telegram import Bot\n    import discord.ext\n")
    assert _imported_roots(sneaky) == {"telegram", "discord"}

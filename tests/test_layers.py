"""The import contracts in pyproject.toml keep the layers of docs/development.md: `make test`
runs them on the tree, and here each is shown to break on an arrow that runs the wrong way, in
a copy of the tree with one wrong import added."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGES = ("bot", "cogs", "storage", "payments")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
LAYERS = "Layers: the shell and the adapters, cogs, payments, the core, storage"
SHELL = "The shell: the command line runs the app, the app starts adapters, payments and the web"
ADAPTERS = "Adapters see only the core: no feature, no payment provider, no database row"
PLATFORMS = "Only the platform adapters talk to Discord and Telegram"


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the packages and their contracts, without caches."""
    root = tmp_path_factory.mktemp("tree")
    for package in PACKAGES:
        shutil.copytree(
            REPO / package, root / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    return root


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    # The copy comes first on the path, ahead of the installed project.
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_part_of_the_shell_has_its_layer() -> None:
    """A new module beside the CLI is placed in the layers, or its imports go unchecked."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    [layers] = [c for c in config["tool"]["importlinter"]["contracts"] if c["name"] == LAYERS]
    named = {
        module.strip()
        for layer in layers["layers"]
        for module in layer.replace("|", ":").split(":")
    }
    parts = {
        f"bot.{path.stem}"
        for path in (REPO / "bot").iterdir()
        if path.name not in ("__init__.py", "__main__.py", "locales", "__pycache__")
        and (path.suffix == ".py" or (path / "__init__.py").exists())
    }
    assert parts - named == set()


def test_the_tree_keeps_every_contract(tree: Path) -> None:
    result = lint(tree)
    assert result.returncode == 0, result.stdout
    for contract in (LAYERS, SHELL, ADAPTERS, PLATFORMS):
        assert f"{contract} KEPT" in " ".join(result.stdout.split())


@pytest.mark.parametrize(
    ("module", "wrong_import", "contract"),
    [
        ("storage/engine.py", "import bot.core.clock", LAYERS),
        ("bot/core/clock.py", "import cogs.membership.service", LAYERS),
        ("bot/core/clock.py", "import payments.ledger", LAYERS),
        ("payments/ledger.py", "import cogs.qa.service", LAYERS),
        ("cogs/qa/shares.py", "import bot.adapters.discord.translate", LAYERS),
        ("bot/adapters/discord/translate.py", "import bot.app", SHELL),
        ("bot/adapters/console/hub.py", "import cogs.drops.service", ADAPTERS),
        ("bot/adapters/console/hub.py", "import storage.models", ADAPTERS),
        ("bot/adapters/console/hub.py", "import payments.providers.stars", ADAPTERS),
        ("cogs/qa/shares.py", "import telegram", PLATFORMS),
    ],
)
def test_an_arrow_the_wrong_way_breaks_its_contract(
    tree: Path, module: str, wrong_import: str, contract: str
) -> None:
    path = tree / module
    original = path.read_text()
    path.write_text(f"{original}\n{wrong_import}  # the wrong arrow\n")
    try:
        result = lint(tree)
    finally:
        path.write_text(original)
    assert result.returncode == 1, result.stdout
    assert f"{contract} BROKEN" in " ".join(result.stdout.split())

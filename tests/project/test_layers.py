"""Every package under bot/ sits in a layer of the architecture contract.

`lint-imports` checks only the packages a contract names: a new `bot/<feature>/` left out of
the layers contract could import anything and be imported by anything, silently.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from tests.paths import REPO

LAYERS_CONTRACT = "Layers, top to bottom"


def layered(pyproject: Path) -> set[str]:
    """The packages the layers contract names (a layer may list several, `a : b`)."""
    config: dict[str, Any] = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    [layers] = [c for c in contracts if c["name"].startswith(LAYERS_CONTRACT)]
    return {name.strip() for layer in layers["layers"] for name in layer.split(":")}


def packages(root: Path) -> set[str]:
    """The packages directly under `root`/bot (directories with an `__init__.py`)."""
    return {f"bot.{init.parent.name}" for init in (root / "bot").glob("*/__init__.py")}


def test_every_package_under_bot_is_in_a_layer() -> None:
    found = packages(REPO)
    assert {"bot.core", "bot.triage", "bot.pipeline"} <= found  # the walk sees the real tree
    assert found - layered(REPO / "pyproject.toml") == set()


def test_a_package_in_no_layer_is_caught(tmp_path: Path) -> None:
    for package in ("core", "newfeature"):
        (tmp_path / "bot" / package).mkdir(parents=True)
        (tmp_path / "bot" / package / "__init__.py").write_text("")
    (tmp_path / "pyproject.toml").write_text(
        "[tool.importlinter]\n"
        "[[tool.importlinter.contracts]]\n"
        f'name = "{LAYERS_CONTRACT}: test"\n'
        'type = "layers"\n'
        'layers = ["handlers", "bot.triage : bot.alerts", "bot.core"]\n'
    )
    assert layered(tmp_path / "pyproject.toml") == {
        "handlers",
        "bot.triage",
        "bot.alerts",
        "bot.core",
    }
    assert packages(tmp_path) - layered(tmp_path / "pyproject.toml") == {"bot.newfeature"}

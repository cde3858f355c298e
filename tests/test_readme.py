"""The README documents every command and setting the code has."""

from __future__ import annotations

from pathlib import Path

from bot.settings import Settings
from handlers import MODULES, commands

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_subcommand_is_in_the_readme() -> None:
    table = [*commands.COMMANDS]
    for module in MODULES:
        table += getattr(module, "COMMANDS", [])
    missing = [c.name for c in table if f"/dexter {c.name}" not in README]
    assert not missing, f"README lacks: {missing}"


def test_every_setting_is_in_the_readme() -> None:
    missing = [
        f.alias for f in Settings.model_fields.values() if f.alias and f"`{f.alias}`" not in README
    ]
    assert not missing, f"README lacks: {missing}"

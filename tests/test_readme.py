"""The README documents every command and setting the code has."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from bot.core.settings import Settings
from bot.discover.parse import parse_discover
from handlers import MODULES, commands

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
CI_RUN = (ROOT / ".ci" / "run").read_text()


def undocumented(names: Iterable[str], readme: str = README) -> list[str]:
    """Commands the README never shows on their own: `/dexter release` inside
    `/dexter releases` or `/dexter release create` (another command) does not count."""
    names = list(names)

    def at(name: str, pos: int) -> bool:
        return re.compile(rf"/dexter {re.escape(name)}(?![\w-])").match(readme, pos) is not None

    def shown(name: str) -> bool:
        longer = [n for n in names if n.startswith(name + " ")]
        starts = (m.start() for m in re.finditer(re.escape(f"/dexter {name}"), readme))
        return any(at(name, i) and not any(at(n, i) for n in longer) for i in starts)

    return [n for n in names if not shown(n)]


def test_every_subcommand_is_in_the_readme() -> None:
    table = [*commands.COMMANDS]
    for module in MODULES:
        table += getattr(module, "COMMANDS", [])
    missing = undocumented(c.name for c in table)
    assert not missing, f"README lacks: {missing}"


def test_a_command_seen_only_inside_a_longer_one_is_undocumented() -> None:
    readme = "`/dexter releases` and `/dexter release create <version>`; `/dexter team-x`"
    assert undocumented(["releases", "release create", "release", "team"], readme) == [
        "release",
        "team",
    ]


def test_every_setting_is_in_the_readme() -> None:
    missing = [
        env
        for name, f in Settings.model_fields.items()
        if f"`{(env := f.alias or name.upper())}`" not in README
    ]
    assert not missing, f"README lacks: {missing}"


def test_every_discover_example_in_the_readme_parses() -> None:
    section = README[README.index("### Discover queries") :]
    block = section[section.index("Examples:") :].split("```")[1]
    examples = re.findall(r"^/dexter discover (.+)$", block, re.M)
    assert len(examples) >= 5
    for text in examples:
        parse_discover(text)  # raises UserError on a documented example that fails


def test_the_readme_test_command_is_exactly_what_ci_runs() -> None:
    # .ci/run ends with the command; the README shows the same lines in a shell block.
    command = CI_RUN[CI_RUN.index("python -m pip install") :].strip()
    assert f"```sh\n{command}\n```" in README
    steps = [step.strip(" \\\n") for step in command.split("&&")]
    assert steps == [
        "python -m pip install -q -e '.[dev]'",
        "ruff check bot handlers tests bench",
        "ruff format --check bot handlers tests bench",
        "mypy",
        "lint-imports",
        "python -m pytest -q",
    ]

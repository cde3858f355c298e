"""The docs show every command and setting the code has, and the README's test command is CI's.

The README is a front page: its command table has one row per feature, linking the page that
documents that feature's commands; `docs/commands.md` has the full syntax of every command and
`docs/operations.md` every setting."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.core.settings import Settings
from bot.discover.parse import parse_discover
from handlers import MODULES, commands
from tests.paths import REPO

README = (REPO / "README.md").read_text()
CI_RUN = (REPO / ".ci" / "run").read_text()
COMMANDS_DOC = (REPO / "docs" / "commands.md").read_text()
OPERATIONS = (REPO / "docs" / "operations.md").read_text()
DISCOVER = (REPO / "docs" / "features" / "discover.md").read_text()


def all_commands() -> list[str]:
    table = [*commands.COMMANDS]
    for module in MODULES:
        table += getattr(module, "COMMANDS", [])
    return [c.name for c in table]


def undocumented(names: Iterable[str], text: str) -> list[str]:
    """Commands a text never shows on their own: `/dexter release` inside
    `/dexter releases` or `/dexter release create` (another command) does not count."""
    names = list(names)

    def at(name: str, pos: int) -> bool:
        return re.compile(rf"/dexter {re.escape(name)}(?![\w-])").match(text, pos) is not None

    def shown(name: str) -> bool:
        longer = [n for n in names if n.startswith(name + " ")]
        starts = (m.start() for m in re.finditer(re.escape(f"/dexter {name}"), text))
        return any(at(name, i) and not any(at(n, i) for n in longer) for i in starts)

    return [n for n in names if not shown(n)]


def section(text: str, heading: str) -> str:
    """From `heading` (a whole line) to the next heading of the same or a higher level."""
    level = len(heading.split(" ")[0])
    start = text.index(f"\n{heading}\n") + 1
    body = start + len(heading) + 1
    end = re.compile(rf"^#{{1,{level}}} ", re.M).search(text, body)
    return text[start : end.start() if end else len(text)]


def command_table(readme: str = README) -> list[tuple[str, list[str]]]:
    """The README's command table: each row's linked page and the commands it lists."""
    rows = []
    for line in section(readme, "## Commands").splitlines():
        link = re.match(r"\| \[[^\]]+\]\(([^)#]+)(?:#[^)]*)?\) \| ([^|]*) \|", line)
        if link:
            rows.append((link.group(1), re.findall(r"`([^`]+)`", link.group(2))))
    return rows


def test_every_command_is_in_one_row_of_the_readme_command_table() -> None:
    listed = [name for _, names in command_table() for name in names]
    assert len(command_table()) >= 10
    assert sorted(listed) == sorted(all_commands())  # each once, and nothing the code lacks


def test_each_row_links_a_page_that_shows_the_commands_it_lists() -> None:
    everything = all_commands()
    for page, names in command_table():
        missing = set(undocumented(everything, (REPO / page).read_text())) & set(names)
        assert not missing, f"{page} lacks: {sorted(missing)}"


def test_the_command_reference_shows_every_command() -> None:
    missing = undocumented(all_commands(), COMMANDS_DOC)
    assert not missing, f"docs/commands.md lacks: {missing}"


def test_a_command_seen_only_inside_a_longer_one_is_undocumented() -> None:
    text = "`/dexter releases` and `/dexter release create <version>`; `/dexter team-x`"
    assert undocumented(["releases", "release create", "release", "team"], text) == [
        "release",
        "team",
    ]


def test_the_command_table_reads_pages_and_names() -> None:
    readme = (
        "# Dexter\n\n## Commands\n\n| feature | commands | what |\n|---|---|---|\n"
        "| [Teams](docs/features/teams.md#top) | `teams`, `team` | teams |\n"
        "| [Dashboards](docs/features/dashboards.md) | – | `dashboard:` |\n\n## Deploy\n"
        "| [Not](here.md) | `setup` | outside the section |\n"
    )
    assert command_table(readme) == [
        ("docs/features/teams.md", ["teams", "team"]),
        ("docs/features/dashboards.md", []),
    ]


def test_every_setting_is_a_row_of_the_settings_table() -> None:
    rows = [
        line for line in section(OPERATIONS, "## Settings").splitlines() if line.startswith("| `")
    ]
    first_cells = [row.split(" | ")[0] for row in rows]
    names = [f.alias or name.upper() for name, f in Settings.model_fields.items()]
    missing = [env for env in names if not any(f"`{env}`" in cell for cell in first_cells)]
    assert not missing, f"docs/operations.md's settings table lacks: {missing}"


def test_the_readme_configuration_sets_the_required_settings() -> None:
    required = [
        f.alias or name.upper() for name, f in Settings.model_fields.items() if f.is_required()
    ]
    env = section(README, "## Configuration").split("```sh\n")[1].split("```")[0]
    assert required and "SLACK_SIGNING_SECRET" in required
    for name in [*required, "SLACK_BOT_TOKEN"]:
        assert re.search(rf"^{name}=", env, re.M), name


def test_every_discover_example_in_the_docs_parses() -> None:
    queries = section(DISCOVER, "## Discover queries")
    block = queries[queries.index("Examples:") :].split("```")[1]
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

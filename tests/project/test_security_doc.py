"""docs/security.md answers, for every slash command, what it takes and what it decides on."""

from __future__ import annotations

import re

from tests.paths import REPO
from tests.project.test_readme import all_commands

SECURITY = (REPO / "docs" / "security.md").read_text()
TABLE_HEAD = "| Sub-command | Takes | Decides on |"


def listed(text: str = SECURITY) -> set[str]:
    """The sub-commands the slash-command table names: `digest unsubscribe/send` is two,
    `link @user email` and `comments on|off` name `link` and `comments`."""
    start = text.index(TABLE_HEAD)
    rows = text[start:].split("\n\n", 1)[0].splitlines()[2:]
    names: set[str] = set()
    for row in rows:
        first = row.split(" | ")[0]
        for item in re.findall(r"`([^`]+)`", first):
            words = item.replace("\\|", "|").split(" ")
            head, *rest = words
            if rest and "/" in rest[0]:
                names |= {f"{head} {part}" for part in rest[0].split("/")}
            else:
                names.add(item)
    return names


def covered(command: str, names: set[str]) -> bool:
    return any(
        n == command or n.startswith(command + " @") or n.startswith(command + " on") for n in names
    )


def test_every_command_is_a_row_of_the_security_table() -> None:
    names = listed()
    assert "resolve" in names and "digest send" in names  # the table is read
    missing = [c for c in all_commands() if not covered(c, names)]
    assert missing == [], f"docs/security.md's sub-command table lacks: {missing}"


def test_a_command_missing_from_the_table_is_found() -> None:
    text = f"{TABLE_HEAD}\n|---|---|---|\n| `issues`, `digest send/list` | x | y |\n\nafter"
    assert listed(text) == {"issues", "digest send", "digest list"}
    assert not covered("digest", listed(text))
    assert covered("digest list", listed(text))

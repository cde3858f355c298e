"""The README stays a front page, and every relative link in it and in docs/ leads somewhere."""

from __future__ import annotations

import re
from pathlib import Path

from tests.paths import REPO

README_MAX_LINES = 300
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def prose(text: str) -> str:
    """The text without its fenced code blocks (a `[x](y)` in code is not a link)."""
    return re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: its text, lower case, without punctuation, dashed."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "")
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(text: str) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for heading in re.findall(r"^#{1,6} (.+)$", prose(text), re.M):
        base = slug(heading)
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def broken_links(doc: Path) -> list[str]:
    bad = []
    for target in LINK.findall(prose(doc.read_text())):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):
            continue  # http(s), mailto: not checked here (tests stay off the network)
        path, _, anchor = target.partition("#")
        dest = (doc.parent / path).resolve() if path else doc
        missing = not dest.exists()
        if missing or (anchor and dest.suffix == ".md" and anchor not in anchors(dest.read_text())):
            bad.append(target)
    return bad


def documents() -> list[Path]:
    return [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]


def test_the_readme_is_a_front_page() -> None:
    lines = len((REPO / "README.md").read_text().splitlines())
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines; move detail to docs/"


def test_every_relative_link_resolves() -> None:
    assert len(documents()) > 10
    broken = {str(d.relative_to(REPO)): b for d in documents() if (b := broken_links(d))}
    assert not broken


def test_a_missing_file_or_heading_is_a_broken_link(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "ops.md").write_text("# Ops\n\n## Many workspaces (Slack OAuth)\n")
    doc = tmp_path / "README.md"
    doc.write_text(
        "## Set-up — `dexter run`\n"
        "[ok](docs/ops.md#many-workspaces-slack-oauth) [self](#set-up--dexter-run)\n"
        "[web](https://example.com/x) [gone](docs/nope.md) [no heading](docs/ops.md#scaling)\n"
        "```\n[in code](docs/also-nope.md)\n```\n"
    )
    assert broken_links(doc) == ["docs/nope.md", "docs/ops.md#scaling"]


def test_repeated_headings_get_numbered_anchors() -> None:
    assert anchors("## Permissions\n### Permissions\n```\n# not a heading\n```\n") == {
        "permissions",
        "permissions-1",
    }

"""Every module under bot/ and handlers/ stays under 400 lines (split it along a real seam)."""

from __future__ import annotations

from pathlib import Path

from tests.paths import REPO

LIMIT = 400


def oversized(root: Path, limit: int = LIMIT) -> dict[str, int]:
    """Python modules under `root`/bot and `root`/handlers with `limit` lines or more."""
    found: dict[str, int] = {}
    for package in ("bot", "handlers"):
        for path in sorted((root / package).rglob("*.py")):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines >= limit:
                found[str(path.relative_to(root))] = lines
    return found


def test_no_module_under_bot_or_handlers_reaches_400_lines() -> None:
    assert (REPO / "bot" / "sentry" / "client.py").is_file()  # the walk sees the real tree
    assert oversized(REPO) == {}


def test_the_size_check_catches_a_long_module(tmp_path: Path) -> None:
    (tmp_path / "bot" / "feature").mkdir(parents=True)
    (tmp_path / "handlers").mkdir()
    (tmp_path / "bot" / "feature" / "long.py").write_text("x = 1\n" * LIMIT, encoding="utf-8")
    (tmp_path / "bot" / "short.py").write_text("x = 1\n" * (LIMIT - 1), encoding="utf-8")
    (tmp_path / "handlers" / "edge.py").write_text("x = 1\n" * (LIMIT + 3), encoding="utf-8")
    assert oversized(tmp_path) == {"bot/feature/long.py": LIMIT, "handlers/edge.py": LIMIT + 3}

"""Where the checkout is, for tests that read its files (README, docs/, templates/, bot/, bench/).

Found by walking up from this file to the directory holding pyproject.toml, so a test reads the
same files wherever it sits under tests/.
"""

from __future__ import annotations

from pathlib import Path


def _repo_root() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here, *here.parents):
        if (candidate / "pyproject.toml").is_file():
            return candidate
    raise RuntimeError(f"no pyproject.toml above {here}")


REPO = _repo_root()

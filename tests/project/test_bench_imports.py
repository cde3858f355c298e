"""bench/ runs outside pytest: it shares test helpers, never the fixtures in tests/conftest.py."""

from __future__ import annotations

import subprocess
import sys

from tests.paths import REPO

PROBE = """
import importlib, pkgutil, sys
import bench
for mod in pkgutil.iter_modules(bench.__path__):
    importlib.import_module(f"bench.{mod.name}")
print(sorted(m for m in sys.modules if m == "tests.conftest" or m.endswith(".conftest")))
print(len([m for m in sys.modules if m.startswith("bench.")]))
"""


def test_no_benchmark_imports_the_test_fixtures() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    loaded, benches = out[-2], int(out[-1])
    assert benches == len(list((REPO / "bench").glob("*.py"))) - 1  # every module but __init__
    assert loaded == "[]"

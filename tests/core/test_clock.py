"""The clock seam: the app reads time from bot/core/clock.py, which the `clock` fixture drives."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core import clock as app_clock
from bot.core import format as fmt
from tests import factories as f
from tests.clock import TestClock


def test_the_app_reads_the_test_clock(clock: TestClock) -> None:
    assert clock.start <= app_clock.now() < clock.start + timedelta(seconds=5)
    assert f.now() == clock.start  # payloads are dated from the test's start
    assert fmt.reltime(f.now() - timedelta(minutes=5)) == "5m ago"
    clock.advance(timedelta(hours=3))
    assert fmt.reltime(f.now() - timedelta(minutes=5)) == "3h ago"


def test_a_frozen_clock_stands_still_and_moves_only_when_advanced(clock: TestClock) -> None:
    at = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
    clock.freeze(at)
    assert app_clock.now() == at and app_clock.now() == at
    clock.advance(timedelta(minutes=90))
    assert app_clock.now() == at + timedelta(minutes=90)


def test_outside_the_fixture_the_system_clock_is_back() -> None:
    inner = TestClock(datetime(2001, 1, 1, tzinfo=UTC))
    with app_clock.using(inner.now):
        assert app_clock.now().year == 2001
    # the fixture's clock (real time) is in force again, not the one above
    assert app_clock.now().year > 2001


def test_the_app_reads_time_only_through_the_clock() -> None:
    # APScheduler runs on real time: the release watch's first run is the one exception.
    allowed = {Path("bot/core/clock.py"), Path("bot/releases/watch.py")}
    root = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").exists())
    readers = [
        path.relative_to(root)
        for folder in ("bot", "handlers")
        for path in (root / folder).rglob("*.py")
        if re.search(r"datetime\.(now|utcnow)\(", path.read_text())
    ]
    assert sorted(set(readers) - allowed) == []

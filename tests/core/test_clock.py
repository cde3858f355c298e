"""The clock seam: the app reads time from bot/core/clock.py, which the `clock` fixture drives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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

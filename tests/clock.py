"""A controllable clock for tests: the app reads it through bot/core/clock.py.

`start` is the instant the test began (whole seconds): factories date payloads from it
(`tests.factories.now()`), so "5m ago" holds however long the run is. `now()` is real time
from then on, shifted by any `advance()`; `freeze()` stops it (nothing on a real timer, such
as the digest scheduler's APScheduler jobs, follows a frozen or shifted clock).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


class TestClock:
    """Real time from `start` on, shifted by `advance()`, optionally frozen."""

    __test__ = False  # not a test class

    def __init__(self, start: datetime | None = None) -> None:
        began = datetime.now(UTC)
        self.start = start or began.replace(microsecond=0)
        self._origin = start or began  # `now()` keeps real time, to the microsecond
        self._began = time.monotonic()
        self._offset = timedelta()
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        """What the app reads as the current time."""
        if self._frozen is not None:
            return self._frozen
        elapsed = timedelta(seconds=time.monotonic() - self._began)
        return self._origin + elapsed + self._offset

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward (or back, with a negative delta)."""
        if self._frozen is not None:
            self._frozen += delta
        self._offset += delta

    def freeze(self, at: datetime | None = None) -> None:
        """Stop the clock at `at` (default: where it is now)."""
        self._frozen = at or self.now()


_current = TestClock()


def current() -> TestClock:
    """The clock of the running test (a clock started at import outside pytest: bench/)."""
    return _current


def install(clock: TestClock) -> TestClock:
    """Make `clock` the one factories read; returns the previous one."""
    global _current
    previous, _current = _current, clock
    return previous

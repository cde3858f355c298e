"""The time the app reads (UTC). One seam, so tests can set and move it (tests/clock.py).

Modules call `clock.now()` instead of `datetime.now(UTC)`. In production the source is the
system clock; `using(source)` replaces it for a block (the tests' `clock` fixture).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

Source = Callable[[], datetime]


def system() -> datetime:
    """The system clock, in UTC."""
    return datetime.now(UTC)


_source: Source = system


def now() -> datetime:
    """The current time (UTC, aware) from the installed source."""
    return _source()


@contextmanager
def using(source: Source) -> Iterator[None]:
    """Read time from `source` inside the block (tests); the previous source afterwards."""
    global _source
    saved, _source = _source, source
    try:
        yield
    finally:
        _source = saved

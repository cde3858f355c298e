"""Times as Sentry's API takes and gives them."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(when: datetime) -> str:
    """RFC 3339 in UTC (`2026-11-26T10:00:00Z`): what `start`/`end` and search dates take."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_seconds(ts: float) -> float:
    """A timestamp from `events-timeseries` in seconds (Sentry sends epoch milliseconds)."""
    return ts / 1000 if ts > 1e11 else ts

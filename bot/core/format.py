"""Pure text helpers used by templates: numbers, times, sparklines, Slack escaping."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from bot.core import clock, mrkdwn

_SPARKS = "▁▂▃▄▅▆▇█"


def compact(n: float | int | None) -> str:
    """1234 → `1.2k`, 2_500_000 → `2.5M`; small numbers stay exact."""
    if n is None:
        return "–"
    value = float(n)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            text = f"{value / limit:.1f}".rstrip("0").rstrip(".")
            return f"{text}{suffix}"
    return str(int(value)) if value == int(value) else f"{value:.2f}".rstrip("0").rstrip(".")


def reltime(when: datetime | None, now: datetime | None = None) -> str:
    """`just now`, `5m ago`, `3h ago`, `2d ago`, `4mo ago`."""
    if when is None:
        return "never"
    now = now or clock.now()
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    secs = (now - when).total_seconds()
    future = secs < 0
    secs = abs(secs)
    for size, unit in ((31536000, "y"), (2592000, "mo"), (86400, "d"), (3600, "h"), (60, "m")):
        if secs >= size:
            n = int(secs // size)
            return f"in {n}{unit}" if future else f"{n}{unit} ago"
    return "just now"


def sparkline(values: Sequence[float], width: int = 24) -> str:
    """A unicode sparkline of the last `width` values, scaled to their maximum."""
    vals = list(values)[-width:]
    if not vals:
        return ""
    top = max(vals)
    if top <= 0:
        return _SPARKS[0] * len(vals)
    return "".join(_SPARKS[min(7, round(v / top * 7))] for v in vals)


# Slack mrkdwn escaping, links and truncation live in bot/core/mrkdwn.py (docs/mrkdwn.md).
escape = mrkdwn.escape
truncate = mrkdwn.truncate
link = mrkdwn.link


def date(when: datetime | None) -> str:
    """`2026-11-26 10:36 UTC` (Slack's `<!date>` would need a fallback anyway)."""
    if when is None:
        return "–"
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def plural(n: int, word: str, plural_word: str | None = None) -> str:
    """`1 issue`, `3 issues`."""
    return f"{n} {word if n == 1 else (plural_word or word + 's')}"

"""Crash-free rates of a release against the previous one: the arithmetic and its wording."""

from __future__ import annotations

import math
from dataclasses import dataclass

from bot.releases.sentry_sessions import Health

UP = "↑"
DOWN = "↓"
SAME = "="


def percent(rate: float | None) -> str:
    """A fraction as a percentage with two decimals, never rounded up to 100% (99.996 → 99.99%)."""
    if rate is None:
        return "–"
    value = math.floor(round(rate * 10000, 6)) / 100
    return "100%" if value >= 100 else f"{value:.2f}%"


@dataclass(frozen=True, slots=True)
class RateChange:
    """One crash-free rate now and in the previous release (fractions, either may be missing)."""

    current: float | None
    previous: float | None

    @property
    def delta_pp(self) -> float | None:
        """The change in percentage points, rounded to 0.01; None without both rates."""
        if self.current is None or self.previous is None:
            return None
        return round((self.current - self.previous) * 100, 2) + 0.0  # + 0.0 turns -0.0 into 0.0

    @property
    def arrow(self) -> str:
        """↑ better, ↓ worse, = unchanged at two decimals, empty without a comparison."""
        delta = self.delta_pp
        if delta is None:
            return ""
        return UP if delta > 0 else DOWN if delta < 0 else SAME

    def text(self) -> str:
        """`99.20% ↑0.15 pp`, `98.00% ↓1.50 pp`, `99.00% =`, or the rate alone."""
        rate = percent(self.current)
        delta = self.delta_pp
        if delta is None:
            return rate
        if delta == 0:
            return f"{rate} {SAME}"
        return f"{rate} {self.arrow}{abs(delta):.2f} pp"


@dataclass(frozen=True, slots=True)
class HealthComparison:
    """Crash-free sessions and users of a release versus its predecessor."""

    current: Health | None
    previous: Health | None
    previous_label: str | None = None

    @property
    def has_data(self) -> bool:
        """True when the release itself has sessions."""
        return self.current is not None and self.current.has_data

    @property
    def sessions(self) -> RateChange:
        return RateChange(
            self.current.crash_free_sessions if self.current else None,
            self.previous.crash_free_sessions if self.previous and self.previous.has_data else None,
        )

    @property
    def users(self) -> RateChange:
        return RateChange(
            self.current.crash_free_users if self.current else None,
            self.previous.crash_free_users if self.previous and self.previous.has_data else None,
        )

    def summary(self) -> str:
        """One line: `crash-free sessions 99.20% ↑0.15 pp · users 98.00% ↓1.50 pp vs 1.5.1`."""
        if not self.has_data:
            return "no session data"
        line = f"crash-free sessions {self.sessions.text()} · users {self.users.text()}"
        if self.previous_label and self.sessions.delta_pp is not None:
            line += f" vs {self.previous_label}"
        return line

"""How often a rule would have fired: pure evaluation over history fetched elsewhere."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bot.alerts.rules import MetricAlert

PREVIEW_DAYS = 7
NOISY_PER_DAY = 10  # above this the preview warns that the rule would be noisy


@dataclass(frozen=True, slots=True)
class Preview:
    """The answer shown before creating: `fires` notifications over PREVIEW_DAYS."""

    fires: int
    lines: list[str] = field(default_factory=list)
    at_least: bool = False  # `fires` is a lower bound (Sentry capped the count)
    series: list[float] = field(default_factory=list)  # for a sparkline, oldest first
    unavailable: str | None = None  # why no preview could be computed

    @property
    def per_day(self) -> float:
        """Average notifications per day."""
        return self.fires / PREVIEW_DAYS

    @property
    def noisy(self) -> bool:
        """More than NOISY_PER_DAY notifications a day on average."""
        return self.per_day > NOISY_PER_DAY


@dataclass(frozen=True, slots=True)
class ThresholdRun:
    """A metric rule replayed over windows: notifications and how often it was breaching."""

    critical: int = 0
    warning: int = 0
    windows: int = 0
    windows_critical: int = 0
    peak: float | None = None

    @property
    def fires(self) -> int:
        return self.critical + self.warning


def replay_thresholds(rule: MetricAlert, values: Iterable[float | None]) -> ThresholdRun:
    """Replay the rule's critical/warning/resolve logic over consecutive window values.

    A notification goes out whenever the state rises (ok → warning, ok → critical,
    warning → critical); an open alert closes when the value resolves. Windows without
    data keep the state as it is.
    """
    state = 0  # 0 ok, 1 warning, 2 critical
    critical = warning = windows = windows_critical = 0
    peak: float | None = None
    for value in values:
        if value is None:
            continue
        windows += 1
        if peak is None or (value > peak if rule.direction == "above" else value < peak):
            peak = value
        level = 0
        if rule.breaches(value, rule.critical):
            level = 2
            windows_critical += 1
        elif rule.warning is not None and rule.breaches(value, rule.warning):
            level = 1
        if level > state:
            if level == 2:
                critical += 1
            else:
                warning += 1
            state = level
        elif level < state:
            if rule.resolved(value):
                state = 0
            elif level == 1:
                state = 1
    return ThresholdRun(critical, warning, windows, windows_critical, peak)


def throttled_fires(times: Sequence[float], every_seconds: float) -> int:
    """Notifications for one issue: at most one per `every_seconds` (the action interval)."""
    fires = 0
    last: float | None = None
    for t in sorted(times):
        if last is None or t - last >= every_seconds:
            fires += 1
            last = t
    return fires

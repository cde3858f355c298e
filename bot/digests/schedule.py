"""Digest schedules: parse, describe, and compute fire times in a time zone (pure, no I/O).

Fire times are local wall-clock times in the schedule's IANA zone, so a daily 09:00 digest
stays at 09:00 across daylight-saving changes. Two DST rules:
- a local time that does not exist (spring forward) fires at the same instant shifted by the
  gap (02:30 → 03:30) for daily/weekday/weekly schedules; `every <n>h` skips that slot;
- a local time that happens twice (fall back) fires once, at the first occurrence.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, field_validator

from bot.core.errors import UserError

Kind = Literal["daily", "weekdays", "weekly", "every"]

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
EVERY_HOURS = (1, 2, 3, 4, 6, 8, 12, 24)
_TIME_RE = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$", re.IGNORECASE)
_EVERY_RE = re.compile(r"^(\d{1,2})\s*h(?:ours?)?$", re.IGNORECASE)
# Enough local days to find the next fire of any schedule (weekly is the longest).
_SEARCH_DAYS = 9


class Schedule(BaseModel):
    """When a digest fires: kind, weekday (weekly), hours (every), local time, zone."""

    model_config = ConfigDict(frozen=True)

    kind: Kind = "daily"
    weekday: int = 0  # Monday = 0, used by `weekly`
    hours: int = 24  # used by `every`
    at: str = "09:00"
    tz: str = "UTC"

    @field_validator("tz")
    @classmethod
    def _tz(cls, v: str) -> str:
        zone_of(v)
        return v

    @field_validator("at")
    @classmethod
    def _at(cls, v: str) -> str:
        parse_time(v)
        return v

    @property
    def zone(self) -> ZoneInfo:
        """The schedule's time zone."""
        return zone_of(self.tz)

    @property
    def local_time(self) -> time:
        """The wall-clock time of day it fires at."""
        return parse_time(self.at)

    def describe(self) -> str:
        """`daily at 09:00 (Europe/Berlin)`, `every 4h from 09:00 (UTC)`, …"""
        when = {
            "daily": f"daily at {self.at}",
            "weekdays": f"weekdays at {self.at}",
            "weekly": f"weekly on {DAYS[self.weekday].title()} at {self.at}",
            "every": f"every {self.hours}h from {self.at}",
        }[self.kind]
        return f"{when} ({self.tz})"

    def nominal_period(self) -> timedelta:
        """The length a digest covers when there was no previous one."""
        if self.kind == "weekly":
            return timedelta(days=7)
        if self.kind == "every":
            return timedelta(hours=self.hours)
        return timedelta(days=1)


def zone_of(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name, or UserError."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise UserError(
            f"`{name}` is not a time zone. Use an IANA name such as `Europe/Berlin` or `UTC`."
        ) from None


def parse_time(text: str) -> time:
    """`9`, `09:30`, `9:30pm` → a time, or UserError."""
    m = _TIME_RE.match(text.strip())
    if not m:
        raise UserError(f"`{text}` is not a time of day. Use HH:MM, e.g. `09:00` or `17:30`.")
    hour, minute, ampm = int(m.group(1)), int(m.group(2) or 0), (m.group(3) or "").lower()
    if ampm:
        if not 1 <= hour <= 12:
            raise UserError(f"`{text}` is not a time of day.")
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59:
        raise UserError(f"`{text}` is not a time of day. Use HH:MM between 00:00 and 23:59.")
    return time(hour, minute)


def parse_weekday(text: str) -> int:
    """`mon`, `Monday`, `tue` … → 0..6, or UserError."""
    word = text.strip().lower()
    for i, name in enumerate(DAYS):
        if len(word) >= 3 and name.startswith(word):
            return i
    raise UserError(f"`{text}` is not a day of the week. Use e.g. `mon` or `friday`.")


def parse_every(text: str) -> int:
    """`4h` → 4 (hours that divide a day, so slots stay at the same local times)."""
    m = _EVERY_RE.match(text.strip())
    if not m:
        raise UserError(f"`{text}` is not an interval. Use e.g. `every 4h`.")
    hours = int(m.group(1))
    if hours not in EVERY_HOURS:
        raise UserError(
            f"`every {hours}h` does not divide a day; use one of "
            + ", ".join(f"{h}h" for h in EVERY_HOURS)
            + "."
        )
    return hours


def normalise_at(t: time) -> str:
    """A time as `HH:MM`."""
    return f"{t.hour:02d}:{t.minute:02d}"


def _exists(local: datetime) -> bool:
    """False for a wall-clock time skipped by a DST change."""
    back = local.astimezone(UTC).astimezone(local.tzinfo)
    return back.replace(tzinfo=None) == local.replace(tzinfo=None)


def _slots(schedule: Schedule, day: date) -> list[datetime]:
    """Fire instants (UTC) on one local day, in order."""
    zone, at = schedule.zone, schedule.local_time
    if schedule.kind == "weekdays" and day.weekday() >= 5:
        return []
    if schedule.kind == "weekly" and day.weekday() != schedule.weekday:
        return []
    if schedule.kind == "every":
        out = []
        for hour in range(24):
            if (hour - at.hour) % schedule.hours:
                continue
            local = datetime.combine(day, time(hour, at.minute), tzinfo=zone)
            if _exists(local):  # skipped slots stay skipped; fold=0 = first occurrence
                out.append(local.astimezone(UTC))
        return sorted(set(out))
    # fold=0: the first occurrence when ambiguous, shifted past the gap when skipped
    return [datetime.combine(day, at, tzinfo=zone).astimezone(UTC)]


def _aware(when: datetime) -> datetime:
    if when.tzinfo is None:
        raise ValueError("a time zone-aware datetime is required")
    return when.astimezone(UTC)


def next_fire(schedule: Schedule, after: datetime) -> datetime:
    """The first fire instant strictly after `after` (UTC)."""
    after = _aware(after)
    start = after.astimezone(schedule.zone).date() - timedelta(days=1)
    for offset in range(_SEARCH_DAYS + 1):
        for slot in _slots(schedule, start + timedelta(days=offset)):
            if slot > after:
                return slot
    raise AssertionError("no fire time found")  # pragma: no cover - every kind fires weekly


def latest_fire(schedule: Schedule, at_or_before: datetime) -> datetime:
    """The last fire instant at or before the given time (UTC)."""
    when = _aware(at_or_before)
    start = when.astimezone(schedule.zone).date() + timedelta(days=1)
    for offset in range(_SEARCH_DAYS + 1):
        for slot in reversed(_slots(schedule, start - timedelta(days=offset))):
            if slot <= when:
                return slot
    raise AssertionError("no fire time found")  # pragma: no cover


def previous_fire(schedule: Schedule, fire: datetime) -> datetime:
    """The fire instant just before `fire`."""
    return latest_fire(schedule, _aware(fire) - timedelta(microseconds=1))


def parse_schedule(tokens: list[str], *, default_tz: str = "UTC") -> tuple[Schedule, list[str]]:
    """Consume schedule words (`daily | weekdays | weekly <day> | every <n>h`, `at HH:MM`,
    `tz <zone>`) from tokens; return the schedule and the tokens it did not use."""
    kind: Kind = "daily"
    weekday, hours, at, tz = 0, 24, "09:00", default_tz
    rest: list[str] = []
    seen_kind = False
    i = 0
    while i < len(tokens):
        word = tokens[i].lower()
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if word in ("daily", "weekdays", "weekly", "every") and seen_kind:
            raise UserError("Give one schedule: daily, weekdays, weekly <day> or every <n>h.")
        if word in ("daily", "weekdays"):
            kind, seen_kind = word, True  # type: ignore[assignment]
        elif word == "weekly":
            kind, seen_kind = "weekly", True
            if nxt is not None and _is_weekday(nxt):
                weekday = parse_weekday(nxt)
                i += 1
        elif word == "every":
            if nxt is None:
                raise UserError("`every` needs an interval, e.g. `every 4h`.")
            kind, seen_kind, hours = "every", True, parse_every(nxt)
            i += 1
        elif word == "at":
            if nxt is None:
                raise UserError("`at` needs a time, e.g. `at 09:00`.")
            at = normalise_at(parse_time(nxt))
            i += 1
        elif word == "tz":
            if nxt is None:
                raise UserError("`tz` needs a time zone, e.g. `tz Europe/Berlin`.")
            zone_of(nxt)
            tz = nxt
            i += 1
        else:
            rest.append(tokens[i])
        i += 1
    return Schedule(kind=kind, weekday=weekday, hours=hours, at=at, tz=tz), rest


def _is_weekday(text: str) -> bool:
    try:
        parse_weekday(text)
    except UserError:
        return False
    return True

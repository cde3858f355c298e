"""Schedule parsing and fire-time computation across time zones and DST (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.errors import UserError
from bot.digests.schedule import (
    EVERY_HOURS,
    Schedule,
    latest_fire,
    next_fire,
    parse_schedule,
    previous_fire,
)

ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",  # 30-minute DST shift
    "Asia/Kathmandu",  # +05:45
    "Pacific/Chatham",  # +12:45 / +13:45
    "America/Sao_Paulo",
]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_defaults_daily_nine_in_given_zone() -> None:
    schedule, rest = parse_schedule(["team:core"], default_tz="Europe/Berlin")
    assert rest == ["team:core"]
    assert schedule == Schedule(kind="daily", at="09:00", tz="Europe/Berlin")
    assert schedule.describe() == "daily at 09:00 (Europe/Berlin)"


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("weekdays at 8:15", Schedule(kind="weekdays", at="08:15")),
        ("weekly fri at 17:00", Schedule(kind="weekly", weekday=4, at="17:00")),
        ("weekly Monday", Schedule(kind="weekly", weekday=0)),
        ("every 4h at 06:00", Schedule(kind="every", hours=4, at="06:00")),
        ("daily at 9:30pm tz America/New_York", Schedule(at="21:30", tz="America/New_York")),
        ("at 7 daily", Schedule(at="07:00")),
    ],
)
def test_parse_forms(words: str, expected: Schedule) -> None:
    schedule, rest = parse_schedule(words.split())
    assert rest == []
    assert schedule == expected


@pytest.mark.parametrize(
    ("words", "message"),
    [
        ("every 5h", "does not divide a day"),
        ("every", "needs an interval"),
        ("at 25:00", "not a time of day"),
        ("at", "needs a time"),
        ("tz Mars/Olympus", "not a time zone"),
        ("daily weekly", "one schedule"),
        ("at 13pm", "not a time of day"),
    ],
)
def test_parse_errors(words: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        parse_schedule(words.split())


def test_daily_in_berlin_across_spring_forward() -> None:
    s = Schedule(at="09:00", tz="Europe/Berlin")
    # 28 March is CET (+1), 29 March the clocks jump to CEST (+2).
    assert next_fire(s, utc(2026, 3, 28, 9)) == utc(2026, 3, 29, 7)
    assert next_fire(s, utc(2026, 3, 27, 9)) == utc(2026, 3, 28, 8)


def test_nonexistent_local_time_is_shifted_past_the_gap() -> None:
    s = Schedule(at="02:30", tz="Europe/Berlin")
    fire = next_fire(s, utc(2026, 3, 28, 12))
    assert fire == utc(2026, 3, 29, 1, 30)
    assert fire.astimezone(ZoneInfo("Europe/Berlin")).strftime("%H:%M") == "03:30"


def test_ambiguous_local_time_fires_once_at_first_occurrence() -> None:
    s = Schedule(at="02:30", tz="Europe/Berlin")
    first = next_fire(s, utc(2026, 10, 24, 12))
    assert first == utc(2026, 10, 25, 0, 30)  # 02:30 CEST, not 02:30 CET an hour later
    assert next_fire(s, first) == utc(2026, 10, 26, 1, 30)


def test_every_hour_skips_the_missing_slot_and_the_repeated_one() -> None:
    s = Schedule(kind="every", hours=1, at="00:00", tz="Europe/Berlin")
    fires = []
    t = utc(2026, 3, 28, 23)
    for _ in range(4):
        t = next_fire(s, t)
        fires.append(t.astimezone(ZoneInfo("Europe/Berlin")).strftime("%H:%M"))
    assert fires == ["01:00", "03:00", "04:00", "05:00"]


def test_weekdays_skip_weekend_and_weekly_lands_on_its_day() -> None:
    wd = Schedule(kind="weekdays", at="09:00", tz="America/New_York")
    friday = utc(2026, 11, 27, 15)  # Friday 10:00 New York
    monday = next_fire(wd, friday)
    assert monday.astimezone(ZoneInfo("America/New_York")).strftime("%a %H:%M") == "Mon 09:00"
    assert previous_fire(wd, monday) == utc(2026, 11, 27, 14)
    wk = Schedule(kind="weekly", weekday=2, at="10:00", tz="Asia/Kathmandu")
    fire = next_fire(wk, utc(2026, 11, 26))
    assert fire.astimezone(wk.zone).strftime("%a %H:%M") == "Wed 10:00"
    assert fire == utc(2026, 12, 2, 4, 15)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_fire(Schedule(), datetime(2026, 1, 1))


schedules = st.builds(
    Schedule,
    kind=st.sampled_from(["daily", "weekdays", "weekly", "every"]),
    weekday=st.integers(0, 6),
    hours=st.sampled_from(EVERY_HOURS),
    at=st.builds(
        lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.sampled_from([0, 15, 30, 59])
    ),
    tz=st.sampled_from(ZONES),
)
instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=400, deadline=None)
@given(schedules, instants)
def test_next_and_latest_bracket_every_instant(s: Schedule, t: datetime) -> None:
    nxt = next_fire(s, t)
    last = latest_fire(s, t)
    assert last <= t < nxt
    assert next_fire(s, last) == nxt  # nothing fires strictly between them
    assert previous_fire(s, nxt) == last
    assert nxt - last <= timedelta(days=7, hours=2)


@settings(max_examples=400, deadline=None)
@given(schedules, instants)
def test_fires_land_on_the_local_schedule(s: Schedule, t: datetime) -> None:
    fire = next_fire(s, t)
    local = fire.astimezone(s.zone)
    at = s.local_time
    if s.kind == "every":
        assert local.minute == at.minute
        assert (local.hour - at.hour) % s.hours == 0
        return
    # Either the wall time itself, or the instant just past a DST gap it fell into.
    gap_shift = (local.hour * 60 + local.minute) - (at.hour * 60 + at.minute)
    assert gap_shift in (0, 30, 60, 120)
    if gap_shift:
        naive = local.replace(tzinfo=None) - timedelta(minutes=gap_shift)
        assert (
            naive.replace(tzinfo=s.zone).astimezone(UTC).astimezone(s.zone).replace(tzinfo=None)
            != naive
        )
    if s.kind == "weekdays":
        assert local.weekday() < 5
    if s.kind == "weekly":
        assert local.weekday() == s.weekday


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(ZONES), instants)
def test_daily_fires_are_a_day_apart_give_or_take_dst(tz: str, t: datetime) -> None:
    s = Schedule(at="09:00", tz=tz)
    first = next_fire(s, t)
    second = next_fire(s, first)
    assert timedelta(hours=22) <= second - first <= timedelta(hours=26)

from __future__ import annotations

import pytest

from bot.releases.health import HealthComparison, RateChange, percent
from bot.releases.sentry_sessions import Health, parse_groups, release_filter


@pytest.mark.parametrize(
    ("rate", "text"),
    [
        (None, "–"),
        (1.0, "100%"),
        (0.99996, "99.99%"),  # never rounded up to a perfect score
        (0.9925, "99.25%"),
        (0.5, "50.00%"),
        (0.0, "0.00%"),
        (0.981, "98.10%"),
    ],
)
def test_percent(rate: float | None, text: str) -> None:
    assert percent(rate) == text


def test_rate_change_up_down_same() -> None:
    up = RateChange(0.9935, 0.9920)
    assert up.delta_pp == 0.15 and up.arrow == "↑"
    assert up.text() == "99.35% ↑0.15 pp"
    down = RateChange(0.98, 0.995)
    assert down.delta_pp == -1.5 and down.arrow == "↓"
    assert down.text() == "98.00% ↓1.50 pp"
    same = RateChange(0.99001, 0.99)
    assert same.delta_pp == 0.0 and same.arrow == "="
    assert same.text() == "99.00% ="
    lone = RateChange(0.97, None)
    assert lone.delta_pp is None and lone.arrow == "" and lone.text() == "97.00%"


def test_comparison_ignores_previous_without_sessions() -> None:
    cur = Health(1200, 0.995, 0.99)
    empty = Health(0, None, None)
    c = HealthComparison(cur, empty, "1.5.1")
    assert c.sessions.delta_pp is None
    assert c.summary() == "crash-free sessions 99.50% · users 99.00%"
    c2 = HealthComparison(cur, Health(900, 0.99, 0.995), "1.5.1")
    assert c2.summary() == "crash-free sessions 99.50% ↑0.50 pp · users 99.00% ↓0.50 pp vs 1.5.1"
    assert HealthComparison(None, None).summary() == "no session data"


def test_parse_sessions_groups() -> None:
    data = {
        "groups": [
            {
                "by": {"release": "backend@1.5.2"},
                "totals": {
                    "sum(session)": 1000,
                    "crash_free_rate(session)": 0.998,
                    "crash_free_rate(user)": None,
                },
            },
            {"by": {}, "totals": {}},
        ]
    }
    got = parse_groups(data)
    assert got == {"backend@1.5.2": Health(1000, 0.998, None)}
    assert parse_groups(None) == {}


def test_release_filter_quotes() -> None:
    assert release_filter(["a@1"]) == 'release:"a@1"'
    assert release_filter(["a@1", 'b"2']) == 'release:["a@1", "b\\"2"]'

"""Realistic Discover, time-series and replay payloads, shaped like Sentry's schema examples."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.factories import iso, link_header, now

EVENTS = "organizations/acme/events/"
TIMESERIES = "organizations/acme/events-timeseries/"
REPLAY_COUNT = "organizations/acme/replay-count/"
REPLAYS = "organizations/acme/replays/"

TYPES = {
    "title": "string",
    "issue": "string",
    "transaction": "string",
    "count()": "integer",
    "count_unique(user)": "integer",
    "p50(span.duration)": "duration",
    "p95(span.duration)": "duration",
    "epm()": "rate",
    "failure_rate()": "percentage",
    "last_seen()": "date",
}
UNITS = {"p50(span.duration)": "millisecond", "p95(span.duration)": "millisecond"}
UNITS["epm()"] = "1/minute"


def events(rows: list[dict[str, Any]], fields: list[str] | None = None) -> dict[str, Any]:
    """An `events/` body with meta types and units for the fields present."""
    names = fields or (list(rows[0]) if rows else [])
    return {
        "data": rows,
        "meta": {
            "fields": {n: TYPES.get(n, "string") for n in names},
            "units": {n: UNITS.get(n) for n in names},
            "dataset": "errors",
        },
    }


def error_rows(n: int, start: int = 0) -> list[dict[str, Any]]:
    """`title, count(), count_unique(user)` rows with falling counts."""
    return [
        {
            "title": f"ZeroDivisionError: division by zero #{i}",
            "count()": 5000 - i * 7,
            "count_unique(user)": 300 - i,
        }
        for i in range(start, start + n)
    ]


def paged_events(total: int, make: Callable[[int, int], list[dict[str, Any]]]) -> Any:
    """A respx side effect serving `total` rows by Discover's offset cursor (`0:<offset>:0`)."""

    def respond(request: httpx.Request) -> httpx.Response:
        per_page = int(request.url.params.get("per_page", "100"))
        cursor = request.url.params.get("cursor") or "0:0:0"
        offset = int(cursor.split(":")[1])
        n = max(0, min(per_page, total - offset))
        more = offset + per_page < total
        headers = link_header(EVENTS, f"0:{offset + per_page}:0" if more else None)
        return httpx.Response(200, json=events(make(n, offset)), headers=headers)

    return respond


def timeseries(
    labels: list[str], *, points: int = 24, y_axis: str = "count()", value_type: str = "integer"
) -> dict[str, Any]:
    """An `events-timeseries/` body: one series per label, millisecond timestamps."""
    start = int(now().timestamp()) - points * 3600
    series = []
    for order, label in enumerate(labels):
        series.append(
            {
                "yAxis": y_axis,
                "groupBy": [{"key": "title", "value": label}] if label else [],
                "meta": {
                    "valueType": value_type,
                    "valueUnit": "millisecond" if value_type == "duration" else None,
                    "interval": 3_600_000,
                    "order": order,
                },
                "values": [
                    {
                        "timestamp": (start + k * 3600) * 1000,
                        "value": (k * (order + 3)) % 17 + order,
                        "incomplete": k == points - 1,
                    }
                    for k in range(points)
                ],
            }
        )
    return {"timeSeries": series, "meta": {"dataset": "errors", "start": start, "end": start}}


def replay(rid: str, *, minutes_ago: int = 5, errors: int = 2) -> dict[str, Any]:
    """A replay as `organizations/{org}/replays/` lists it."""
    from datetime import timedelta

    return {
        "id": rid,
        "project_id": "2",
        "started_at": iso(timedelta(minutes=minutes_ago + 3)),
        "finished_at": iso(timedelta(minutes=minutes_ago)),
        "duration": 151,
        "user": {"id": "30246326", "email": "ada@acme.com", "display_name": "Ada Lovelace"},
        "browser": {"name": "Chrome", "version": "131.0"},
        "os": {"name": "macOS", "version": "15.1"},
        "count_errors": errors,
        "urls": ["https://shop.acme.com/checkout"],
    }

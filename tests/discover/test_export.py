"""CSV export across pages: the cap, bounded concurrency, order, and opaque cursors."""

from __future__ import annotations

import asyncio
import csv
import time
from typing import Any

import httpx
import respx

from bot.deps import Deps
from bot.discover.export import CONCURRENCY, ExportProgress, export_csv
from bot.discover.parse import parse_discover
from tests import discover_factories as df
from tests.factories import link_header

QUERY = parse_discover("title, count(), count_unique(user) where level:error").query


class InFlight:
    """Wraps a side effect to record how many requests were in flight at once."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.now = 0
        self.peak = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.now += 1
        self.peak = max(self.peak, self.now)
        try:
            await asyncio.sleep(0.002)  # a latency, so that requests can overlap
            return self.inner(request)  # type: ignore[no-any-return]
        finally:
            self.now -= 1


def read_csv(path: Any) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


async def test_export_is_capped_at_ten_thousand_rows_in_order(
    deps: Deps, sentry: respx.MockRouter
) -> None:
    served = InFlight(df.paged_events(12_345, lambda n, off: df.error_rows(n, off)))
    route = sentry.get(df.EVENTS).mock(side_effect=served)
    seen: list[ExportProgress] = []

    async def progress(p: ExportProgress) -> None:
        seen.append(p)

    started = time.perf_counter()
    result = await export_csv(deps.discover, QUERY, progress=progress)
    elapsed = time.perf_counter() - started
    try:
        rows = read_csv(result.path)
    finally:
        result.path.unlink()
    print(f"exported {result.rows} rows in {result.pages} pages in {elapsed:.2f}s")
    assert (result.rows, result.pages, result.capped) == (10_000, 100, True)
    assert rows[0] == ["title", "count()", "count_unique(user)"]
    assert len(rows) == 1 + 10_000 + 1
    assert rows[1][0].endswith("#0") and rows[10_000][0].endswith("#9999")
    assert rows[-1] == [
        "# Export capped at 10,000 rows; narrow the query or the period to get the rest."
    ]
    assert 1 < served.peak <= CONCURRENCY
    assert len(route.calls) <= 100 + CONCURRENCY
    assert [p.rows for p in seen if not p.done][:3] == [500, 1000, 1500]
    assert seen[-1] == ExportProgress(rows=10_000, pages=100, done=True)
    params = route.calls[0].request.url.params
    assert params["per_page"] == "100" and params["dataset"] == "errors"


async def test_small_export_is_not_capped(deps: Deps, sentry: respx.MockRouter) -> None:
    sentry.get(df.EVENTS).mock(side_effect=df.paged_events(250, df.error_rows))
    result = await export_csv(deps.discover, QUERY)
    rows = read_csv(result.path)
    result.path.unlink()
    assert (result.rows, result.pages, result.capped) == (250, 3, False)
    assert len(rows) == 251 and not rows[-1][0].startswith("#")


async def test_opaque_cursors_are_followed_one_page_at_a_time(
    deps: Deps, sentry: respx.MockRouter
) -> None:
    pages = {None: "a1b2", "a1b2": "c3d4", "c3d4": None}

    def respond(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor")
        nxt = pages[cursor]
        return httpx.Response(
            200, json=df.events(df.error_rows(100)), headers=link_header(df.EVENTS, nxt)
        )

    served = InFlight(respond)
    sentry.get(df.EVENTS).mock(side_effect=served)
    result = await export_csv(deps.discover, QUERY, max_rows=250)
    rows = read_csv(result.path)
    result.path.unlink()
    assert (result.rows, result.pages, result.capped) == (250, 3, True)
    assert served.peak == 1
    assert len(rows) == 1 + 250 + 1


async def test_lists_and_missing_values_are_written_plainly(
    deps: Deps, sentry: respx.MockRouter
) -> None:
    q = parse_discover("title, tags.key, count()").query
    body = df.events([{"title": 'a, "quoted"', "tags.key": ["x", "y"], "count()": None}])
    sentry.get(df.EVENTS).mock(return_value=httpx.Response(200, json=body))
    result = await export_csv(deps.discover, q)
    rows = read_csv(result.path)
    result.path.unlink()
    assert rows[1] == ['a, "quoted"', '["x", "y"]', ""]

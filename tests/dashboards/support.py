"""A Sentry that has one dashboard and answers its widgets' queries like Sentry would."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import respx

from tests import dashboard_factories as dbf
from tests import discover_factories as df

HOSTILE = "<!channel> <https://evil.example|win>"
BAD_QUERY = "bad:::"


def widgets() -> list[dict[str, Any]]:
    """One widget of each kind, a hostile title, and one whose query Sentry refuses."""
    return [
        dbf.widget(1, f"Errors {HOSTILE}", "line"),
        dbf.widget(
            2,
            "Top pages",
            "table",
            widget_type="spans",
            queries=[
                dbf.query(
                    columns=["transaction"],
                    aggregates=["p95(span.duration)", "count()"],
                    orderby="-count()",
                    aliases=["Page", "p95", ""],
                    widget_id="2",
                )
            ],
        ),
        dbf.widget(
            3,
            "Users",
            "big_number",
            queries=[dbf.query(aggregates=["count_unique(user)"], widget_id="3")],
        ),
        dbf.widget(4, "Crash-free sessions", "big_number", widget_type="metrics"),
        dbf.widget(
            5,
            "Slow by browser",
            "top_n",
            widget_type="spans",
            queries=[
                dbf.query(
                    columns=["browser.name"], aggregates=["p95(span.duration)"], widget_id="5"
                )
            ],
        ),
        dbf.widget(
            6,
            "Broken",
            "table",
            queries=[dbf.query(aggregates=["count()"], conditions=BAD_QUERY, widget_id="6")],
        ),
    ]


@dataclass
class BoardSentry:
    """Routes for dashboard `7` ("Checkout health") and the queries of its widgets."""

    board: dict[str, Any] = field(default_factory=lambda: dbf.dashboard("7", widgets=widgets()))
    table_rows: int = 3
    routes: dict[str, respx.Route] = field(default_factory=dict)

    def install(self, sentry: respx.MockRouter) -> BoardSentry:
        self.routes["detail"] = dbf.mock_dashboard(sentry, self.board)
        self.routes["list"] = sentry.get(dbf.DASHBOARDS).mock(
            return_value=httpx.Response(
                200, json=[dbf.list_row("3", "Other"), dbf.list_row("7", self.board["title"])]
            )
        )
        self.routes["events"] = sentry.get(df.EVENTS).mock(side_effect=self.events)
        self.routes["series"] = sentry.get(df.TIMESERIES).mock(side_effect=self.series)
        return self

    def events(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        if params.get("query") == BAD_QUERY:
            # events/ turns an InvalidSearchQuery into a 400 with `detail` (ParseError)
            return httpx.Response(400, json={"detail": f"Invalid query: {HOSTILE}"})
        fields = params.get_list("field")
        if fields == ["count_unique(user)"]:
            return httpx.Response(200, json=df.events([{"count_unique(user)": 1234}], fields))
        rows = [
            {
                "transaction": f"/checkout/{i} {HOSTILE}" if i == 0 else f"/page/{i}",
                "p95(span.duration)": 120.0 + i,
                "count()": 1000 - i,
            }
            for i in range(self.table_rows)
        ]
        return httpx.Response(200, json=df.events(rows, fields))

    def series(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        y = params["yAxis"]
        labels = ["Chrome", "Safari"] if params.get_list("groupBy") else [""]
        return httpx.Response(200, json=df.timeseries(labels, y_axis=y))

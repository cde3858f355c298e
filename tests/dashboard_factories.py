"""Sentry dashboards shaped like DashboardDetailsSerializer writes them (every field the
published schema requires, src/sentry/api/serializers/models/dashboard.py)."""

from __future__ import annotations

from typing import Any

import httpx
import respx

from tests.factories import iso

DASHBOARDS = "organizations/acme/dashboards/"


def query(
    *,
    aggregates: list[str],
    columns: list[str] | None = None,
    conditions: str = "",
    orderby: str = "",
    aliases: list[str] | None = None,
    widget_id: str = "1",
) -> dict[str, Any]:
    """One widget query."""
    columns = columns or []
    return {
        "id": f"{widget_id}0",
        "name": "",
        "fields": [*columns, *aggregates],
        "aggregates": aggregates,
        "columns": columns,
        "fieldAliases": aliases or [],
        "conditions": conditions,
        "orderby": orderby,
        "widgetId": widget_id,
        "onDemand": [],
        "isHidden": False,
        "selectedAggregate": None,
        "linkedDashboards": [],
    }


def widget(
    wid: int,
    title: str,
    display: str,
    *,
    widget_type: str | None = "error-events",
    queries: list[dict[str, Any]] | None = None,
    limit: int | None = None,
    dashboard_id: str = "7",
) -> dict[str, Any]:
    """One widget; by default a count() over error events."""
    return {
        "id": str(wid),
        "title": title,
        "description": None,
        "displayType": display,
        "thresholds": None,
        "interval": "5m",
        "dateCreated": iso(),
        "dashboardId": dashboard_id,
        "queries": queries or [query(aggregates=["count()"], widget_id=str(wid))],
        "limit": limit,
        "widgetType": widget_type,
        "layout": {"x": 0, "y": wid, "w": 2, "h": 2, "minH": 2},
        "axisRange": None,
        "legendType": None,
        "datasetSource": "user",
        "exploreUrls": None,
        "changedReason": None,
    }


def dashboard(
    did: str = "7",
    title: str = "Checkout health",
    widgets: list[dict[str, Any]] | None = None,
    *,
    projects: list[int] | None = None,
    environment: list[str] | None = None,
) -> dict[str, Any]:
    """A dashboard with its widgets."""
    return {
        "id": did,
        "title": title,
        "dateCreated": iso(),
        "createdBy": None,
        "widgets": widgets or [],
        "projects": projects if projects is not None else [2],
        "environment": environment or [],
        "filters": {},
        "period": "24h",
        "permissions": None,
        "isFavorited": False,
    }


def list_row(did: str, title: str) -> dict[str, Any]:
    """A dashboard as `organizations/{org}/dashboards/` lists it."""
    return {"id": did, "title": title, "dateCreated": iso(), "createdBy": None}


def mock_dashboard(sentry: respx.MockRouter, board: dict[str, Any]) -> respx.Route:
    """Answer `dashboards/{id}/` with the board."""
    return sentry.get(f"{DASHBOARDS}{board['id']}/").mock(
        return_value=httpx.Response(200, json=board)
    )

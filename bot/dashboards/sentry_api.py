"""Sentry's own dashboards: read them (`organizations/{org}/dashboards/…`) and run their
widgets' queries (`events/` tables and numbers, `events-timeseries/` charts).

Shapes follow Sentry's serializer (src/sentry/api/serializers/models/dashboard.py:
DashboardDetailsSerializer → `id`, `title`, `widgets`, `projects`, `environment`, `period`,
`filters`; DashboardWidgetSerializer → `title`, `displayType`, `widgetType`, `interval`,
`limit`, `queries`; DashboardWidgetQuerySerializer → `name`, `fields`, `aggregates`,
`columns`, `fieldAliases`, `conditions`, `orderby`, `isHidden`, `selectedAggregate`) and its
models (src/sentry/models/dashboard_widget.py: DashboardWidgetTypes, DashboardWidgetDisplayTypes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.core.errors import UserError
from bot.discover.sentry_api import Column, DiscoverService, TablePage, Timeseries, parse_timeseries
from bot.sentry.client import SentryClient
from bot.sentry.times import iso

# DashboardWidgetTypes → the `dataset` of `events/` and `events-timeseries/`. `discover` is the
# deprecated errors+transactions dataset (Sentry's default for a widget without a type);
# transactions are the `spans` dataset now. Issue, release-health and other widget types have
# no Discover query: they are listed with a link.
DATASETS = {
    "discover": "errors",
    "error-events": "errors",
    "transaction-like": "spans",
    "spans": "spans",
    "logs": "logs",
    "tracemetrics": "tracemetrics",
}
# DashboardWidgetDisplayTypes, by how a digest shows them.
CHART_DISPLAYS = frozenset({"line", "area", "stacked_area", "bar", "top_n"})
Kind = Literal["table", "chart", "number", "other"]
TABLE_ROWS = 10
MAX_TOP = 10  # events-timeseries refuses more than 10 top events
LIST_PAGE = 100
_ID = re.compile(r"^\d{1,18}$")
# /organizations/<org>/dashboard/<id>/ on any host; /dashboard/<id>/ on <org>.sentry.io
_PATH = re.compile(r"^(?:/organizations/(?P<org>[\w.-]+))?/dashboard/(?P<id>\d{1,18})/?$")


class WidgetQuery(BaseModel):
    """One query of a widget, as DashboardWidgetQuerySerializer writes it."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    name: str = ""
    fields: list[str] = Field(default_factory=list)
    aggregates: list[str] = Field(default_factory=list)
    columns: list[str] = Field(default_factory=list)
    field_aliases: list[str] = Field(default_factory=list, alias="fieldAliases")
    conditions: str = ""
    orderby: str = ""
    is_hidden: bool = Field(default=False, alias="isHidden")
    selected_aggregate: int | None = Field(default=None, alias="selectedAggregate")

    @field_validator("fields", "aggregates", "columns", "field_aliases", mode="before")
    @classmethod
    def _none_list(cls, v: object) -> object:
        return [] if v is None else v

    @field_validator("conditions", "orderby", "name", mode="before")
    @classmethod
    def _none_str(cls, v: object) -> object:
        return "" if v is None else v

    @property
    def selected(self) -> list[str]:
        """The columns then the aggregates (legacy widgets only have `fields`)."""
        picked = [*self.columns, *self.aggregates]
        return list(dict.fromkeys(picked or self.fields))


class Widget(BaseModel):
    """One widget of a dashboard."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: str | None = None
    title: str = ""
    display_type: str = Field(default="", alias="displayType")
    widget_type: str | None = Field(default=None, alias="widgetType")
    interval: str | None = None
    limit: int | None = None
    queries: list[WidgetQuery] = Field(default_factory=list)

    @field_validator("title", "display_type", mode="before")
    @classmethod
    def _none_str(cls, v: object) -> object:
        return "" if v is None else v

    @property
    def dataset(self) -> str | None:
        """The Discover dataset the widget queries, or None for widgets without one."""
        return DATASETS.get(self.widget_type or "discover")

    @property
    def kind(self) -> Kind:
        """How a digest shows the widget: a table, a chart, a number, or only a link."""
        if self.dataset is None or not self.query:
            return "other"
        if self.display_type == "table":
            return "table"
        if self.display_type == "big_number":
            return "number"
        return "chart" if self.display_type in CHART_DISPLAYS else "other"

    @property
    def query(self) -> WidgetQuery | None:
        """The first visible query with something to select."""
        return next((q for q in self.queries if not q.is_hidden and q.selected), None)


class SentryDashboard(BaseModel):
    """A dashboard as `organizations/{org}/dashboards/{id}/` answers."""

    model_config = ConfigDict(extra="ignore")

    id: str
    title: str = ""
    widgets: list[Widget] = Field(default_factory=list)
    projects: list[int] = Field(default_factory=list)
    environment: list[str] = Field(default_factory=list)
    url: str = ""

    @field_validator("id", mode="before")
    @classmethod
    def _str_id(cls, v: object) -> object:
        return str(v) if isinstance(v, int) else v

    @field_validator("widgets", "projects", "environment", mode="before")
    @classmethod
    def _none_list(cls, v: object) -> object:
        return [] if v is None else v


@dataclass(frozen=True, slots=True)
class DashboardRef:
    """A dashboard link: the host it points at, the organisation (if the URL names it), the id."""

    host: str
    org: str | None
    dashboard_id: str


def parse_dashboard_url(url: str) -> DashboardRef | None:
    """`…/organizations/{org}/dashboard/{id}/` or `{org}.sentry.io/dashboard/{id}/`, else None."""
    try:
        parts = urlparse(url.strip())
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return None
    m = _PATH.match(parts.path)
    if m is None:
        return None
    org = m.group("org")
    if org is None and host.endswith(".sentry.io") and host.count(".") == 2:
        sub = host.split(".")[0]
        org = None if sub in ("de", "us") else sub  # region hosts name no organisation
    return DashboardRef(host=host, org=org.lower() if org else None, dashboard_id=m.group("id"))


class DashboardService:
    """Finds dashboards and runs their widgets' queries for one organisation."""

    def __init__(self, client: SentryClient, discover: DiscoverService) -> None:
        self.client = client
        self.discover = discover

    def dashboard_url(self, dashboard_id: str) -> str:
        """The dashboard's page in Sentry."""
        return f"{self.client.base_url}/organizations/{self.client.org}/dashboard/{dashboard_id}/"

    async def get(self, dashboard_id: str) -> SentryDashboard:
        """One dashboard with its widgets (SentryNotFound when it does not exist)."""
        resp = await self.client.get(self.client.org_path("dashboards", dashboard_id))
        board = SentryDashboard.model_validate(resp.data if isinstance(resp.data, dict) else {})
        return board.model_copy(update={"url": self.dashboard_url(board.id)})

    async def find(self, id_or_title: str) -> SentryDashboard:
        """A dashboard by id, or by title (case-insensitive) from the dashboard list."""
        wanted = id_or_title.strip()
        if _ID.match(wanted):
            return await self.get(wanted)
        rows: list[Any] = []
        path = self.client.org_path("dashboards")
        async for page in self.client.paginate(path, params={"per_page": LIST_PAGE}):
            rows += page.data if isinstance(page.data, list) else []
        titles = {
            str(r.get("title") or "").casefold(): str(r.get("id"))
            for r in rows
            if isinstance(r, dict) and _ID.match(str(r.get("id")))
        }
        found = titles.get(wanted.casefold())
        if found is None:
            close = sorted(t for t in titles if wanted.casefold() in t)[:3]
            hint = f" Did you mean {', '.join(f'`{c}`' for c in close)}?" if close else ""
            raise UserError(f"There is no dashboard titled `{wanted}` in Sentry.{hint}")
        return await self.get(found)

    def _scope(self, board: SentryDashboard, start: datetime, end: datetime) -> dict[str, Any]:
        return {
            "project": [str(p) for p in board.projects] or ["-1"],
            "environment": board.environment or None,
            "start": iso(start),
            "end": iso(end),
        }

    async def table(
        self, board: SentryDashboard, widget: Widget, start: datetime, end: datetime
    ) -> TablePage:
        """A table widget's rows (at most TABLE_ROWS), headed by its field aliases."""
        q, dataset = _runnable(widget)
        params = self._scope(board, start, end) | {
            "dataset": dataset,
            "field": q.selected,
            "query": q.conditions or None,
            "sort": q.orderby or None,
            "per_page": min(widget.limit or TABLE_ROWS, TABLE_ROWS),
        }
        page = await self.discover.table_with(params)
        return _aliased(page, q)

    async def number(
        self, board: SentryDashboard, widget: Widget, start: datetime, end: datetime
    ) -> TablePage:
        """A big number widget: one row of its aggregates (`selected_aggregate` picks one)."""
        q, dataset = _runnable(widget)
        params = self._scope(board, start, end) | {
            "dataset": dataset,
            "field": q.aggregates or q.selected,
            "query": q.conditions or None,
            "per_page": 1,
        }
        return await self.discover.table_with(params)

    async def series(
        self,
        board: SentryDashboard,
        widget: Widget,
        start: datetime,
        end: datetime,
        *,
        interval: int,
    ) -> Timeseries:
        """A chart widget's first aggregate over time; its columns make top-N groups."""
        q, dataset = _runnable(widget)
        y = (q.aggregates or q.selected)[0]
        params = self._scope(board, start, end) | {
            "dataset": dataset,
            "yAxis": y,
            "query": q.conditions or None,
            "interval": interval,
        }
        if q.columns:
            sort = q.orderby if q.orderby.lstrip("-") in (y, *q.columns) else f"-{y}"
            top = max(1, min(widget.limit or 5, MAX_TOP))
            params |= {"groupBy": q.columns, "topEvents": top, "sort": sort, "excludeOther": "1"}
        resp = await self.client.get(self.client.org_path("events-timeseries"), params=params)
        return parse_timeseries(resp.data, y)


def _runnable(widget: Widget) -> tuple[WidgetQuery, str]:
    q, dataset = widget.query, widget.dataset
    if q is None or dataset is None:
        raise ValueError(f"widget {widget.title!r} has no Discover query")
    return q, dataset


def _aliased(page: TablePage, q: WidgetQuery) -> TablePage:
    """The page with columns renamed to the widget's field aliases where it has them."""
    names = q.selected
    aliases = {
        name: alias for name, alias in zip(names, q.field_aliases, strict=False) if alias.strip()
    }
    if not aliases:
        return page
    columns = [Column(aliases.get(c.name, c.name), c.type, c.unit) for c in page.columns]
    rows = [{aliases.get(k, k): v for k, v in r.items()} for r in page.rows]
    return TablePage(columns=columns, rows=rows, next_cursor=page.next_cursor)

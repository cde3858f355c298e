"""Discover: table queries (`events/`) and time series (`events-timeseries/`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from bot.core import clock
from bot.discover.parse import DiscoverQuery, function_name
from bot.sentry.client import Params, SentryClient
from bot.sentry.projects import ProjectService
from bot.sentry.times import epoch_seconds, iso

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
TOP_EVENTS = 5


@dataclass(frozen=True, slots=True)
class Column:
    """A result column with Sentry's type (`integer`, `duration`, …) and unit (`millisecond`)."""

    name: str
    type: str = "string"
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class TablePage:
    """One page of Discover rows."""

    columns: list[Column]
    rows: list[dict[str, Any]]
    next_cursor: str | None
    cursor: str | None = None


@dataclass(frozen=True, slots=True)
class Series:
    """One line of a chart: a label and (epoch seconds, value) points."""

    label: str
    points: list[tuple[float, float]]


@dataclass(frozen=True, slots=True)
class Timeseries:
    """Everything a chart needs: the series, what they measure and in which unit."""

    y_axis: str
    value_type: str
    unit: str | None
    series: list[Series] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when no series has a non-zero point."""
        return not any(v for s in self.series for _, v in s.points if not math.isnan(v))


class DiscoverService:
    """Runs Discover queries for one organisation."""

    def __init__(self, client: SentryClient, projects: ProjectService) -> None:
        self.client = client
        self.projects = projects

    async def _common(self, q: DiscoverQuery) -> dict[str, Any]:
        params: dict[str, Any] = {
            "dataset": q.dataset,
            "query": q.query or None,
            "project": await self.projects.ids_for(list(q.projects)),
            "environment": list(q.environments),
        }
        if q.start is not None:
            params["start"] = iso(q.start)
            params["end"] = iso(q.end or clock.now())
        else:
            params["statsPeriod"] = q.period
        return params

    async def table(
        self, q: DiscoverQuery, *, cursor: str | None = None, per_page: int = PAGE_SIZE
    ) -> TablePage:
        """One page of the query's rows, with column types and units from Sentry's meta."""
        params = await self._common(q)
        params |= {
            "field": list(q.fields),
            "sort": q.sort,
            "per_page": min(per_page, MAX_PAGE_SIZE),
            "cursor": cursor,
        }
        return await self.table_with(params, cursor=cursor)

    async def table_with(self, params: Params, *, cursor: str | None = None) -> TablePage:
        """One page for already resolved parameters (used by exports to avoid re-resolving)."""
        resp = await self.client.get(self.client.org_path("events"), params=params)
        body = resp.data if isinstance(resp.data, dict) else {}
        meta = body.get("meta") or {}
        types = meta.get("fields") or {}
        units = meta.get("units") or {}
        fields = params.get("field") or []
        names = [str(f) for f in fields] if isinstance(fields, list | tuple) else [str(fields)]
        columns = [
            Column(n, str(types[n]), units.get(n)) if types.get(n) else infer_column(n)
            for n in names
        ]
        rows = [r for r in body.get("data") or [] if isinstance(r, dict)]
        return TablePage(columns=columns, rows=rows, next_cursor=resp.next_cursor, cursor=cursor)

    async def export_params(self, q: DiscoverQuery, *, per_page: int) -> dict[str, Any]:
        """The resolved parameters of the query for paging through it."""
        params = await self._common(q)
        return params | {"field": list(q.fields), "sort": q.sort, "per_page": per_page}

    async def timeseries(
        self, q: DiscoverQuery, *, y_axis: str | None = None, top: int = TOP_EVENTS
    ) -> Timeseries:
        """The query's first aggregate over time; top `top` groups when it groups by a column."""
        y = y_axis or q.y_axis or "count()"
        params = await self._common(q)
        params["yAxis"] = y
        groups = [g for g in q.group_by if g != "timestamp"]
        if groups:
            sort = q.sort if q.sort and q.sort.lstrip("-") in (y, *groups) else f"-{y}"
            params |= {"groupBy": groups, "topEvents": top, "sort": sort, "excludeOther": "1"}
        resp = await self.client.get(self.client.org_path("events-timeseries"), params=params)
        return parse_timeseries(resp.data, y)


def infer_column(name: str) -> Column:
    """A column's type when Sentry's meta does not say (older servers, odd functions)."""
    fn = function_name(name)
    arg = name[name.find("(") + 1 : -1] if fn else ""
    if fn in ("count", "count_unique", "count_if", "count_miserable", "failure_count"):
        return Column(name, "integer")
    if (fn or "").endswith("_rate"):
        return Column(name, "percentage")
    if fn in ("epm", "tpm"):
        return Column(name, "rate", "1/minute")
    if fn in ("eps", "tps"):
        return Column(name, "rate", "1/second")
    if fn and ("duration" in arg or arg.startswith("measurements.")):
        return Column(name, "duration", "millisecond")
    if name in ("timestamp", "last_seen()", "first_seen()") or fn in ("last_seen", "first_seen"):
        return Column(name, "date")
    return Column(name, "number" if fn else "string")


def parse_timeseries(data: Any, y_axis: str) -> Timeseries:
    """Turn an `events-timeseries` answer into labelled series, in Sentry's order."""
    raw = (data or {}).get("timeSeries") if isinstance(data, dict) else None
    items = [s for s in raw or [] if isinstance(s, dict)]
    items.sort(key=lambda s: (s.get("meta") or {}).get("order") or 0)
    value_type, unit = "number", None
    series: list[Series] = []
    for item in items:
        meta = item.get("meta") or {}
        value_type = str(meta.get("valueType") or value_type)
        unit = meta.get("valueUnit") or unit
        groups = item.get("groupBy") or []
        label = " · ".join(str(g.get("value")) for g in groups if isinstance(g, dict))
        if meta.get("isOther"):
            label = "Other"
        points = []
        for v in item.get("values") or []:
            ts = float(v.get("timestamp") or 0)
            value = v.get("value")
            points.append((epoch_seconds(ts), float(value) if value is not None else math.nan))
        series.append(Series(label=label or str(item.get("yAxis") or y_axis), points=points))
    return Timeseries(y_axis=y_axis, value_type=value_type, unit=unit, series=series)

"""Performance from the `spans` dataset: slowest/busiest transactions and one transaction."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict

from bot.core import clock
from bot.core.errors import UserError
from bot.core.grammar import normalize_period, period_seconds, take_options, tokenize
from bot.discover.parse import DEFAULT_PERIOD, DiscoverQuery, build_query
from bot.discover.sentry_api import Column, DiscoverService, TablePage

PERF_USAGE = "/dexter perf [<transaction>] [project:<slug>] [env:<name>] [last <period>]"
P50 = "p50(span.duration)"
P95 = "p95(span.duration)"
TPM = "epm()"
FAILURE = "failure_rate()"
COUNT = "count()"
IS_TXN = "is_transaction:true"
TOP = 5
LABELS = {P50: "p50", P95: "p95", TPM: "tpm", FAILURE: "failure", COUNT: "count"}
FIGURES = ((P50, "p50"), (P95, "p95"), (TPM, "Throughput"), (FAILURE, "Failure rate"))


class PerfRequest(BaseModel):
    """`/dexter perf …` after parsing."""

    model_config = ConfigDict(frozen=True)

    transaction: str | None = None
    period: str = DEFAULT_PERIOD
    projects: tuple[str, ...] = ()
    environments: tuple[str, ...] = ()


def parse_perf(text: str) -> PerfRequest:
    """Options (`project:`, `env:`, `last <period>`) anywhere; the rest names a transaction."""
    tokens, projects, envs = take_options(tokenize(text.strip()))
    rest: list[str] = []
    period = DEFAULT_PERIOD
    i = 0
    while i < len(tokens):
        found = normalize_period(tokens[i + 1 : i + 3]) if tokens[i].lower() == "last" else None
        if found:
            period, used = found
            i += 1 + used
            continue
        rest.append(tokens[i])
        i += 1
    if period_seconds(period) > 90 * 86400:
        raise UserError(f"`last {period}` is too long: Sentry keeps 90 days.", usage=PERF_USAGE)
    name = " ".join(rest).strip().strip('"') or None
    return PerfRequest(
        transaction=name, period=period, projects=tuple(projects), environments=tuple(envs)
    )


def quote(value: str) -> str:
    """A value quoted for Sentry's search syntax."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True, slots=True)
class Figure:
    """One figure now and in the previous period of the same length."""

    label: str
    column: Column
    value: float | None
    previous: float | None

    @property
    def change(self) -> float | None:
        """Relative change in percent, or None when there is nothing to compare with."""
        if self.value is None or not self.previous:
            return None
        return (self.value - self.previous) / self.previous * 100


@dataclass(frozen=True, slots=True)
class Overview:
    """The slowest and busiest transactions and the query that charts them."""

    slowest: TablePage
    busiest: TablePage
    chart: DiscoverQuery


@dataclass(frozen=True, slots=True)
class TransactionReport:
    """One transaction: its figures against before, slowest spans, errors, chart query."""

    name: str
    count: float
    figures: list[Figure]
    spans: TablePage
    errors: TablePage
    chart: DiscoverQuery


def relabel(page: TablePage) -> TablePage:
    """Short column names (`p95`, `tpm`) for perf tables."""
    columns = [Column(LABELS.get(c.name, c.name), c.type, c.unit) for c in page.columns]
    rows = [{LABELS.get(k, k): v for k, v in r.items()} for r in page.rows]
    return TablePage(columns=columns, rows=rows, next_cursor=page.next_cursor)


class PerfService:
    """Builds the spans queries and runs them concurrently."""

    def __init__(self, discover: DiscoverService) -> None:
        self.discover = discover

    def _query(
        self,
        req: PerfRequest,
        fields: list[str],
        query: str,
        sort: str | None,
        *,
        dataset: str = "spans",
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> DiscoverQuery:
        return build_query(
            fields=fields,
            query=query,
            sort=sort,
            dataset=dataset,
            period=None if start else req.period,
            start=start,
            end=end,
            projects=req.projects,
            environments=req.environments,
        )

    def chart_query(self, req: PerfRequest) -> DiscoverQuery:
        """p95 over time, top transactions (or the one transaction)."""
        if req.transaction:
            return self._query(req, [P95], f"{IS_TXN} transaction:{quote(req.transaction)}", None)
        return self._query(req, ["transaction", P95], IS_TXN, f"-{P95}")

    async def overview(self, req: PerfRequest) -> Overview:
        """The slowest (by p95) and busiest (by throughput) transactions."""
        fields = ["transaction", P50, P95, TPM, FAILURE]
        slow_q = self._query(req, fields, IS_TXN, f"-{P95}")
        busy_q = self._query(req, fields, IS_TXN, f"-{TPM}")
        slowest, busiest = await asyncio.gather(
            self.discover.table(slow_q, per_page=TOP), self.discover.table(busy_q, per_page=TOP)
        )
        return Overview(relabel(slowest), relabel(busiest), self.chart_query(req))

    async def transaction(
        self, req: PerfRequest, *, now: datetime | None = None
    ) -> TransactionReport:
        """Figures vs the previous period, slowest spans and errors of one transaction."""
        assert req.transaction is not None
        name = req.transaction
        where = f"transaction:{quote(name)}"
        fields = [P50, P95, TPM, FAILURE, COUNT]
        now = now or clock.now()
        span = timedelta(seconds=period_seconds(req.period))
        current_q = self._query(req, fields, f"{IS_TXN} {where}", None)
        previous_q = self._query(
            req, fields, f"{IS_TXN} {where}", None, start=now - 2 * span, end=now - span
        )
        spans_q = self._query(
            req,
            ["span.op", "span.description", P95, COUNT],
            f"!{IS_TXN} {where}",
            f"-{P95}",
        )
        errors_q = self._query(req, ["issue", "title", COUNT], where, f"-{COUNT}", dataset="errors")
        current, previous, spans, errors = await asyncio.gather(
            self.discover.table(current_q, per_page=1),
            self.discover.table(previous_q, per_page=1),
            self.discover.table(spans_q, per_page=TOP),
            self.discover.table(errors_q, per_page=TOP),
        )
        now_row = current.rows[0] if current.rows else {}
        prev_row = previous.rows[0] if previous.rows else {}
        columns = {c.name: c for c in current.columns}
        figures = [
            Figure(label, columns[field], _num(now_row.get(field)), _num(prev_row.get(field)))
            for field, label in FIGURES
        ]
        return TransactionReport(
            name=name,
            count=_num(now_row.get(COUNT)) or 0,
            figures=figures,
            spans=relabel(spans),
            errors=errors,
            chart=self.chart_query(req),
        )


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

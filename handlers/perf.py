"""`/dexter perf`: slowest and busiest transactions, or one transaction versus before."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.core import messages, mrkdwn
from bot.core.grammar import describe_period
from bot.deps import Deps
from bot.discover.state import TableState, pack
from bot.discover.table import format_value, layout
from bot.perf.service import PERF_USAGE, Figure, PerfRequest, parse_perf
from bot.slack.command_table import Subcommand
from bot.slack.render import fallback_text
from handlers.context import CommandContext

SAME = 0.5  # percent; smaller changes read as "about the same"


def change_text(figure: Figure, period: str) -> str:
    """`↑ 12 % (was 300 ms)`, `↓ 8 % …`, or why there is nothing to compare."""
    if figure.previous is None or figure.value is None:
        return f"no data for the {describe_period(period)} before"
    was = format_value(figure.previous, figure.column.type, figure.column.unit)
    change = figure.change
    if change is None:
        return f"was {was}"
    arrow = "→" if abs(change) < SAME else ("↑" if change > 0 else "↓")
    return f"{arrow} {abs(change):.0f} % (was {was})"


def where_text(req: PerfRequest, *, compare: bool) -> str:
    """The request's scope in plain words."""
    period = describe_period(req.period)
    parts = [f"last {period}" + (f" vs the {period} before" if compare else "")]
    if req.projects:
        parts.append("project " + ", ".join(req.projects))
    if req.environments:
        parts.append("env " + ", ".join(req.environments))
    return " · ".join(parts)


async def overview_blocks(deps: Deps, req: PerfRequest) -> list[dict[str, Any]] | None:
    """Slowest and busiest transactions, or None when there are none."""
    ov = await deps.perf.overview(req)
    if not ov.slowest.rows and not ov.busiest.rows:
        return None
    return deps.renderer.blocks(
        "perf/perf_overview",
        where=where_text(req, compare=False),
        slowest=layout(ov.slowest.columns, ov.slowest.rows, max_sections=2),
        busiest=layout(ov.busiest.columns, ov.busiest.rows, max_sections=2),
        slowest_rows=len(ov.slowest.rows),
        busiest_rows=len(ov.busiest.rows),
        chart_value=await pack(deps.store, TableState(q=ov.chart.to_text())),
    )


async def transaction_blocks(deps: Deps, req: PerfRequest) -> list[dict[str, Any]] | None:
    """One transaction's figures, slowest spans and errors, or None when it has no data."""
    report = await deps.perf.transaction(req)
    if not report.count:
        return None
    figures = [
        {
            "label": f.label,
            "value": format_value(f.value, f.column.type, f.column.unit),
            "change": change_text(f, req.period),
        }
        for f in report.figures
    ]
    return deps.renderer.blocks(
        "perf/perf_transaction",
        txn=report.name,
        where=where_text(req, compare=True),
        figures=figures,
        count_text=f"{format_value(report.count, 'integer')} transactions in the period",
        spans=layout(report.spans.columns, report.spans.rows, max_sections=2),
        spans_rows=len(report.spans.rows),
        errors=layout(report.errors.columns, report.errors.rows, max_sections=2),
        errors_rows=len(report.errors.rows),
        chart_value=await pack(deps.store, TableState(q=report.chart.to_text())),
    )


async def perf_command(ctx: CommandContext, args: str) -> None:
    """Show transaction performance."""
    req = parse_perf(args)
    if req.transaction:
        blocks = await transaction_blocks(ctx.deps, req)
        empty: str = mrkdwn.format(
            messages.PERF_NO_TRANSACTION,
            name=req.transaction,
            period=describe_period(req.period),
        )
    else:
        blocks = await overview_blocks(ctx.deps, req)
        empty = messages.PERF_NO_DATA.format(period=describe_period(req.period))
    if blocks is None:
        await ctx.reply(text=empty)
        return
    await ctx.reply(blocks, text=fallback_text(blocks))


COMMANDS = [
    Subcommand(
        name="perf",
        usage=PERF_USAGE,
        summary="Slowest and busiest transactions (p50, p95, throughput, failure rate); "
        "with a name, that transaction versus the period before, its slowest spans and errors.",
        example="/dexter perf /api/checkout last 7d",
        handler=perf_command,
        group="Performance",
    )
]


def register(app: AsyncApp, deps: Deps) -> None:
    """The p95 chart button is the Discover Chart button; nothing else to listen for."""

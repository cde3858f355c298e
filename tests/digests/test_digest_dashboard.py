"""Building and rendering the team dashboard: figures, sections, limits, quiet teams."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest
import respx

from bot.core.errors import UserError
from bot.deps import Deps
from bot.digests.dashboard import Dashboard, DigestService, SavedQueryRunner, change
from bot.digests.parse import Target
from bot.digests.sender import DigestSender
from bot.digests.sentry_api import DigestData
from bot.slack.render import MAX_MESSAGE_BLOCKS
from tests import factories as f
from tests.digest_sentry import DashboardSentry

END = f.now()
START = END - timedelta(days=1)


def service(deps: Deps, saved_queries: SavedQueryRunner | None = None) -> DigestService:
    return DigestService(
        data=DigestData(deps.sentry),
        projects=deps.projects,
        members=deps.members,
        saved_queries=saved_queries,
    )


def render(deps: Deps, dash: Dashboard, **kw: Any) -> list[dict[str, Any]]:
    return DigestSender(None, deps.renderer).blocks(dash, **kw)  # type: ignore[arg-type]


def texts(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


@pytest.mark.parametrize(
    ("now", "before", "expected"),
    [(120, 100, "↑ 20%"), (90, 100, "↓ 10%"), (5, 0, "new"), (0, 0, "±0%"), (100, 100, "±0%")],
)
def test_change_versus_previous_period(now: int, before: int, expected: str) -> None:
    assert change(now, before) == expected


async def test_team_dashboard_shows_every_section(deps: Deps, sentry: respx.MockRouter) -> None:
    fake = DashboardSentry().install(sentry)
    dash = await service(deps).build(Target(team="core"), START, END, team_id="T1")
    assert dash.projects == ["backend", "web"]
    assert dash.chart is not None and dash.chart.startswith(b"\x89PNG")
    blocks = render(deps, dash, schedule="daily at 09:00 (UTC)", sub_id="abc123")
    out = texts(blocks)
    assert blocks[0]["text"]["text"] == "Digest · #core"
    headline = next(b for b in blocks if b.get("block_id") == "digest_headline")
    fields = [x["text"] for x in headline["fields"]]
    assert "*New issues*\n2" in fields
    assert "*Regressions*\n1" in fields
    assert "*Unresolved*\n42" in fields
    assert "*Unassigned*\n7" in fields
    assert "*Events*\n1.2k ↑ 20%" in fields
    assert "*Users affected*\n90 ↓ 10%" in fields
    assert "*Crash-free sessions*\n99.82%" in fields
    rows = [b for b in blocks if str(b.get("block_id", "")).startswith("digest_issue|")]
    assert len(rows) == 3
    assert [e["action_id"] for e in rows[0]["elements"]] == [
        "issue_assign_me",
        "issue_resolve",
        "issue_ignore",
    ]
    assert "`1.6.0` released" in out and "deployed to *production*" in out
    assert "deployed to *staging*" in out  # two deploys: the release's deploy list was read
    assert "`/api/checkout` p95 1.8 s" in out and "`/api/search` p95 420 ms" in out
    # in mrkdwn a link's `&` is written `&amp;`, as Slack itself writes it
    assert "https://sentry.io/organizations/acme/issues/?project=2&amp;project=3" in out
    assert "digest `abc123`" in out and "chart in the thread" in out
    assert fake.calls["deploys"] == 1
    # Every figure costs a request; keep the per-digest budget small.
    assert sum(fake.calls.values()) <= 12


async def test_quiet_team_gets_one_line(deps: Deps, sentry: respx.MockRouter) -> None:
    DashboardSentry(quiet=True).install(sentry)
    dash = await service(deps).build(Target(team="core"), START, END, team_id="T1")
    assert dash.quiet and dash.chart is None
    blocks = render(deps, dash)
    assert len(blocks) == 3
    assert "All quiet for *#core*" in blocks[2]["text"]["text"]
    assert "42 unresolved, 7 unassigned" in blocks[2]["text"]["text"]


async def test_dashboard_at_the_limits_stays_valid(deps: Deps, sentry: respx.MockRouter) -> None:
    DashboardSentry(top_count=100, new_count=500, title_len=400).install(sentry)

    async def runner(team_id: str, name: str) -> list[dict[str, Any]]:
        return [{f"column{c}": "x" * 300 for c in range(12)} for _ in range(80)]

    dash = await service(deps, runner).build(
        Target(team="core", query="slow " * 40), START, END, team_id="T1"
    )
    dash.problems += [f"section {i} unavailable" for i in range(20)]
    blocks = render(deps, dash, schedule="x" * 500, sub_id="abc123", preview=True)
    assert len(blocks) <= MAX_MESSAGE_BLOCKS
    for b in blocks:
        assert len(b.get("text", {}).get("text", "")) <= 3000
    out = texts(blocks)
    assert "…and 495 more" in out
    assert "…and 70 more rows" in out


async def test_saved_query_section_is_pluggable(deps: Deps, sentry: respx.MockRouter) -> None:
    DashboardSentry().install(sentry)
    svc = service(deps)
    without = await svc.build(Target(team="core", query="checkout"), START, END, team_id="T1")
    assert without.saved is None
    assert "Saved query" not in texts(render(deps, without))

    seen: list[tuple[str, str]] = []

    async def runner(team_id: str, name: str) -> list[dict[str, Any]]:
        seen.append((team_id, name))
        return [{"transaction": "/api/pay", "count()": 12}]

    dash = await service(deps, runner).build(Target(query="checkout"), START, END, team_id="T1")
    assert seen == [("T1", "checkout")]
    out = texts(render(deps, dash))
    assert "*Saved query* `checkout`" in out and "transaction: /api/pay · count(): 12" in out


async def test_a_failing_section_is_left_out_not_fatal(
    deps: Deps, sentry: respx.MockRouter
) -> None:
    DashboardSentry(fail={"sessions", "spans"}).install(sentry)
    dash = await service(deps).build(Target(projects=("backend",)), START, END, team_id="T1")
    assert dash.headline is not None and dash.headline.crash_free is None
    out = texts(render(deps, dash))
    assert "Crash-free" not in out and "Slowest" not in out
    assert "Not shown: sessions unavailable" in out


async def test_unknown_team_is_a_user_error(deps: Deps, sentry: respx.MockRouter) -> None:
    DashboardSentry().install(sentry)
    with pytest.raises(UserError, match="no team `nope`"):
        await service(deps).build(Target(team="nope"), START, END, team_id="T1")


async def test_identical_builds_share_one_set_of_requests(
    deps: Deps, sentry: respx.MockRouter
) -> None:
    fake = DashboardSentry(delay=0.05).install(sentry)
    svc = service(deps)
    dashes = await asyncio.gather(
        *(svc.build(Target(team="core"), START, END, team_id="T1", chart=False) for _ in range(5))
    )
    assert svc.builds == 1 and all(d is dashes[0] for d in dashes)
    assert fake.calls["series"] == 0


def test_chart_queue_is_bounded_in_a_burst(deps: Deps) -> None:
    sender = DigestSender(None, deps.renderer)  # type: ignore[arg-type]
    sender.max_queued_charts = 1
    assert sender.reserve_chart()
    assert not sender.reserve_chart()
    sender.release_chart()
    assert sender.reserve_chart()
    assert sender.charts_skipped == 1

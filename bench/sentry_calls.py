"""Sentry requests per user operation, first time (cold) and again (warm, caches filled).

`python -m bench.sentry_calls`. Add a row by appending an `Op` to OPERATIONS. An operation
that does not finish as it should is printed as "did not finish" and the run exits 1.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp
import httpx
import redis.asyncio as aioredis
import respx
from httpx import Response

from bot.app import create_app
from bot.core.ids import Action, BlockId, Callback
from bot.core.store import Store
from bot.deps import build_deps
from tests import dashboard_factories as dbf
from tests import discover_factories as df
from tests import event_factories as ef
from tests import factories as f
from tests.dashboards.support import BoardSentry, widgets
from tests.digest_sentry import DashboardSentry
from tests.fake_dns import fake_resolver
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver, serve_bot
from tests.sentry_mock import SentryMock
from tests.settings_factory import make_settings
from tests.tenants import installation, installations, oauth_settings

Run = Callable[[SlackDriver], Awaitable[object]]
# "single": one workspace, the environment's Sentry; "oauth": installed in many workspaces
# (only there does `/dexter setup` open its modal: a single-workspace install refuses it)
Install = Literal["single", "oauth"]
ANSWER_TIMEOUT = 30.0  # seconds: only guards against a hang; a loaded machine may be slow


@dataclass(frozen=True)
class Op:
    """One thing a user does, and the Slack call that shows it finished."""

    name: str
    run: Run
    # "response" (response_url), a Web API method, or "reply": finished when `run` returns
    # (the HTTP answer, or `run` waited for the end itself)
    done: str
    install: Install = "single"


@dataclass
class Row:
    """What one operation cost, cold and warm; `problem` when it did not finish."""

    name: str
    cold: int = 0
    warm: int = 0
    endpoints: Counter[str] = field(default_factory=Counter)
    problem: str = ""


class NotDone(Exception):
    """The operation ended otherwise than the row says (its message says how)."""


SETUP_VALUES: dict[str, Any] = {
    BlockId.SETUP_URL: {"value": {"type": "url_text_input", "value": "https://sentry.io"}},
    BlockId.SETUP_ORG: {"value": {"type": "plain_text_input", "value": "acme"}},
    BlockId.SETUP_TOKEN: {"value": {"type": "plain_text_input", "value": "sntrys_bench"}},
}
_VIEWS = itertools.count(1)  # identical signed bodies would be refused as replays
_TYPED = itertools.cycle(["a", "an", "ann"])
NEXT = json.dumps({"cursor": "0:10:0", "page": 2})


async def first_after(
    slack: FakeSlack, method: str, seen: int, match: Callable[[Any], bool]
) -> Any:
    """The first `method` call (or response_url post) after the first `seen` that matches,
    waiting for it: others ("Working on it…", "Sentry is slow, still trying…") may come first
    or in between, more of them when the machine is busy."""
    while True:
        got = slack.responses if method == "response" else slack.of(method)
        for item in got[seen:]:
            if match(item):
                return item
        await slack.wait_for(method, len(got) + 1, timeout=ANSWER_TIMEOUT)


def _text(response: dict[str, Any]) -> str:
    return str(response.get("text", ""))


def _confirm_tokens(response: dict[str, Any]) -> list[str]:
    return [
        e["value"]
        for b in response.get("blocks") or []
        if b["type"] == "actions"
        for e in b["elements"]
        if e.get("action_id") == Action.BULK_CONFIRM
    ]


async def click_confirm(bot: SlackDriver) -> None:
    """`/dexter bulk resolve` over 250 issues: the preview, then Confirm."""
    seen = len(bot.slack.responses)
    await bot.command("bulk resolve is:unresolved bench:bulk")
    preview = await first_after(bot.slack, "response", seen, lambda r: bool(_confirm_tokens(r)))
    await bot.action(Action.BULK_CONFIRM, value=_confirm_tokens(preview)[0], ephemeral=True)
    # the run ends with the report replacing the progress message
    await first_after(bot.slack, "response", seen, lambda r: "issues changed." in _text(r))


_EVERY = itertools.cycle([1, 2, 3, 4, 6, 8, 12])  # a new subscription each run, not a duplicate
BOARD_MARK = "bench:board"  # in every widget query, so the mock tells them from digest reads


async def dashboard_digest(bot: SlackDriver) -> None:
    """Subscribe the channel to Sentry dashboard 7 (6 widgets, 2 charts), then Send now."""
    seen = len(bot.slack.responses)
    await bot.command(f"digest subscribe dashboard:7 every {next(_EVERY)}h")
    # the confirmation names the subscription; a busy machine may say "Working on it…" first
    reply = await first_after(bot.slack, "response", seen, lambda r: "(id `" in _text(r))
    sub_id = _text(reply).split("(id `")[1].split("`")[0]
    await bot.command(f"digest send {sub_id}")


async def save_setup(bot: SlackDriver) -> None:
    """Submit the setup modal; done when it shows the settings saved, not the form again."""
    seen, view_id = len(bot.slack.of("views.update")), f"V{next(_VIEWS)}"
    await bot.view_submission(Callback.SENTRY_SETUP, SETUP_VALUES, view_id=view_id)
    update = await first_after(
        bot.slack, "views.update", seen, lambda c: c.args.get("view_id") == view_id
    )
    view = update.args["view"]
    if "submit" in view:  # the form again: the check failed (or setup was refused)
        raise NotDone(f"the setup modal showed the form again: {json.dumps(view['blocks'][:2])}")


RESOLVE_NOW = {"value": "now|123", "text": {"type": "plain_text", "text": "Resolve now"}}

OPERATIONS: list[Op] = [
    Op("/dexter help", lambda b: b.command("help"), "response"),
    Op("/dexter issues", lambda b: b.command("issues"), "response"),
    Op("/dexter issues project:backend", lambda b: b.command("issues project:backend"), "response"),
    Op("/dexter issue 123", lambda b: b.command("issue 123"), "chat.postMessage"),
    Op("/dexter issue BACKEND-1", lambda b: b.command("issue BACKEND-1"), "chat.postMessage"),
    Op("Next page button", lambda b: b.action(Action.ISSUES_NEXT_PAGE, value=NEXT), "response"),
    # typed differently each time: an identical signed body would be refused as a replay
    Op(
        "Assign menu (options load)",
        lambda b: b.options(Action.ISSUE_ASSIGN, next(_TYPED)),
        "reply",
    ),
    Op(
        "Resolve button on a card",
        # a new card each time: the same click on the same card twice is one change
        lambda b: b.action(
            Action.ISSUE_RESOLVE,
            selected_option=RESOLVE_NOW,
            message_ts=f"1700000100.{next(_VIEWS):06d}",
        ),
        "chat.update",
    ),
    Op("Bulk resolve of 250 (preview + confirm)", click_confirm, "reply"),
    Op(
        "/dexter digest preview team:core",
        lambda b: b.command("digest preview team:core"),
        "response",
    ),
    Op("/dexter event BACKEND-1", lambda b: b.command("event BACKEND-1"), "response"),
    Op(
        "Stack trace button on a card",
        lambda b: b.action(Action.EVENT_SHOW, value="123|latest"),
        "response",
    ),
    Op(
        "Older button (event view)",
        lambda b: b.action(Action.EVENT_OLDER, value=f"123|{ef.OLDER}"),
        "response",
    ),
    Op("/dexter event BACKEND-1 tags", lambda b: b.command("event BACKEND-1 tags"), "response"),
    Op(
        "/dexter digest preview dashboard:7",
        lambda b: b.command("digest preview dashboard:7"),
        "response",
    ),
    Op("Dashboard digest: subscribe + Send now", dashboard_digest, "chat.postMessage"),
    Op(
        "/dexter replays search",
        lambda b: b.command("replays search count_errors:>0 project:backend sort:errors"),
        "response",
    ),
    Op("/dexter setup (open modal)", lambda b: b.command("setup"), "views.open", "oauth"),
    Op("/dexter setup (check and save)", save_setup, "reply", "oauth"),
]


def _issues(dashboard: DashboardSentry) -> Callable[[httpx.Request], Awaitable[Response]]:
    link = f.link_header("organizations/acme/issues/", "0:10:0")

    async def answer(request: httpx.Request) -> Response:
        params = request.url.params
        if "bench:bulk" in params.get("query", ""):  # 250 matches, 100 a page
            page = int((params.get("cursor") or "0:0:0").split(":")[1]) // 100
            rows = [f.issue(1000 + i) for i in range(page * 100, min(250, page * 100 + 100))]
            more = f"0:{(page + 1) * 100}:0" if (page + 1) * 100 < 250 else None
            headers = f.link_header("organizations/acme/issues/", more)
            return Response(200, json=rows, headers=headers)
        if "start" in params or "firstSeen" in params.get("query", ""):
            return await dashboard._issues(request)  # the digest's questions
        return Response(200, json=[f.issue(i) for i in range(1, 11)], headers=link)

    return answer


BENCH_TAGS = [
    {"key": k, "name": k.title(), "totalValues": 100}
    for k in ("environment", "release", "browser", "os", "url", "custom")
]


def mock_sentry(router: respx.MockRouter) -> None:
    dashboard = DashboardSentry().install(router)
    # the same pattern again replaces the dashboard's issue route with one that also pages
    SentryMock(router).issues(_issues(dashboard))
    router.get("organizations/acme/members/").respond(
        200, json=[f.member(1, "ann@acme.com", role="owner"), f.member(2, "bob@acme.com")]
    )
    router.get("organizations/acme/members/1/").respond(
        200, json=f.member(1, "ann@acme.com", role="owner") | {"teams": ["core"]}
    )
    router.get("organizations/acme/replay-count/").respond(200, json={"123": 0})
    router.put("organizations/acme/issues/123/").respond(200, json={"status": "resolved"})
    router.put("organizations/acme/issues/").respond(200, json={"status": "resolved"})
    # Sentry's issue endpoints take the short id in place of the id
    router.get(url__regex=r"organizations/acme/issues/(123|BACKEND-1)/$").respond(
        200, json=f.issue(123, short="BACKEND-1", tags=BENCH_TAGS)
    )
    # the card and the event view: an event, its older neighbour, and the issue's key tags
    router.get(url__regex=r"organizations/acme/issues/(123|BACKEND-1)/events/latest/$").respond(
        200, json=ef.event(ef.LATEST, issue_id=123)
    )
    router.get(f"organizations/acme/issues/123/events/{ef.OLDER}/").respond(
        200, json=ef.event(ef.OLDER, issue_id=123, previous=None, next_id=ef.LATEST)
    )
    router.get(url__regex=r"organizations/acme/issues/123/tags/[^/]+/$").respond(
        200, json=ef.tag("environment", [("production", 75), ("staging", 25)])
    )
    router.get("organizations/acme/").respond(200, json={"id": "1", "slug": "acme", "name": "Acme"})
    mock_board(router, dashboard)


def mock_board(router: respx.MockRouter, dashboard: DashboardSentry) -> None:
    """Sentry dashboard 7 and its widgets' queries, next to the team digest's reads."""
    board = dbf.dashboard("7", widgets=widgets())
    for widget in board["widgets"]:
        for q in widget["queries"]:
            q["conditions"] = f"{q['conditions']} {BOARD_MARK}".strip()
    mock = BoardSentry(board=board)
    dbf.mock_dashboard(router, board)

    async def events(request: httpx.Request) -> Response:
        if BOARD_MARK in request.url.params.get("query", ""):
            return mock.events(request)
        return await dashboard._events(request)

    async def series(request: httpx.Request) -> Response:
        if BOARD_MARK in request.url.params.get("query", ""):
            return mock.series(request)
        return await dashboard._series(request)

    router.get("organizations/acme/events/").mock(side_effect=events)
    router.get("organizations/acme/events-timeseries/").mock(side_effect=series)
    router.get("organizations/acme/replays/").respond(
        200, json={"data": [df.replay(f"{i:032x}") for i in range(10)]}
    )


@asynccontextmanager
async def serve(install: Install, slack: FakeSlack, store: Store) -> AsyncIterator[SlackDriver]:
    """The real app over HTTP on its own keys of the Redis: one workspace, or an OAuth install
    (workspace T1 installed) whose `/dexter setup` checks hosts with the tests' DNS."""
    extra = {"DEXTER_ADMINS": "U1"}
    if install == "oauth":
        settings = oauth_settings(slack, **extra)
    else:
        settings = make_settings(slack, DEXTER_SECRET_KEY="bench-" + "k" * 30, **extra)
    deps = await build_deps(settings, store=store)
    deps.workspaces.egress = deps.workspaces.egress.with_resolver(fake_resolver)
    if install == "oauth":
        await installations(deps).async_save(installation("T1", "xoxb-bench-t1-0001"))
    try:
        async with (
            aiohttp.ClientSession() as session,
            serve_bot(create_app(settings, deps), deps, slack, session) as bot,
        ):
            yield bot
    finally:
        await deps.sentry.aclose()


async def run_op(op: Op, bot: SlackDriver, router: respx.MockRouter, warm: bool = True) -> Row:
    """Run op cold, then warm unless told not to, counting the Sentry requests of each."""
    row, slack, counts = Row(op.name), bot.slack, []
    for attempt in range(2 if warm else 1):
        before = len(router.calls)
        seen = len(slack.responses if op.done == "response" else slack.of(op.done))
        try:
            await op.run(bot)
            if op.done != "reply":
                await slack.wait_for(op.done, seen + 1, timeout=ANSWER_TIMEOUT)
        except TimeoutError:
            row.problem = f"Slack saw no {op.done} within {ANSWER_TIMEOUT:.0f} s"
            return row
        except NotDone as exc:
            row.problem = str(exc)
            return row
        await asyncio.sleep(0.05)  # a request sent after the answer still counts
        calls = router.calls[before:]
        counts.append(len(calls))
        if attempt == 0:
            row.endpoints.update(f"{c.request.method} {c.request.url.path}" for c in calls)
    row.cold, row.warm = counts[0], counts[-1] if warm else 0
    return row


async def measure(
    ops: Sequence[Op] = OPERATIONS, redis: aioredis.Redis | None = None, warm: bool = True
) -> list[Row]:
    """One row per op, in order; the ops of each install run on one app. Redis: `redis`, or
    REDIS_URL's; only keys of this run's own prefix are written and deleted. `warm=False`
    runs each op once (cold): a quick check that every op finishes."""
    slack = await FakeSlack().start()
    slack.add_user("U1", email="ann@acme.com", name="ann", admin=True)
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    prefix = f"bench:{uuid.uuid4().hex[:8]}:"
    client = redis or aioredis.Redis.from_url(url)
    rows: dict[str, Row] = {}
    try:
        with respx.mock(base_url="https://sentry.io/api/0/", assert_all_called=False) as router:
            mock_sentry(router)
            for install in ("single", "oauth"):
                batch = [op for op in ops if op.install == install]
                if not batch:
                    continue
                store = Store(client, prefix=f"{prefix}{install}:")
                async with serve(install, slack, store) as bot:
                    for op in batch:
                        rows[op.name] = await run_op(op, bot, router, warm)
    finally:
        keys = [k async for k in client.scan_iter(match=prefix + "*")]
        if keys:
            await client.delete(*keys)
        if redis is None:
            await client.aclose()
        await slack.stop()
    return [rows[op.name] for op in ops]


def table(rows: Sequence[Row]) -> list[str]:
    """The printed lines."""
    width = max(len(r.name) for r in rows) + 2
    lines = [f"{'operation':<{width}}{'cold':>5}{'warm':>6}  endpoints (cold)"]
    for row in rows:
        if row.problem:
            lines.append(f"{row.name:<{width}}  did not finish: {row.problem}")
            continue
        hit = ", ".join(
            f"{e.removeprefix('GET /api/0/organizations/acme')}" + (f" ×{n}" if n > 1 else "")
            for e, n in row.endpoints.items()
        )
        lines.append(f"{row.name:<{width}}{row.cold:>5}{row.warm:>6}  {hit or '-'}")
    return lines


def main() -> None:
    """Print the table; exit 1 when an operation did not finish."""
    rows = asyncio.run(measure())
    print("\n".join(table(rows)))
    if any(r.problem for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()

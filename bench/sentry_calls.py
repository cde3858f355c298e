"""Sentry requests per user operation, first time (cold) and again (warm, caches filled).

`python -m bench.sentry_calls`. Add a row by appending an `Op` to OPERATIONS.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import redis.asyncio as aioredis
import respx
from aiohttp import web
from httpx import Response

from bot.app import create_app
from bot.deps import build_deps
from bot.ids import Action, BlockId, Callback
from bot.server import http_app
from bot.store import Store
from tests import factories as f
from tests.conftest import SLACK_SIGNING_SECRET, make_settings
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver

Run = Callable[[SlackDriver], Awaitable[object]]


@dataclass(frozen=True)
class Op:
    """One thing a user does, and the Slack call that shows it finished."""

    name: str
    run: Run
    done: str  # "response" (response_url) or a Web API method


SETUP_VALUES: dict[str, Any] = {
    BlockId.SETUP_URL: {"value": {"type": "url_text_input", "value": "https://sentry.io"}},
    BlockId.SETUP_ORG: {"value": {"type": "plain_text_input", "value": "acme"}},
    BlockId.SETUP_TOKEN: {"value": {"type": "plain_text_input", "value": "sntrys_bench"}},
}
_VIEWS = itertools.count(1)  # identical signed bodies would be refused as replays
NEXT = json.dumps({"cursor": "0:10:0", "page": 2})

OPERATIONS: list[Op] = [
    Op("/dexter help", lambda b: b.command("help"), "response"),
    Op("/dexter issues", lambda b: b.command("issues"), "response"),
    Op("/dexter issues project:backend", lambda b: b.command("issues project:backend"), "response"),
    Op("/dexter issue 123", lambda b: b.command("issue 123"), "chat.postMessage"),
    Op("/dexter issue BACKEND-1", lambda b: b.command("issue BACKEND-1"), "chat.postMessage"),
    Op("Next page button", lambda b: b.action(Action.ISSUES_NEXT_PAGE, value=NEXT), "response"),
    Op("/dexter setup (open modal)", lambda b: b.command("setup"), "views.open"),
    Op(
        "/dexter setup (check and save)",
        lambda b: b.view_submission(
            Callback.SENTRY_SETUP, SETUP_VALUES, view_id=f"V{next(_VIEWS)}"
        ),
        "views.update",
    ),
]


def mock_sentry(router: respx.MockRouter) -> None:
    issues = [f.issue(i) for i in range(1, 11)]
    link = f.link_header("organizations/acme/issues/", "0:10:0")
    router.get("organizations/acme/projects/").respond(200, json=[f.project()])
    router.get("organizations/acme/issues/").mock(
        return_value=Response(200, json=issues, headers=link)
    )
    router.get("organizations/acme/shortids/BACKEND-1/").respond(
        200, json={"groupId": "123", "group": f.issue(123)}
    )
    router.get("organizations/acme/issues/123/").respond(200, json=f.issue(123))
    router.get("organizations/acme/issues/123/events/latest/").respond(200, json=f.event(123))
    router.get("organizations/acme/").respond(200, json={"id": "1", "slug": "acme", "name": "Acme"})


async def measure() -> list[tuple[str, int, int, Counter[str]]]:
    slack = await FakeSlack().start()
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    prefix = f"bench:{uuid.uuid4().hex[:8]}:"
    client = aioredis.Redis.from_url(url)
    settings = make_settings(slack, DEXTER_SECRET_KEY="bench-" + "k" * 30, DEXTER_ADMINS="U1")
    rows: list[tuple[str, int, int, Counter[str]]] = []
    with respx.mock(base_url="https://sentry.io/api/0/", assert_all_called=False) as router:
        mock_sentry(router)
        deps = await build_deps(settings, store=Store(client, prefix=prefix))
        runner = web.AppRunner(http_app(create_app(settings, deps), deps), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        async with aiohttp.ClientSession() as session:
            bot = SlackDriver(f"http://127.0.0.1:{port}", SLACK_SIGNING_SECRET, slack, session)
            for op in OPERATIONS:
                counts = []
                endpoints: Counter[str] = Counter()
                for attempt in range(2):
                    before = len(router.calls)
                    seen = len(slack.responses if op.done == "response" else slack.of(op.done))
                    await op.run(bot)
                    await slack.wait_for(op.done, seen + 1)
                    await asyncio.sleep(0.05)
                    calls = router.calls[before:]
                    counts.append(len(calls))
                    if attempt == 0:
                        endpoints.update(f"{c.request.method} {c.request.url.path}" for c in calls)
                rows.append((op.name, counts[0], counts[1], endpoints))
        await runner.cleanup()
        await deps.sentry.aclose()
    keys = [k async for k in client.scan_iter(match=prefix + "*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()
    await slack.stop()
    return rows


def main() -> None:
    """Print the table."""
    rows = asyncio.run(measure())
    width = max(len(r[0]) for r in rows) + 2
    print(f"{'operation':<{width}}{'cold':>5}{'warm':>6}  endpoints (cold)")
    for name, cold, warm, endpoints in rows:
        hit = ", ".join(
            f"{e.removeprefix('GET /api/0/organizations/acme')}" + (f" ×{n}" if n > 1 else "")
            for e, n in endpoints.items()
        )
        print(f"{name:<{width}}{cold:>5}{warm:>6}  {hit or '-'}")


if __name__ == "__main__":
    main()

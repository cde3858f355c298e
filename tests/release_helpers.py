"""Helpers shared by the release tests: Sentry routes, the release watch, and reading what
Slack received."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import respx
from httpx import Request, Response
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.releases.watch import ReleaseWatch
from bot.services import release_watch_of
from bot.slack.tenancy import TenantWebClient
from tests import factories as f
from tests import release_factories as rf
from tests.fake_slack import FakeSlack
from tests.sentry_mock import SentryMock
from tests.settings_factory import SLACK_BOT_TOKEN


def mock_projects(sentry: respx.MockRouter) -> None:
    SentryMock(sentry).projects([f.project(2, "backend", "core"), f.project(3, "frontend", "web")])


def mock_member(
    sentry: respx.MockRouter, *, role: str = "member", teams: list[str] | None = None
) -> None:
    """Jane (Slack U1) is Sentry member 7, in team `core` (which owns `backend`)."""
    teams = ["core"] if teams is None else teams
    SentryMock(sentry).members(
        [f.member(7, "jane@acme.io", role=role, teams=teams, name="Jane Doe")]
    )


def watcher(
    deps: Deps, slack: FakeSlack, clock: Callable[[], datetime], *, tenants: bool = False
) -> ReleaseWatch:
    """A release watch on `deps` posting to the fake Slack, its time read from `clock`.

    `tenants`: its client has no token of its own, so each workspace's bot token is used
    (multi-workspace); otherwise it posts with the test bot token."""
    client = (
        TenantWebClient(base_url=slack.api_url)
        if tenants
        else AsyncWebClient(token=SLACK_BOT_TOKEN, base_url=slack.api_url)
    )
    return release_watch_of(deps, client, clock=clock)


def by_query(routes: dict[str, list[dict[str, Any]]]) -> Any:
    """An issues-list side effect answering by the `query` parameter's first word."""

    def answer(request: Request) -> Response:
        query = request.url.params.get("query", "")
        for prefix, issues in routes.items():
            if query.startswith(prefix):
                return Response(200, json=issues)
        return Response(200, json=[])

    return answer


def text_of(blocks: list[dict[str, Any]]) -> str:
    """Every piece of text in blocks, one per line (what a reader sees)."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text") and "text" in node:
                out.append(str(node["text"]))
            for key, value in node.items():
                if key != "text" or isinstance(value, dict):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return "\n".join(out)


def elements(blocks: list[dict[str, Any]], action_id: str) -> list[dict[str, Any]]:
    """Every interactive element with this action_id."""
    return [
        el
        for b in blocks
        if b.get("type") == "actions"
        for el in b.get("elements", [])
        if el.get("action_id") == action_id
    ]


def release_card_routes(sentry: respx.MockRouter, version: str = "backend@1.5.2") -> dict[str, Any]:
    """Everything `/dexter release backend@1.5.2` reads."""
    deploys = [
        rf.deploy(41, "staging", ago=timedelta(hours=3)),
        rf.deploy(42, "production", ago=timedelta(hours=1), name="deploy 412"),
    ]
    rel = rf.release(version, deploys=deploys, commits=7)
    prev = rf.release("backend@1.5.1", ago=timedelta(hours=30))
    acme = SentryMock(sentry)
    routes = {
        "detail": sentry.get(rf.path(version)).mock(return_value=Response(200, json=rel)),
        "commits": sentry.get(rf.path(version, "commits")).mock(
            return_value=Response(
                200,
                json=[
                    rf.commit(i, f"fix: thing {i}\n\nbody", "Jane Doe" if i % 2 else "Omar Li")
                    for i in range(6)
                ],
            )
        ),
        "deploys": sentry.get(rf.path(version, "deploys")).mock(
            return_value=Response(200, json=list(reversed(deploys)))
        ),
        "list": acme.releases([rel, prev]),
        "sessions": sentry.get("organizations/acme/sessions/").mock(
            return_value=Response(
                200,
                json=rf.sessions(
                    {version: (5000, 0.9935, 0.9910), "backend@1.5.1": (8000, 0.9920, 0.9930)}
                ),
            )
        ),
        "issues": acme.issues(
            by_query(
                {
                    "firstRelease:": [f.issue(11, title="KeyError: 'plan'"), f.issue(12)],
                    "is:regressed": [f.issue(13, title="TimeoutError")],
                }
            )
        ),
    }
    return routes


def form(call_args: dict[str, Any], key: str) -> Any:
    value = call_args.get(key)
    return json.loads(value) if isinstance(value, str) and value[:1] in "[{" else value

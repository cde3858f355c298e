"""Shared set-up for the alert rule tests: a mocked organisation, linked users, and a
simulation of what Slack sends back for a modal (its state, block actions, submissions)."""

from __future__ import annotations

import json
import time
from typing import Any

import respx
from httpx import Response

from bot.deps import Deps
from bot.sentry.models import Member
from tests import factories as f
from tests.fake_slack import FakeSlack
from tests.harness import Reply, SlackDriver
from tests.sentry_mock import SentryMock

ORG = "organizations/acme/"
HOUR = 3600
LEGACY_PATHS = ("/rules/", "/alert-rules/")
ADMIN = f.member(5, "ada@acme.io", role="admin", user_id=500, name="Ada")
DEV = f.member(6, "bob@acme.io", role="member", user_id=600, name="Bob", teams=["web"])
CORE_DEV = f.member(7, "cy@acme.io", role="member", user_id=700, name="Cy", teams=["core"])
SLACK_INTEGRATION = {
    "id": "77",
    "name": "Acme",
    "icon": None,
    "domainName": "acme.slack.com",
    "accountType": None,
    "scopes": ["chat:write"],
    "outOfDate": False,
    "status": "active",
    "provider": {"key": "slack", "slug": "slack", "name": "Slack"},
    "configOrganization": [],
    "configData": {},
    "externalId": "T1",
    "organizationId": 1,
    "organizationIntegrationStatus": "active",
    "gracePeriodEnd": None,
}


def mock_org(
    sentry: respx.MockRouter,
    *,
    generation: str = "current",
    slack: bool = True,
    workflows: list[dict[str, Any]] | None = None,
) -> None:
    """Projects, members, teams, the Slack integration, and which alert API Sentry has."""
    acme = SentryMock(sentry)
    acme.projects([f.project(2, "backend", "core"), f.project(3, "web", "web")])
    acme.members([ADMIN, DEV, CORE_DEV])
    acme.teams(
        [
            {"id": "10", "slug": "core", "name": "Core", "memberCount": 3},
            {"id": "11", "slug": "web", "name": "Web", "memberCount": 2},
        ]
    )
    sentry.get(ORG + "integrations/").mock(
        return_value=Response(200, json=[SLACK_INTEGRATION] if slack else [])
    )
    if generation == "legacy":
        sentry.get(ORG + "workflows/").mock(
            return_value=Response(404, json={"detail": "Not found"})
        )
    else:
        sentry.get(ORG + "workflows/", name="workflows").mock(
            return_value=Response(200, json=workflows or [])
        )


def unexpected(
    sentry: respx.MockRouter, path_regex: str = "", *, method: str | None = None
) -> respx.Route:
    """A route for requests Dexter must not send. respx records a request only when a route
    answers it (an unrouted one raises inside the bot, which reports it and carries on), so
    `sentry.calls` alone cannot show that a path was never asked."""
    patterns: dict[str, Any] = {"path__regex": path_regex} if path_regex else {}
    if method:
        patterns["method"] = method
    return sentry.route(**patterns).respond(404, json={"detail": "Not found"})


async def link(deps: Deps, member: dict[str, Any], slack_user: str = "U1") -> None:
    """Link a Slack user to a Sentry member, as `/dexter link` would."""
    await deps.identity.save(
        "T1", slack_user, Member.model_validate(member), method="admin", by=None
    )


def channel_named(slack: FakeSlack, name: str = "alerts") -> None:
    slack.on(
        "conversations.info", lambda a: {"ok": True, "channel": {"id": a["channel"], "name": name}}
    )


def last_view(slack: FakeSlack, method: str = "views.update") -> dict[str, Any]:
    view: dict[str, Any] = slack.of(method)[-1].args["view"]
    return view


def block_ids(view: dict[str, Any]) -> list[str]:
    return [str(b["block_id"]) for b in view["blocks"] if b.get("type") == "input"]


def texts(view_or_blocks: dict[str, Any] | list[dict[str, Any]]) -> str:
    """Every piece of text a user would read, joined."""
    blocks = view_or_blocks["blocks"] if isinstance(view_or_blocks, dict) else view_or_blocks
    return json.dumps(blocks, ensure_ascii=False)


def state_of(view: dict[str, Any], changes: dict[str, str | None] | None = None) -> dict[str, Any]:
    """The `view.state.values` Slack would send: the view's initial values plus `changes`
    (by action id; a value of None clears the input)."""
    changes = dict(changes or {})
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block.get("type") != "input":
            continue
        el = block["element"]
        aid = el["action_id"]
        kind = el["type"]
        if aid in changes:
            value = changes.pop(aid)
        elif kind in ("plain_text_input", "number_input"):
            value = el.get("initial_value")
        elif kind in ("static_select", "external_select"):
            value = (el.get("initial_option") or {}).get("value")
        elif kind == "conversations_select":
            value = el.get("initial_conversation") or (
                "C1" if el.get("default_to_current_conversation") else None
            )
        else:
            value = None
        values[block["block_id"]] = {aid: _element_state(el, value)}
    assert not changes, f"the view has no inputs {sorted(changes)}"
    return {"values": values}


def _element_state(el: dict[str, Any], value: str | None) -> dict[str, Any]:
    kind = el["type"]
    if kind in ("static_select", "external_select"):
        if value is None:
            return {"type": kind, "selected_option": None}
        label = next(
            (o["text"]["text"] for o in el.get("options") or [] if o["value"] == value), value
        )
        if kind == "static_select":
            assert any(o["value"] == value for o in el["options"]), f"{value} not offered"
        return {
            "type": kind,
            "selected_option": {"text": {"type": "plain_text", "text": label}, "value": value},
        }
    if kind == "conversations_select":
        return {"type": kind, "selected_conversation": value}
    return {"type": kind, "value": value}


async def choose(
    bot: SlackDriver, view: dict[str, Any], action_id: str, value: str, *, user: str = "U1"
) -> Reply:
    """Pick an option in a dispatch_action select of an open modal (a block_actions call)."""
    state = state_of(view, {action_id: value})
    block_id = next(b for b, v in state["values"].items() if action_id in v)
    action = {
        "action_id": action_id,
        "block_id": block_id,
        "type": "static_select",
        "selected_option": state["values"][block_id][action_id]["selected_option"],
        "action_ts": "1700000000.1",
    }
    return await _view_action(bot, view, state, action, user)


async def press(
    bot: SlackDriver, view: dict[str, Any], action_id: str, *, user: str = "U1"
) -> Reply:
    """Press a button inside an open modal."""
    action = {"action_id": action_id, "block_id": "b", "type": "button", "value": "edit"}
    return await _view_action(bot, view, {"values": {}}, action, user)


async def _view_action(
    bot: SlackDriver, view: dict[str, Any], state: dict[str, Any], action: dict[str, Any], user: str
) -> Reply:
    payload = {
        "type": "block_actions",
        "user": {"id": user, "team_id": "T1"},
        "team": {"id": "T1", "domain": "acme"},
        "api_app_id": "A1",
        "token": "legacy",
        "trigger_id": "trig-view",
        "container": {"type": "view", "view_id": "V1"},
        "view": {**view, "id": "V1", "hash": "h1", "state": state},
        "actions": [action],
    }
    return await bot.interaction(payload)


async def submit(
    bot: SlackDriver,
    view: dict[str, Any],
    changes: dict[str, str | None] | None = None,
    *,
    user: str = "U1",
) -> dict[str, Any]:
    """Submit a modal; returns the response_action Slack would receive (or {} for none)."""
    reply = await bot.view_submission(
        view["callback_id"],
        state_of(view, changes)["values"],
        private_metadata=view.get("private_metadata", ""),
        user=user,
    )
    assert reply.status == 200, reply.body
    assert reply.elapsed < 3.0, f"Slack allows 3 s; took {reply.elapsed:.2f}s"
    return json.loads(reply.body) if reply.body else {}


def timeseries(
    values: list[float], *, start: float, step: int, group: str | None = None
) -> dict[str, Any]:
    """One events-timeseries series (timestamps in milliseconds, as Sentry sends them)."""
    series: dict[str, Any] = {
        "yAxis": "count()",
        "values": [
            {"timestamp": (start + i * step) * 1000, "value": v, "incomplete": False}
            for i, v in enumerate(values)
        ],
        "meta": {"valueUnit": None, "valueType": "integer", "interval": step * 1000},
    }
    if group is not None:
        series["groupBy"] = [{"key": "issue", "value": group}]
    return series


def timeseries_response(*series: dict[str, Any]) -> Response:
    return Response(
        200, json={"timeSeries": list(series), "meta": {"dataset": "errors", "start": 0, "end": 0}}
    )


def bodies(route: respx.Route) -> list[dict[str, Any]]:
    """The JSON bodies a route received."""
    return [json.loads(call.request.content) for call in route.calls]


def week_start() -> float:
    return (time.time() // HOUR) * HOUR - 7 * 86400


async def open_form(bot: SlackDriver, slack: FakeSlack, text: str) -> dict[str, Any]:
    reply = await bot.command(text)
    assert reply.status == 200
    await slack.wait_for("views.update", 1)
    opened = slack.of("views.open")[0].args
    assert opened["trigger_id"].startswith("trig")
    return last_view(slack)


def paths(sentry: respx.MockRouter, method: str | None = None) -> list[str]:
    return [
        c.request.url.path for c in sentry.calls if method is None or c.request.method == method
    ]


async def open_form_again(bot: SlackDriver, slack: FakeSlack, text: str) -> dict[str, Any]:
    before = len(slack.of("views.update"))
    await bot.command(text)
    await slack.wait_for("views.update", before + 1)
    return last_view(slack)

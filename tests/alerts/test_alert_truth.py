"""Alert buttons decide on the rule as Sentry has it, not on what the button value says:
a hostile user may send any value."""

from __future__ import annotations

import json
from typing import Any

import respx
from httpx import Response

from bot.deps import Deps
from bot.slack.permissions import DENY_OWNER
from tests.alert_helpers import (
    ADMIN,
    CORE_DEV,
    DEV,
    ORG,
    link,
    mock_org,
    texts,
    unexpected,
)
from tests.alerts.test_alerts_list import DETECTORS, TEAM_ACTION, WORKFLOWS, workflow
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.slack_wire import mrkdwn_texts

CHECKOUT = WORKFLOWS[1]  # alert 124 on `backend` (owned by #core), owner team:10 (#core)


def forged(wid: str, **changes: Any) -> str:
    """A button value naming alert `wid`, with whatever the sender wants in it."""
    value: dict[str, Any] = {"g": "current", "k": "metric", "id": wid, "n": "x"}
    return json.dumps(value | changes)


def current_rule(sentry: respx.MockRouter, wf: dict[str, Any]) -> None:
    """Sentry's answer for one alert and the monitors of the organisation."""
    sentry.get(ORG + f"workflows/{wf['id']}/").mock(return_value=Response(200, json=wf))
    sentry.get(ORG + "detectors/").mock(return_value=Response(200, json=DETECTORS))


async def last_response(slack: FakeSlack, count: int) -> dict[str, Any]:
    responses = await slack.wait_for("response", count)
    return responses[-1]


async def test_a_forged_project_list_does_not_let_another_team_delete_an_alert(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    # Bob is in #web. Alert 124 watches `backend` (#core). He sends a Delete naming `web`
    # and another alert's monitor: Dexter reads alert 124 from Sentry and refuses.
    mock_org(sentry, workflows=WORKFLOWS)
    current_rule(sentry, CHECKOUT)
    await link(deps, DEV, "U3")
    deleted = unexpected(sentry, r"/(workflows|detectors)/\d+/$", method="DELETE")
    toggled = unexpected(sentry, r"/(workflows|detectors)/$", method="PUT")

    await bot.action("alert_delete", value=forged("124", p=["web"], d=["9"]), user="U3")
    resp = await last_response(slack, 1)
    assert "you are not in a team that owns `backend` (owned by #core)" in resp["text"]
    await bot.action("alert_disable", value=forged("124", p=["web"]), user="U3")
    resp = await last_response(slack, 2)
    assert "you are not in a team that owns `backend`" in resp["text"]
    assert not deleted.called and not toggled.called


async def test_only_the_monitors_sentry_ties_to_the_alert_are_deleted(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    # An admin deletes alert 123; its value names monitor 31, which belongs to alert 124.
    mock_org(sentry, workflows=WORKFLOWS)
    current_rule(sentry, WORKFLOWS[0])
    await link(deps, ADMIN)
    gone = sentry.delete(ORG + "workflows/123/").mock(return_value=Response(204))
    other = sentry.delete(ORG + "detectors/31/").mock(return_value=Response(204))
    stream = sentry.delete(ORG + "detectors/9/").mock(return_value=Response(204))
    await bot.action("alert_delete", value=forged("123", p=["backend"], d=["31"], n="Forged"))
    resp = await last_response(slack, 1)
    assert gone.call_count == 1
    assert not other.called and not stream.called
    # the notice names the rule as Sentry calls it, not the value's `n`
    assert "Deleted *New errors*." in texts(resp["blocks"]) and "Forged" not in json.dumps(resp)


async def test_the_owning_team_decides_too(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    # Cy is in #core, which owns `backend`; alert 130 on `backend` belongs to #web (team 11).
    web_owned = workflow(
        "130", "Web's backend watch", detectors=["31"], action=TEAM_ACTION, owner="team:11"
    )
    mock_org(sentry, workflows=[web_owned])
    current_rule(sentry, web_owned)
    await link(deps, CORE_DEV, "U7")
    deleted = unexpected(sentry, r"/workflows/\d+/$", method="DELETE")
    await bot.action("alert_delete", value=forged("130", p=["backend"]), user="U7")
    resp = await last_response(slack, 1)
    assert resp["text"] == DENY_OWNER.format(role="member", team="web")
    assert not deleted.called

    # #core owns alert 124 and its project: Cy may disable it
    current_rule(sentry, CHECKOUT)
    toggled = sentry.put(ORG + "workflows/").mock(return_value=Response(200, json=[]))
    sentry.put(ORG + "detectors/").mock(return_value=Response(200, json=[]))
    await bot.action("alert_disable", value=forged("124", p=["web"], d=[]), user="U7")
    resp = await last_response(slack, 2)
    assert "Disabled *Checkout p95*." in texts(resp["blocks"])
    assert toggled.calls[0].request.url.params.get_list("id") == ["124"]


async def test_an_alert_sentry_no_longer_has_is_not_acted_on(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    mock_org(sentry, workflows=[])
    sentry.get(ORG + "workflows/404/").mock(return_value=Response(404, json={"detail": "nope"}))
    await link(deps, ADMIN)
    deleted = unexpected(sentry, r"/workflows/\d+/$", method="DELETE")
    await bot.action("alert_delete", value=forged("404"))
    resp = await last_response(slack, 1)
    assert "no longer in Sentry" in resp["text"] and resp["replace_original"] is False
    assert not deleted.called


LEGACY_RULE = {
    "id": "3",
    "name": "High volume",
    "conditions": [],
    "filters": [],
    "actions": [],
    "actionMatch": "any",
    "filterMatch": "all",
    "frequency": 60,
    "dateCreated": "2026-01-13T21:21:15.975384Z",
    "owner": None,
    "projects": ["backend"],
    "status": "active",
    "snooze": False,
}


async def test_a_legacy_rule_is_read_where_the_value_says_and_judged_on_that(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    # Legacy issue rule 3 lives in `backend`. Bob (#web) names `web` as its project: Sentry
    # has no rule 3 in `web`, so nothing is deleted; named as `backend`, he is refused.
    mock_org(sentry, generation="legacy")
    sentry.get("projects/acme/web/rules/3/").mock(
        return_value=Response(404, json={"detail": "not found"})
    )
    sentry.get("projects/acme/backend/rules/3/").mock(return_value=Response(200, json=LEGACY_RULE))
    await link(deps, DEV, "U3")
    deleted = unexpected(sentry, r"/rules/3/$", method="DELETE")
    value = {"g": "legacy", "k": "issue", "id": "3", "n": "x"}
    await bot.action("alert_delete", value=json.dumps(value | {"p": ["web"]}), user="U3")
    resp = await last_response(slack, 1)
    assert "no longer in Sentry" in resp["text"]
    await bot.action("alert_delete", value=json.dumps(value | {"p": ["backend"]}), user="U3")
    resp = await last_response(slack, 2)
    assert "you are not in a team that owns `backend`" in resp["text"]
    assert not deleted.called


async def test_a_legacy_metric_rule_is_judged_on_its_projects_in_sentry(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    mock_org(sentry, generation="legacy")
    rule = {
        "id": "7",
        "name": "Bad requests",
        "aggregate": "count()",
        "query": "",
        "timeWindow": 60,
        "projects": ["backend"],
        "owner": None,
        "triggers": [],
        "dateCreated": "2026-01-13T21:21:15.975384Z",
        "dateModified": "2026-01-13T21:21:15.975384Z",
        "createdBy": {},
        "organizationId": "1",
    }
    sentry.get(ORG + "alert-rules/7/").mock(return_value=Response(200, json=rule))
    await link(deps, DEV, "U3")
    deleted = unexpected(sentry, r"/alert-rules/7/$", method="DELETE")
    value = {"g": "legacy", "k": "metric", "id": "7", "p": ["web"], "n": "x"}
    await bot.action("alert_delete", value=json.dumps(value), user="U3")
    resp = await last_response(slack, 1)
    assert "you are not in a team that owns `backend`" in resp["text"]
    assert not deleted.called


async def test_the_deleted_notice_shows_a_hostile_rule_name_as_text(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    # issue 11: the "Deleted" notice used the rule name unescaped
    hostile = dict(WORKFLOWS[0]) | {"name": "<!channel> & <http://e.example|x>"}
    workflows = [hostile, *WORKFLOWS[1:]]
    mock_org(sentry, workflows=workflows)
    current_rule(sentry, hostile)
    await link(deps, ADMIN)
    sentry.delete(ORG + "workflows/123/").mock(return_value=Response(204))
    sentry.delete(ORG + "detectors/9/").mock(return_value=Response(204))
    await bot.action("alert_delete", value=forged("123"))
    resp = await last_response(slack, 1)
    shown = "Deleted *&lt;!channel&gt; &amp; &lt;http://e.example|x&gt;*."
    assert shown in texts(resp["blocks"]) and resp["text"] == shown
    for text in mrkdwn_texts(resp):  # button values may carry it: Slack shows them nowhere
        assert "<!channel>" not in text and "<http://e.example" not in text

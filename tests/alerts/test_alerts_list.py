"""`/dexter alerts`: the list, Enable/Disable, Delete and paging, on both API generations."""

from __future__ import annotations

import json
from typing import Any

import respx
from httpx import Response

from bot.deps import Deps
from tests.alert_helpers import ADMIN, DEV, ORG, link, mock_org, texts, unexpected
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver

WHEN = "2026-01-13T21:21:15.975384Z"


def workflow(
    wid: str,
    name: str,
    *,
    detectors: list[str],
    action: dict[str, Any],
    owner: str | None = None,
    enabled: bool = True,
) -> dict[str, Any]:
    return {
        "id": wid,
        "name": name,
        "organizationId": "1",
        "createdBy": None,
        "dateCreated": WHEN,
        "dateUpdated": WHEN,
        "triggers": {
            "id": "1",
            "organizationId": "1",
            "logicType": "any-short",
            "conditions": [],
            "actions": [],
        },
        "actionFilters": [
            {
                "id": "2",
                "organizationId": "1",
                "logicType": "all",
                "conditions": [],
                "actions": [action],
            }
        ],
        "environment": None,
        "config": {"frequency": 30},
        "detectorIds": detectors,
        "enabled": enabled,
        "lastTriggered": None,
        "owner": owner,
    }


SLACK_ACTION = {
    "id": "5",
    "type": "slack",
    "integrationId": "77",
    "data": {},
    "config": {"targetType": "specific", "targetIdentifier": "C1", "targetDisplay": "alerts"},
    "status": "active",
}
TEAM_ACTION = {
    "id": "6",
    "type": "email",
    "integrationId": None,
    "data": {},
    "config": {"targetType": "team", "targetDisplay": None, "targetIdentifier": "10"},
    "status": "active",
}
WORKFLOWS = [
    workflow("123", "New errors", detectors=["9"], action=SLACK_ACTION, owner="user:500"),
    workflow(
        "124", "Checkout p95", detectors=["31"], action=TEAM_ACTION, owner="team:10", enabled=False
    ),
]
DETECTORS = [
    {
        "id": "9",
        "projectId": "2",
        "name": "Issue stream",
        "type": "issue_stream",
        "workflowIds": ["123", "200"],
    },
    {
        "id": "31",
        "projectId": "2",
        "name": "Checkout p95",
        "type": "metric_issue",
        "workflowIds": ["124"],
    },
]


def each_workflow(sentry: respx.MockRouter, workflows: list[dict[str, Any]]) -> None:
    """Sentry's `workflows/{id}/`: a button's rule is read again before it is changed."""
    for wf in workflows:
        sentry.get(ORG + f"workflows/{wf['id']}/").mock(return_value=Response(200, json=wf))


def button(blocks: list[dict[str, Any]], rule_id: str, action_id: str) -> str:
    block = next(b for b in blocks if b.get("block_id") == f"alert_actions|{rule_id}")
    return str(next(e["value"] for e in block["elements"] if e["action_id"] == action_id))


async def listed(bot: SlackDriver, slack: FakeSlack, text: str = "alerts") -> list[dict[str, Any]]:
    before = len(slack.responses)
    await bot.command(text)
    responses = await slack.wait_for("response", before + 1)
    blocks: list[dict[str, Any]] = responses[-1]["blocks"]
    return blocks


async def test_current_list_names_kinds_owners_and_recipients(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    mock_org(sentry, workflows=WORKFLOWS)
    detectors = sentry.get(ORG + "detectors/").mock(return_value=Response(200, json=DETECTORS))
    blocks = await listed(bot, slack)
    shown = texts(blocks)
    assert "*Alert rules* · the organization · 2 rules" in shown
    assert "<https://sentry.io/organizations/acme/monitors/alerts/123/|New errors>" in shown
    assert "issue · `backend` · enabled · owner Ada" in shown
    assert "metric · `backend` · disabled · owner #core" in shown
    assert "Notifies Slack #alerts" in shown and "Notifies email #core" in shown
    assert detectors.calls[0].request.url.params.get_list("id") == ["31", "9"]
    # the listing itself tells that Sentry has workflows: no separate probe first
    assert sentry.routes["workflows"].call_count == 1
    assert button(blocks, "123", "alert_disable") and button(blocks, "124", "alert_enable")
    assert "cannot enable or disable" not in shown


async def test_enable_disable_and_delete_on_current_sentry(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    mock_org(sentry, workflows=WORKFLOWS)
    sentry.get(ORG + "detectors/").mock(return_value=Response(200, json=DETECTORS))
    each_workflow(sentry, WORKFLOWS)
    await link(deps, ADMIN)
    blocks = await listed(bot, slack)

    toggled = sentry.put(ORG + "workflows/").mock(return_value=Response(200, json=[]))
    monitors = sentry.put(ORG + "detectors/").mock(return_value=Response(200, json=[]))
    await bot.action("alert_enable", value=button(blocks, "124", "alert_enable"))
    [*_, resp] = await slack.wait_for("response", 2)
    assert resp["replace_original"] is True and "Enabled *Checkout p95*." in texts(resp["blocks"])
    assert toggled.calls[0].request.url.params.get_list("id") == ["124"]
    assert json.loads(toggled.calls[0].request.content) == {"enabled": True}
    # The metric monitor belongs to this alert only, so it follows; issue streams never do.
    assert monitors.calls[0].request.url.params.get_list("id") == ["31"]

    await bot.action("alert_disable", value=button(blocks, "123", "alert_disable"))
    await slack.wait_for("response", 3)
    assert toggled.calls[1].request.url.params.get_list("id") == ["123"]
    assert monitors.call_count == 1

    deleted = sentry.delete(ORG + "workflows/124/").mock(return_value=Response(204))
    gone = sentry.delete(ORG + "detectors/31/").mock(return_value=Response(204))
    kept = sentry.delete(ORG + "detectors/9/").mock(return_value=Response(204))
    await bot.action("alert_delete", value=button(blocks, "124", "alert_delete"))
    await slack.wait_for("response", 4)
    assert deleted.call_count == 1 and gone.call_count == 1
    assert "Deleted *Checkout p95*." in texts(slack.responses[-1]["blocks"])
    assert kept.call_count == 0  # detector 9 is still used by alert 123


async def test_delete_has_a_confirmation(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    mock_org(sentry, workflows=WORKFLOWS)
    sentry.get(ORG + "detectors/").mock(return_value=Response(200, json=DETECTORS))
    blocks = await listed(bot, slack)
    actions = next(b for b in blocks if b.get("block_id") == "alert_actions|123")
    delete = next(e for e in actions["elements"] if e["action_id"] == "alert_delete")
    assert delete["style"] == "danger"
    assert delete["confirm"]["title"]["text"] == "Delete this alert rule?"
    assert "*New errors* stops notifying" in delete["confirm"]["text"]["text"]


async def test_members_outside_the_owning_team_cannot_change_rules(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    mock_org(sentry, workflows=WORKFLOWS)
    sentry.get(ORG + "detectors/").mock(return_value=Response(200, json=DETECTORS))
    each_workflow(sentry, WORKFLOWS)
    await link(deps, DEV, "U3")
    blocks = await listed(bot, slack)
    deleted = sentry.delete(ORG + "workflows/124/").mock(return_value=Response(204))
    await bot.action("alert_delete", value=button(blocks, "124", "alert_delete"), user="U3")
    [_, resp] = await slack.wait_for("response", 2)
    assert resp["response_type"] == "ephemeral" and resp["replace_original"] is False
    assert "you are not in a team that owns `backend` (owned by #core)" in resp["text"]
    assert deleted.call_count == 0

    await bot.action("alert_disable", value=button(blocks, "123", "alert_disable"), user="U9")
    [*_, resp] = await slack.wait_for("response", 3)
    assert "You need a linked Sentry account" in resp["text"]


async def test_legacy_list_deletes_but_does_not_toggle(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    mock_org(sentry, generation="legacy")
    detectors = unexpected(sentry, r"/detectors/")  # a legacy Sentry has none
    await link(deps, ADMIN)
    sentry.get("projects/acme/backend/rules/", name="backend-rules").mock(
        return_value=Response(
            200,
            json=[
                {
                    "id": "3",
                    "name": "High volume",
                    "conditions": [],
                    "filters": [],
                    "actions": [
                        {
                            "id": "sentry.mail.actions.NotifyEmailAction",
                            "targetType": "Member",
                            "targetIdentifier": 500,
                        }
                    ],
                    "actionMatch": "any",
                    "filterMatch": "all",
                    "frequency": 60,
                    "dateCreated": WHEN,
                    "owner": "team:10",
                    "projects": ["backend"],
                    "status": "active",
                    "snooze": False,
                }
            ],
        )
    )
    sentry.get("projects/acme/web/rules/").mock(return_value=Response(200, json=[]))
    sentry.get(ORG + "alert-rules/").mock(
        return_value=Response(
            200,
            json=[
                {
                    "id": "7",
                    "name": "Bad requests",
                    "aggregate": "count()",
                    "query": "",
                    "timeWindow": 60,
                    "projects": ["web"],
                    "owner": None,
                    "triggers": [
                        {
                            "label": "critical",
                            "actions": [
                                {
                                    "type": "slack",
                                    "targetType": "specific",
                                    "targetIdentifier": "#web-alerts",
                                    "integrationId": "77",
                                }
                            ],
                        }
                    ],
                    "dateCreated": WHEN,
                    "dateModified": WHEN,
                    "createdBy": {},
                    "organizationId": "1",
                }
            ],
        )
    )
    blocks = await listed(bot, slack)
    shown = texts(blocks)
    assert "issue · `backend` · enabled · owner #core" in shown
    assert "Notifies email Ada" in shown and "Notifies Slack #web-alerts" in shown
    assert "alerts/rules/backend/3/details/|High volume" in shown
    assert "alerts/rules/details/7/|Bad requests" in shown
    assert '"alert_disable"' not in shown and '"alert_enable"' not in shown
    assert "cannot enable or disable its legacy alert rules" in shown

    only_web = await listed(bot, slack, "alerts project:web")
    assert "Bad requests" in texts(only_web) and "High volume" not in texts(only_web)
    # the 404 of workflows/ was remembered: the second listing went straight to legacy
    assert len([c for c in sentry.calls if c.request.url.path.endswith("/workflows/")]) == 1

    high_volume = sentry.routes["backend-rules"].return_value.json()[0]
    sentry.get("projects/acme/backend/rules/3/").mock(return_value=Response(200, json=high_volume))
    deleted = sentry.delete("projects/acme/backend/rules/3/").mock(return_value=Response(204))
    await bot.action("alert_delete", value=button(blocks, "3", "alert_delete"))
    await slack.wait_for("response", 3)
    assert deleted.call_count == 1
    assert not detectors.called


async def test_paging_and_bad_input(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    many = [
        workflow(str(100 + i), f"Rule {i:02d}", detectors=[], action=SLACK_ACTION)
        for i in range(20)
    ]
    mock_org(sentry, workflows=many)
    blocks = await listed(bot, slack)
    assert "20 rules · page 1 of 2" in texts(blocks) and len(blocks) <= 50
    assert "Rule 14" in texts(blocks) and "Rule 15" not in texts(blocks)
    pager = next(b for b in blocks if b.get("block_id") == "alerts_pager")
    [next_button] = pager["elements"]
    await bot.action(next_button["action_id"], value=next_button["value"])
    [*_, resp] = await slack.wait_for("response", 2)
    assert "page 2 of 2" in texts(resp["blocks"]) and "Rule 19" in texts(resp["blocks"])
    assert [e["text"]["text"] for e in resp["blocks"][-1]["elements"]] == ["Previous page"]

    await bot.command("alerts project:nope")
    [*_, resp] = await slack.wait_for("response", 3)
    assert "There is no project `nope`" in resp["text"]
    await bot.command("alerts loud")
    [*_, resp] = await slack.wait_for("response", 4)
    assert "Usage: `/dexter alerts [project:&lt;slug&gt;]`" in resp["text"]

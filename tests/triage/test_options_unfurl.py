"""The Assign menu's options load, and Sentry link unfurls with live controls."""

from __future__ import annotations

import json
import time
from typing import Any

from bot.core.ids import Action
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.sentry_org import SentryOrg


def labels(body: dict[str, Any]) -> dict[str, list[str]]:
    return {
        g["label"]["text"]: [o["text"]["text"] for o in g["options"]]
        for g in body.get("option_groups", [])
    }


async def test_assign_options_group_teams_and_people(bot: SlackDriver, org: SentryOrg) -> None:
    reply = await bot.options(Action.ISSUE_ASSIGN.value, "", block_id="issue_actions")
    assert reply.status == 200
    body = json.loads(reply.body)  # the options are the HTTP answer itself
    assert labels(body) == {
        "Teams": ["#core", "#pay"],
        "People": [
            "Ann Example (ann@acme.io)",
            "Bob Builder (bob@acme.io)",
            "Carol Admin (carol@acme.io)",
        ],
    }
    values = [o["value"] for g in body["option_groups"] for o in g["options"]]
    assert values == ["team:10", "team:11", "user:100", "user:200", "user:300"]


async def test_assign_options_filter_and_come_from_the_cache(
    bot: SlackDriver, org: SentryOrg
) -> None:
    await bot.options(Action.ISSUE_ASSIGN.value, "")
    calls = len(org.router.calls)
    timings = []
    for typed in ("bo", "pa", "ca", "zzz"):
        started = time.monotonic()
        reply = await bot.options(Action.ISSUE_ASSIGN.value, typed)
        timings.append(time.monotonic() - started)
        body = json.loads(reply.body)
        if typed == "bo":
            assert labels(body) == {"People": ["Bob Builder (bob@acme.io)"]}
        if typed == "pa":
            assert labels(body) == {"Teams": ["#pay"]}
        if typed == "ca":
            assert labels(body) == {"People": ["Carol Admin (carol@acme.io)"]}
        if typed == "zzz":
            assert body == {"options": []}
    assert len(org.router.calls) == calls  # no Sentry request while typing
    print(f"options load (warm cache): max {max(timings) * 1000:.1f} ms")
    assert max(timings) < 3.0


def link_event(url: str, *, channel: str = "C7", ts: str = "1700000500.000100") -> dict[str, Any]:
    return {
        "type": "link_shared",
        "channel": channel,
        "user": "U1",
        "message_ts": ts,
        "unfurl_id": "Uf1",
        "source": "conversations_history",
        "links": [{"domain": "sentry.io", "url": url}],
    }


async def test_issue_links_unfurl_into_cards(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    ours = "https://acme.sentry.io/issues/1/?project=2"
    await bot.event(link_event(ours))
    [call] = await slack.wait_for("chat.unfurl")
    assert (call.args["channel"], call.args["ts"]) == ("C7", "1700000500.000100")
    blocks = call.args["unfurls"][ours]["blocks"]
    assert any(b.get("block_id") == "issue_fields" for b in blocks)
    assert any(
        el.get("action_id") == Action.ISSUE_RESOLVE for b in blocks for el in b.get("elements", [])
    )


async def test_links_of_other_orgs_and_hosts_are_left_alone(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    for url in (
        "https://other.sentry.io/issues/1/",
        "https://sentry.io/organizations/other/issues/1/",
        "https://sentry.example.com/organizations/acme/issues/1/",
        "https://acme.sentry.io/alerts/rules/",
    ):
        await bot.event(link_event(url))
    await bot.event(link_event("https://sentry.io/organizations/acme/issues/1/"))
    calls = await slack.wait_for("chat.unfurl")
    assert len(calls) == 1
    assert list(calls[0].args["unfurls"]) == ["https://sentry.io/organizations/acme/issues/1/"]


async def test_controls_in_an_unfurl_refresh_the_unfurl(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    url = "https://acme.sentry.io/issues/1/"
    await bot.event(link_event(url))
    await slack.wait_for("chat.unfurl")
    payload = {
        "type": "block_actions",
        "user": {"id": "U1", "team_id": "T1"},
        "team": {"id": "T1"},
        "container": {
            "type": "message_attachment",
            "message_ts": "1700000500.000100",
            "channel_id": "C7",
            "is_ephemeral": False,
            "is_app_unfurl": True,
            "app_unfurl_url": url,
        },
        "channel": {"id": "C7"},
        "response_url": slack.response_url("unfurl"),
        "actions": [
            {
                "action_id": Action.ISSUE_ASSIGN.value,
                "block_id": "issue_actions",
                "type": "external_select",
                "selected_option": {
                    "text": {"type": "plain_text", "text": "#pay"},
                    "value": "team:11",
                },
                "action_ts": str(time.time()),
            }
        ],
    }
    await bot.interaction(payload)
    calls = await slack.wait_for("chat.unfurl", 2)
    assert org.puts == [(["1"], {"assignedTo": "team:11"})]
    blocks = calls[-1].args["unfurls"][url]["blocks"]
    assert (calls[-1].args["channel"], calls[-1].args["ts"]) == ("C7", "1700000500.000100")
    assert "*Assignee*\npay" in json.dumps(blocks).replace("\\n", "\n")
    assert slack.responses == []


async def test_a_repeated_link_event_unfurls_once(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    event = link_event("https://acme.sentry.io/issues/1/")
    await bot.event(event, event_id="Ev-same")
    await bot.event(event, event_id="Ev-same", retry=1)
    await slack.wait_for("chat.unfurl")
    await bot.idle()
    assert len(slack.of("chat.unfurl")) == 1

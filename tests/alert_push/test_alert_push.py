"""Alert deliveries (`event_alert`, `metric_alert`) acted on: Dexter's cards and incident messages
in the channel the alert-rule action names, against the fake Slack and a respx Sentry."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
import respx
from httpx import Response

from bot.alert_push import texts
from bot.core.ids import Action
from bot.core.settings import Settings
from bot.deps import Deps
from bot.webhooks.types import WebhookHandler
from tests import alert_factories as af
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.sentry_org import SentryOrg
from tests.settings_factory import make_settings

CHANNEL = "C0ALERTS1"
OWNERS = "projects/acme/backend/events/" + "a" * 32 + "/owners/"
COMMITTERS = "projects/acme/backend/events/" + "a" * 32 + "/committers/"
RULE = "projects/acme/backend/rules/7/"


@pytest.fixture
def settings(slack: FakeSlack) -> Settings:
    return make_settings(slack, SENTRY_CLIENT_SECRET="s3cr3t-client-secret")


def channels(slack: FakeSlack, *, member: set[str] | None = None) -> None:
    """conversations.info: CHANNEL (Dexter in it) and C0OTHER01 (Dexter not in it); others
    do not exist for this workspace's token."""
    inside = member if member is not None else {CHANNEL}

    def info(args: dict[str, Any]) -> dict[str, Any]:
        ch = str(args.get("channel"))
        if ch not in (CHANNEL, "C0OTHER01"):
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "channel": {"id": ch, "is_archived": False, "is_member": ch in inside}}

    slack.on("conversations.info", info)


def suggestions(sentry: respx.MockRouter) -> tuple[respx.Route, respx.Route]:
    owners = sentry.get(OWNERS).mock(return_value=Response(200, json=af.owners()))
    committers = sentry.get(COMMITTERS).mock(return_value=Response(200, json=af.committers()))
    sentry.get(RULE).mock(return_value=Response(200, json={"id": "7", "frequency": 60}))
    return owners, committers


def texts_of(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def mrkdwn(node: Any) -> list[str]:
    """Every mrkdwn text in blocks (what Slack parses for mentions and links)."""
    if isinstance(node, list):
        return [t for item in node for t in mrkdwn(item)]
    if not isinstance(node, dict):
        return []
    own = [node["text"]] if node.get("type") == "mrkdwn" else []
    return own + [t for v in node.values() if isinstance(v, dict | list) for t in mrkdwn(v)]


def element(blocks: list[dict[str, Any]], action_id: str) -> dict[str, Any]:
    for block in blocks:
        for el in block.get("elements") or []:
            if el.get("action_id") == action_id:
                return dict(el)
    raise AssertionError(f"no {action_id}")


def handler(deps: Deps, resource: str) -> WebhookHandler:
    """The app's handler of an alert resource (as the webhook router runs it)."""
    assert deps.webhooks is not None
    return deps.webhooks.handlers[resource]


async def fire(deps: Deps, data: dict[str, Any], resource: str = "event_alert", **kw: Any) -> Any:
    d = af.delivery(resource, kw.pop("action", "triggered"), data, **kw)
    await handler(deps, resource)(d)
    return d


async def test_event_alert_posts_the_card_with_rule_and_suggestions(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, sentry: respx.MockRouter, deps: Deps
) -> None:
    channels(slack)
    owners, committers = suggestions(sentry)
    await fire(deps, af.event_alert())
    [post] = slack.of("chat.postMessage")
    assert post.args["channel"] == CHANNEL
    blocks = post.args["blocks"]
    text = texts_of(blocks)
    for control in (Action.ISSUE_RESOLVE, Action.ISSUE_IGNORE, Action.ISSUE_ASSIGN_ME):
        assert element(blocks, control)  # every triage control of the card
    assert "Alert *Checkout errors* fired" in text
    assert "Suggested: @Ann Example (owner rule `path:app/billing/*`)" in text
    assert "@Bob Builder (suspect commit `abc1234`)" in text
    first = element(blocks, Action.ISSUE_ASSIGN_SUGGESTED)
    assert first["value"] == "user:100|1" and first["text"]["text"] == "Assign to Ann Example"
    assert element(blocks, Action.ISSUE_ASSIGN_SUGGESTED_2)["value"] == "user:200|1"
    assert owners.called and committers.called


async def test_same_issue_firing_again_updates_the_card_and_threads_a_line(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, sentry: respx.MockRouter, deps: Deps
) -> None:
    channels(slack)
    suggestions(sentry)
    await fire(deps, af.event_alert())
    [card] = slack.of("chat.postMessage")
    ts = f"1700000000.{1:06d}"
    org.issues["1"]["count"] = "2000"  # Sentry's answer changed: the card shows it
    await fire(deps, af.event_alert())
    [update] = slack.of("chat.update")
    assert update.args["channel"] == CHANNEL and update.args["ts"] == ts
    assert "2k" in texts_of(update.args["blocks"])
    posts = slack.of("chat.postMessage")
    assert len(posts) == 2  # the card once, then one thread line
    assert posts[1].args["thread_ts"] == ts
    assert "fired again (2 times so far)" in posts[1].args["text"]
    assert card.args["channel"] == CHANNEL
    # another rule firing for the same issue gets its own card (an Alert: read as a workflow)
    sentry.get("projects/acme/backend/rules/8/").mock(
        return_value=Response(404, json={"detail": "not found"})
    )
    workflow = sentry.get("organizations/acme/workflows/8/").mock(
        return_value=Response(200, json={"id": "8", "config": {"frequency": 1440}})
    )
    await fire(deps, af.event_alert(rule_id=8, rule="Billing"))
    assert len(slack.of("chat.postMessage")) == 3
    assert "thread_ts" not in slack.of("chat.postMessage")[2].args
    assert workflow.called


async def test_a_redelivered_request_does_nothing_twice(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, sentry: respx.MockRouter, deps: Deps
) -> None:
    channels(slack)
    suggestions(sentry)
    d = await fire(deps, af.event_alert())
    await handler(deps, "event_alert")(d)
    assert len(slack.of("chat.postMessage")) == 1 and not slack.of("chat.update")


@pytest.mark.parametrize(
    ("channel", "problem"),
    [
        ("C0OTHER01", texts.CHANNEL_NOT_MEMBER),  # Dexter not invited
        ("C0NOWHERE", texts.CHANNEL_UNKNOWN),  # not this workspace's channel
        ("#general", texts.CHANNEL_NOT_AN_ID),
        (None, texts.CHANNEL_MISSING),
    ],
)
async def test_event_alert_for_a_channel_dexter_cannot_use_logs_and_posts_nothing(
    bot: SlackDriver,
    slack: FakeSlack,
    org: SentryOrg,
    sentry: respx.MockRouter,
    deps: Deps,
    caplog: pytest.LogCaptureFixture,
    channel: str | None,
    problem: str,
) -> None:
    channels(slack)
    owners, _ = suggestions(sentry)
    with caplog.at_level(logging.WARNING):
        await fire(deps, af.event_alert(channel=channel))
    assert not slack.of("chat.postMessage") and not owners.called
    assert any(
        "not delivered" in r.getMessage() and problem in r.getMessage() for r in caplog.records
    )


async def test_suggested_assign_goes_through_the_permission_checks(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, sentry: respx.MockRouter, deps: Deps
) -> None:
    channels(slack)
    suggestions(sentry)
    await fire(deps, af.event_alert())
    [post] = slack.of("chat.postMessage")
    blocks = post.args["blocks"]
    button = element(blocks, Action.ISSUE_ASSIGN_SUGGESTED)
    where = {"channel": CHANNEL, "message_ts": "1700000000.000001", "blocks": blocks}
    # U2 (bob, team #pay) may not change #core's backend issue in team mode: refused
    await bot.action(Action.ISSUE_ASSIGN_SUGGESTED, value=button["value"], user="U2", **where)
    await bot.idle()
    assert org.puts == []
    # U1 (ann, team #core) may
    await bot.action(Action.ISSUE_ASSIGN_SUGGESTED, value=button["value"], user="U1", **where)
    await bot.idle()
    assert org.puts and org.puts[-1][1].get("assignedTo") == "user:100"


async def test_metric_alert_one_message_per_incident_chart_and_threaded_states(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, sentry: respx.MockRouter, deps: Deps
) -> None:
    channels(slack)
    values = [
        {"timestamp": 1764664200000 + i * 300000, "value": v} for i, v in enumerate([3, 1200])
    ]
    series = sentry.get("organizations/acme/events-timeseries/").mock(
        return_value=Response(
            200,
            json={
                "timeSeries": [
                    {
                        "yAxis": "count()",
                        "meta": {"valueType": "integer", "valueUnit": None, "interval": 300000},
                        "values": values,
                    }
                ]
            },
        )
    )
    await fire(deps, af.metric_alert(), "metric_alert", action="critical")
    [post] = slack.of("chat.postMessage")
    assert post.args["channel"] == CHANNEL
    header = post.args["blocks"][0]["text"]["text"]
    assert header.startswith("🔴") or "Critical" in header
    assert "Too many errors" in header
    params = series.calls.last.request.url.params
    assert params["dataset"] == "errors" and params["yAxis"] == "count()"
    assert params["query"] == "level:error" and params.get_list("project") == ["2"]
    assert params["interval"] == "300" and params.get_list("environment") == ["production"]
    [done] = await slack.wait_for("files.completeUploadExternal")
    assert done.args.get("thread_ts") == "1700000000.000001"

    await fire(
        deps, af.metric_alert(status=2, description="200 events"), "metric_alert", action="resolved"
    )
    [update] = slack.of("chat.update")
    assert update.args["ts"] == "1700000000.000001"
    assert "Resolved" in update.args["blocks"][0]["text"]["text"]
    assert "Critical → :large_green_circle: Resolved" in texts_of(update.args["blocks"])
    line = slack.of("chat.postMessage")[-1]
    assert line.args["thread_ts"] == "1700000000.000001" and "200 events" in line.args["text"]
    assert len(slack.of("files.completeUploadExternal")) == 1  # the chart once per incident


async def test_metric_alert_text_from_sentry_is_escaped(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, sentry: respx.MockRouter, deps: Deps
) -> None:
    channels(slack)
    sentry.get("organizations/acme/events-timeseries/").mock(
        return_value=Response(200, json={"timeSeries": []})
    )
    evil = "<!channel> see <https://evil.example|Sentry>"
    await fire(deps, af.metric_alert(description=evil), "metric_alert", action="warning")
    [post] = slack.of("chat.postMessage")
    text = texts_of(post.args["blocks"])
    assert "<!channel>" not in text and "<https://evil" not in text
    assert "&lt;!channel&gt;" in text
    assert not slack.of("files.completeUploadExternal")  # nothing to draw


async def test_an_issue_sentry_does_not_know_is_logged_not_retried(
    bot: SlackDriver,
    slack: FakeSlack,
    org: SentryOrg,
    sentry: respx.MockRouter,
    deps: Deps,
    caplog: pytest.LogCaptureFixture,
) -> None:
    channels(slack)
    suggestions(sentry)
    with caplog.at_level(logging.WARNING):
        await fire(deps, af.event_alert(issue_id=999))  # the org has issue 1 only
    assert not slack.of("chat.postMessage")
    assert any("does not know issue 999" in r.getMessage() for r in caplog.records)


async def test_rule_names_and_owner_names_from_sentry_are_escaped(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, sentry: respx.MockRouter, deps: Deps
) -> None:
    channels(slack)
    sentry.get(OWNERS).mock(
        return_value=Response(200, json=af.owners(name="<!here> <https://x.example|Ann>"))
    )
    sentry.get(COMMITTERS).mock(return_value=Response(404, json={"detail": "no commits"}))
    sentry.get(RULE).mock(return_value=Response(200, json={"id": "7", "frequency": 60}))
    await fire(deps, af.event_alert(rule="<!channel> rule"))
    [post] = slack.of("chat.postMessage")
    text = "\n".join(mrkdwn(post.args["blocks"]))  # plain_text (buttons) is never parsed
    assert "<!channel>" not in text and "<!here>" not in text and "<https://x" not in text
    assert "Alert *&lt;!channel&gt; rule* fired" in text
    assert "@&lt;!here&gt; &lt;https://x.example|Ann&gt; (owner rule" in text
    assert "suspect commit" not in text  # no committers: only the owner rule


async def test_the_card_is_remembered_for_the_rules_interval(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, sentry: respx.MockRouter, deps: Deps
) -> None:
    from bot.alert_push.memory import GRACE, AlertMemory

    channels(slack)
    suggestions(sentry)  # the rule's frequency: 60 minutes
    await fire(deps, af.event_alert())
    memory = AlertMemory(deps.store, deps.sentry)
    ttl = await deps.store.redis.pttl(memory._key("card", "7", "1"))
    assert 60 * 60 * 1000 < ttl <= (60 * 60 + GRACE) * 1000
    # once it has expired, the same rule and issue get a new card
    await memory.forget_card("7", "1")
    await fire(deps, af.event_alert())
    posts = slack.of("chat.postMessage")
    assert len(posts) == 2 and "thread_ts" not in posts[1].args and not slack.of("chat.update")


async def test_a_burst_asks_slack_about_the_channel_once(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, sentry: respx.MockRouter, deps: Deps
) -> None:
    channels(slack)
    suggestions(sentry)
    for _ in range(3):
        await fire(deps, af.event_alert())
    assert len(slack.of("conversations.info")) == 1
    assert len(slack.of("chat.update")) == 2


async def test_dexter_removed_from_the_channel_meanwhile_is_logged_not_raised(
    bot: SlackDriver,
    slack: FakeSlack,
    org: SentryOrg,
    sentry: respx.MockRouter,
    deps: Deps,
    caplog: pytest.LogCaptureFixture,
) -> None:
    channels(slack)
    suggestions(sentry)
    await fire(deps, af.event_alert(rule_id=7))  # the channel is now known usable
    slack.on("chat.update", {"ok": False, "error": "not_in_channel"})
    slack.on("chat.postMessage", {"ok": False, "error": "not_in_channel"})
    with caplog.at_level(logging.WARNING):
        await fire(deps, af.event_alert(rule_id=7))
    assert any("Slack says not_in_channel" in r.getMessage() for r in caplog.records)
    channels(slack, member=set())  # and Slack now says so when asked
    with caplog.at_level(logging.WARNING):
        await fire(deps, af.event_alert(rule_id=7))
    assert len(slack.of("conversations.info")) == 2  # asked again: the channel was forgotten
    assert any(texts.CHANNEL_NOT_MEMBER in r.getMessage() for r in caplog.records)


async def test_a_card_busy_elsewhere_fails_the_attempt_instead_of_posting_twice(
    bot: SlackDriver,
    slack: FakeSlack,
    org: SentryOrg,
    sentry: respx.MockRouter,
    deps: Deps,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import handlers.alert_push as alert_push
    from bot.alert_push.memory import AlertMemory
    from bot.core.errors import StateUnavailable

    monkeypatch.setattr(alert_push, "LOCK_WAIT", 0.2)
    channels(slack)
    suggestions(sentry)
    name = AlertMemory(deps.store, deps.sentry).lock_name("card", "7", "1")
    async with deps.store.lock(name, ttl=10):  # another worker is delivering this card
        with pytest.raises(StateUnavailable):
            await fire(deps, af.event_alert())
    assert not slack.of("chat.postMessage")
    await fire(deps, af.event_alert())  # a later attempt, once the card is free
    assert len(slack.of("chat.postMessage")) == 1

"""Alert deliveries through the front door: signed, enqueued, and acted on by the alert
handlers the router was given (handlers/alert_push.py registers them)."""

from __future__ import annotations

import copy
from functools import partial

import respx

from bot.alert_push.incidents import IncidentAlerts
from bot.core.ids import Action
from bot.deps import Deps
from handlers.alert_push import on_event_alert
from tests import alert_factories as af
from tests import webhook_payloads as hooks
from tests.alert_push.test_alert_push import CHANNEL, channels, suggestions
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.sentry_org import SentryOrg
from tests.webhooks.conftest import Send


async def test_the_router_acts_on_alert_resources(deps: Deps, bot: SlackDriver) -> None:
    assert deps.webhooks is not None
    handlers = deps.webhooks.handlers
    event, metric = handlers["event_alert"], handlers["metric_alert"]
    assert isinstance(event, partial) and event.func is on_event_alert
    assert event.keywords == {"deps": deps}
    assert isinstance(metric, IncidentAlerts) and metric.client is deps.slack_users.client


async def test_an_event_alert_delivered_to_the_webhook_posts_dexters_card(
    bot: SlackDriver,
    slack: FakeSlack,
    org: SentryOrg,
    sentry: respx.MockRouter,
    deliver: Send,
) -> None:
    channels(slack)
    suggestions(sentry)
    payload = hooks.envelope("triggered", af.event_alert(rule="Checkout <!channel> errors"))
    reply = await deliver(payload, "event_alert")
    assert reply.status == 200
    await bot.idle()
    [post] = slack.of("chat.postMessage")
    assert post.args["channel"] == CHANNEL
    text = str(post.args["blocks"])
    assert "Checkout &lt;!channel&gt; errors" in text and "<!channel>" not in text
    assert Action.ISSUE_RESOLVE in text  # Dexter's own card, with its triage controls

    # a second firing (a body Sentry built later) is one thread line; the same delivery again
    # (same body, whatever its Request-ID) is processed once
    later = copy.deepcopy(payload)
    later["data"]["event"]["datetime"] = "2026-12-02T09:05:00+00:00"
    again = await deliver(later, "event_alert", request_id="fixed-id")
    twice = await deliver(later, "event_alert", request_id="fixed-id")
    thrice = await deliver(later, "event_alert", request_id="another-id")
    assert (again.status, twice.status, thrice.status) == (200, 200, 200)
    assert twice.body == thrice.body == "already received"
    await bot.idle()
    assert len(slack.of("chat.postMessage")) == 1 + 1  # the first post, one thread line

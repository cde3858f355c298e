"""The alert form's "Notify this channel through Dexter": the rule gets Dexter's own
alert-rule action (the integration installation, the `channel` setting), so what fires lands
back in Slack as Dexter's cards."""

from __future__ import annotations

from typing import Any

import pytest
import respx
from httpx import Response

from bot.alert_push.installation import pick
from bot.alerts.form import Choice, FormMeta, notify_choices, offers_dexter
from bot.core.settings import Settings
from bot.deps import Deps
from tests.alert_helpers import (
    ADMIN,
    ORG,
    bodies,
    channel_named,
    choose,
    last_view,
    link,
    mock_org,
    open_form,
    submit,
    texts,
)
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.sentry_mock import SentryMock
from tests.settings_factory import make_settings

UUID = "a8e5d37a-696c-4c54-adb5-b3f28d64c7de"


@pytest.fixture
def settings(slack: FakeSlack) -> Settings:
    return make_settings(slack, SENTRY_CLIENT_SECRET="s3cr3t-client-secret")


def installations(sentry: respx.MockRouter) -> respx.Route:
    """Sentry's installed apps (organization_sentry_app_installations endpoint)."""
    return sentry.get(ORG + "sentry-app-installations/").mock(
        return_value=Response(
            200,
            json=[
                {
                    "app": {"uuid": "f00", "slug": "pagerbot"},
                    "uuid": "1" * 32,
                    "status": "installed",
                },
                {
                    "app": {"uuid": "b4r", "slug": "dexter-3fa2c1"},
                    "uuid": UUID,
                    "status": "installed",
                },
            ],
        )
    )


def notify_values(view: dict[str, Any]) -> list[str]:
    for block in view["blocks"]:
        el = block.get("element") or {}
        if el.get("action_id") == "alert_notify":
            return [o["value"] for o in el["options"]]
    raise AssertionError("no notify select")


async def create_through_dexter(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> Any:
    channel_named(slack)
    form = await open_form(bot, slack, "alert create issue project:backend")
    assert "dexter" in notify_values(form)
    await choose(bot, form, "alert_notify", "dexter")
    await slack.wait_for("views.update", 2)
    form = last_view(slack)
    assert "alert_channel" in [b.get("block_id") for b in form["blocks"]]
    SentryMock(sentry).issues([], headers={"X-Hits": "4"})
    answer = await submit(bot, form, {"alert_name": "New checkout issues"})
    preview = answer["view"]
    assert "#alerts through Dexter" in texts(preview)
    return preview


async def test_an_alert_through_dexter_on_current_sentry(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    mock_org(sentry)
    installations(sentry)
    await link(deps, ADMIN)
    preview = await create_through_dexter(bot, slack, sentry)
    sentry.get(ORG + "detectors/").mock(
        return_value=Response(200, json=[{"id": "9", "type": "issue_stream"}])
    )
    created = sentry.post(ORG + "workflows/").mock(return_value=Response(201, json={"id": "123"}))
    done = await submit(bot, preview)
    assert "Created *New checkout issues*" in texts(done["view"])
    [body] = bodies(created)
    [action] = body["action_filters"][0]["actions"]
    assert action["type"] == "sentry_app"
    assert action["config"] == {
        "sentry_app_identifier": "sentry_app_installation_uuid",
        "targetType": "sentry_app",
        "target_identifier": UUID,
    }
    assert action["data"] == {"settings": [{"name": "channel", "value": "C1"}]}


async def test_an_alert_through_dexter_on_legacy_sentry(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    mock_org(sentry, generation="legacy")
    installations(sentry)
    await link(deps, ADMIN)
    preview = await create_through_dexter(bot, slack, sentry)
    created = sentry.post("projects/acme/backend/rules/").mock(
        return_value=Response(201, json={"id": "42", "name": "New checkout issues"})
    )
    done = await submit(bot, preview)
    assert "Created *New checkout issues*" in texts(done["view"])
    [body] = bodies(created)
    assert body["actions"] == [
        {
            "id": "sentry.rules.actions.notify_event_sentry_app.NotifyEventSentryAppAction",
            "sentryAppInstallationUuid": UUID,
            "settings": [{"name": "channel", "value": "C1"}],
        }
    ]


async def test_no_dexter_option_without_an_installation(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    mock_org(sentry)
    sentry.get(ORG + "sentry-app-installations/").mock(return_value=Response(200, json=[]))
    await link(deps, ADMIN)
    channel_named(slack)
    form = await open_form(bot, slack, "alert create issue project:backend")
    assert "dexter" not in notify_values(form)


def test_the_option_needs_a_sentry_app_action_the_rule_can_carry() -> None:
    current = FormMeta(c="C1", t="t", g="current", d=UUID)
    legacy = FormMeta(c="C1", t="t", g="legacy", d=UUID)
    none = FormMeta(c="C1", t="t", g="current")
    issue = {"alert_kind": Choice("issue")}
    metric = {"alert_kind": Choice("metric")}
    assert offers_dexter(current, issue) and offers_dexter(current, metric)
    assert offers_dexter(legacy, issue) and not offers_dexter(legacy, metric)
    assert not offers_dexter(none, issue)
    assert notify_choices("metric", False, has_dexter=True)[0][0] == "dexter"


def test_installation_discovery_takes_only_an_unambiguous_dexter() -> None:
    one = [{"app": {"slug": "dexter-1"}, "uuid": UUID, "status": "installed"}]
    assert pick(one) == UUID
    assert pick([*one, {"app": {"slug": "dexter-2"}, "uuid": "x" * 32}]) is None
    assert pick([{"app": {"slug": "other"}, "uuid": UUID}]) is None
    assert pick([{**one[0], "status": "pending"}]) is None
    assert pick({"detail": "nope"}) is None

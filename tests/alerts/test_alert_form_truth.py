"""The alert form creates what Sentry says the chosen project and integration are, not what
the preview's private_metadata carries: a hostile user may send any metadata, and even
Dexter's own sealed metadata may be out of date."""

from __future__ import annotations

import json

import respx
from httpx import Response

from bot.core import messages
from bot.deps import Deps
from bot.slack.sealed import seal, unseal
from handlers.alerts.submit import NO_SLACK_INTEGRATION
from tests.alert_helpers import (
    ADMIN,
    DEV,
    ORG,
    bodies,
    channel_named,
    link,
    mock_org,
    open_form,
    submit,
    texts,
    unexpected,
)
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.sentry_mock import SentryMock
from tests.settings_factory import SLACK_SIGNING_SECRET


async def test_the_form_creates_in_the_project_sentry_names_not_in_a_forged_id(
    bot: SlackDriver,
    slack: FakeSlack,
    sentry: respx.MockRouter,
    sentry_mock: SentryMock,
    deps: Deps,
) -> None:
    # Bob (#web) previews an issue alert on `web`, then edits the preview's private_metadata:
    # project id 2 (`backend`) and another Slack integration. Dexter asks Sentry for `web`.
    mock_org(sentry)
    await link(deps, DEV)
    channel_named(slack)
    sentry_mock.issues([], headers={"X-Hits": "0"})
    form = await open_form(bot, slack, "alert create issue project:web")
    answer = await submit(bot, form, {"alert_name": "Web errors", "alert_trigger": "new_issue"})
    preview = answer["view"]
    meta = json.loads(unseal(SLACK_SIGNING_SECRET, preview["private_metadata"]) or "")
    assert meta["r"]["project"] == "web" and meta["r"]["project_id"] == "3"
    meta["r"]["project_id"] = "2"
    meta["s"] = "99"
    meta["r"]["target"]["integration_id"] = "99"
    # Unsealed, Dexter takes it for an expired form; even sealed (as an old preview would
    # be, after the project or integration changed in Sentry) Sentry's answer wins.
    unsealed = await bot.view_submission(
        "alert_confirm", {}, private_metadata=json.dumps(meta), user="U1"
    )
    assert messages.ALERT_EXPIRED in texts(json.loads(unsealed.body)["view"])
    preview["private_metadata"] = seal(SLACK_SIGNING_SECRET, json.dumps(meta))

    detectors = sentry.get(ORG + "detectors/").mock(
        return_value=Response(200, json=[{"id": "40", "type": "issue_stream"}])
    )
    created = sentry.post(ORG + "workflows/").mock(return_value=Response(201, json={"id": "150"}))
    done = await submit(bot, preview)
    assert "Created *Web errors*" in texts(done["view"])
    assert detectors.calls[0].request.url.params.get_list("project") == ["3"]
    [body] = bodies(created)
    assert body["action_filters"][0]["actions"][0]["integrationId"] == "77"


async def test_the_form_does_not_notify_through_an_integration_sentry_does_not_give_us(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    # This workspace has no Slack integration in Sentry; a confirm claiming one is refused.
    mock_org(sentry, slack=False)
    await link(deps, ADMIN)
    created = unexpected(sentry, r"/workflows/$", method="POST")
    target = {"kind": "slack", "id": "C1", "name": "alerts", "integration_id": "77"}
    rule = {"kind": "issue", "name": "Errors", "project_id": "2", "project": "backend"}
    meta = {"c": "C1", "t": "tok1", "g": "current", "s": "77", "r": rule | {"target": target}}
    sealed = seal(SLACK_SIGNING_SECRET, json.dumps(meta))
    reply = await bot.view_submission("alert_confirm", {}, private_metadata=sealed)
    answer = json.loads(reply.body)
    assert NO_SLACK_INTEGRATION in texts(answer["view"])
    assert not created.called

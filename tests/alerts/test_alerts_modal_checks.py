"""`/dexter alert create`: inline validation, permissions, slow Sentry, Edit, noise warnings."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import respx
from httpx import Response

from bot.core import messages
from bot.deps import Deps
from handlers.alerts import submit as alert_submit
from tests.alert_helpers import (
    ADMIN,
    CORE_DEV,
    DEV,
    HOUR,
    ORG,
    channel_named,
    choose,
    last_view,
    link,
    mock_org,
    open_form,
    open_form_again,
    press,
    submit,
    texts,
    timeseries,
    timeseries_response,
    unexpected,
    week_start,
)
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver


async def test_invalid_input_is_shown_on_the_field(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    mock_org(sentry)
    created = unexpected(sentry, method="POST")
    await link(deps, ADMIN)
    channel_named(slack)
    form = await open_form(bot, slack, "alert create metric project:backend")
    answer = await submit(
        bot, form, {"alert_name": "x", "alert_critical": "100", "alert_warning": "200"}
    )
    assert answer == {
        "response_action": "errors",
        "errors": {"alert_warning": "The warning threshold must be below the critical one."},
    }
    form = await open_form_again(bot, slack, "alert create issue project:backend")
    await choose(bot, form, "alert_trigger", "user_frequency")
    await slack.wait_for("views.update", 3)
    answer = await submit(
        bot,
        last_view(slack),
        {"alert_name": None, "alert_tag_key": "browser", "alert_threshold": None},
    )
    assert answer["response_action"] == "errors"
    assert answer["errors"] == {
        "alert_name": "Give the rule a name.",
        "alert_threshold": "Enter a whole number of at least 1.",
        "alert_tag_value": "Give both the tag and its value, or neither.",
    }
    assert not created.called


async def test_a_query_sentry_rejects_is_shown_on_the_query_field(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    mock_org(sentry)
    await link(deps, ADMIN)
    channel_named(slack)
    form = await open_form(bot, slack, "alert create metric project:backend")
    sentry.get(ORG + "events-timeseries/").mock(
        return_value=Response(400, json={"detail": "Invalid query: unknown field 'trasaction'"})
    )
    answer = await submit(
        bot, form, {"alert_name": "x", "alert_critical": "1", "alert_query": "trasaction:/a"}
    )
    assert answer == {
        "response_action": "errors",
        "errors": {
            "alert_query": "Sentry did not accept this: Invalid query: unknown field 'trasaction'"
        },
    }


async def test_slow_sentry_gets_a_computing_view_then_the_preview(
    bot: SlackDriver,
    slack: FakeSlack,
    sentry: respx.MockRouter,
    deps: Deps,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(alert_submit, "BUDGET", 0.1)
    mock_org(sentry)
    await link(deps, ADMIN)
    channel_named(slack)
    form = await open_form(bot, slack, "alert create metric project:backend")

    answered = asyncio.Event()

    async def slow(request: httpx.Request) -> Response:
        await answered.wait()  # Sentry answers only after the budget gave the computing view
        return timeseries_response(timeseries([900.0] * 168, start=week_start(), step=HOUR))

    sentry.get(ORG + "events-timeseries/").mock(side_effect=slow)
    answer = await submit(bot, form, {"alert_name": "Always", "alert_critical": "10"})
    assert answer["response_action"] == "update"
    assert messages.ALERT_COMPUTING in texts(answer["view"])
    answered.set()
    await slack.wait_for("views.update", 2)
    preview = last_view(slack)
    assert preview["callback_id"] == "alert_confirm"
    assert "would have fired *1* time" in texts(preview)


async def test_edit_goes_back_to_the_filled_form(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    mock_org(sentry)
    await link(deps, ADMIN)
    channel_named(slack)
    form = await open_form(bot, slack, "alert create metric project:backend")
    sentry.get(ORG + "events-timeseries/").mock(
        return_value=timeseries_response(timeseries([500.0] * 168, start=week_start(), step=HOUR))
    )
    preview = (await submit(bot, form, {"alert_name": "Noisy", "alert_critical": "100"}))["view"]
    assert "would have fired *1* time" in texts(preview)
    await press(bot, preview, "alert_back")
    await slack.wait_for("views.update", 2)
    again = last_view(slack)
    assert again["callback_id"] == "alert_form"
    by_id = {b.get("block_id"): b for b in again["blocks"]}
    assert by_id["alert_name"]["element"]["initial_value"] == "Noisy"
    assert by_id["alert_critical"]["element"]["initial_value"] == "100"
    assert by_id["alert_project"]["element"]["initial_option"]["value"] == "2:backend"


async def test_a_noisy_rule_is_called_out(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    mock_org(sentry)
    await link(deps, ADMIN)
    channel_named(slack)
    form = await open_form(bot, slack, "alert create metric project:backend")
    flapping = [float(100 * (i % 2)) for i in range(168 * 12)]
    sentry.get(ORG + "events-timeseries/").mock(
        return_value=timeseries_response(timeseries(flapping, start=week_start(), step=300))
    )
    answer = await submit(
        bot, form, {"alert_name": "Flappy", "alert_critical": "50", "alert_window": "5"}
    )
    shown = texts(answer["view"])
    assert "would have fired *1008* times (about 144 a day)" in shown
    assert "That is a lot of notifications" in shown


async def test_unlinked_users_are_told_how_to_link(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    mock_org(sentry)
    await bot.command("alert create issue project:backend")
    await slack.wait_for("views.update")
    shown = texts(last_view(slack))
    assert "You need a linked Sentry account" in shown and "/dexter link" in shown


async def test_members_outside_the_owning_team_are_refused(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    mock_org(sentry)
    created = unexpected(sentry, method="POST")
    await link(deps, DEV)  # in #web, not #core which owns backend
    await bot.command("alert create issue project:backend")
    await slack.wait_for("views.update")
    assert "not in a team that owns `backend`" in texts(last_view(slack))

    # Without a project on the command line the refusal comes on the project field.
    await link(deps, CORE_DEV, "U2")
    await bot.command("alert create issue", user="U2")
    await slack.wait_for("views.update", 2)
    answer = await submit(
        bot,
        last_view(slack),
        {"alert_name": "Web errors", "alert_project": "3:web", "alert_notify": "issue_owners"},
        user="U2",
    )
    assert answer["response_action"] == "errors"
    assert "not in a team that owns `web`" in answer["errors"]["alert_project"]
    assert not created.called


async def test_unknown_words_get_the_usage(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    await bot.command("alert create loud")
    [resp] = await slack.wait_for("response")
    assert "I don't understand `loud`" in resp["text"]
    assert "/dexter alert create [issue|metric] [project:&lt;slug&gt;]" in resp["text"]
    assert not slack.of("views.open")


async def test_problems_on_hidden_fields_go_on_the_name(deps: Deps) -> None:
    from bot.alerts.form import FormMeta, defaults

    values = defaults("issue", project=("2", "backend"), channel_id="C1", has_slack=False)
    meta = FormMeta(c="C1", t="t", g="current")
    outcome = alert_submit.form_problems(
        deps, values, meta, {"alert_dataset": "Odd.", "alert_name": "Name it."}
    )
    assert outcome.errors == {"alert_name": "Name it. Odd."}


async def test_an_expired_form_says_so(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    reply = await bot.view_submission("alert_form", {}, private_metadata="from-an-old-version")
    answer = json.loads(reply.body)
    assert answer["response_action"] == "update"
    assert messages.ALERT_EXPIRED in texts(answer["view"])


async def test_slack_refusing_the_modal_is_explained(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    slack.on("views.open", {"ok": False, "error": "expired_trigger_id"})
    await bot.command("alert create")
    [resp] = await slack.wait_for("response")
    assert resp["text"] == messages.MODAL_NOT_OPENED.format(error="expired_trigger_id")


async def test_project_team_and_member_searches(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    mock_org(sentry)
    members = json.loads((await bot.options("alert_member", "ad")).body)["options"]
    assert members == [
        {"text": {"type": "plain_text", "text": "Ada (ada@acme.io)"}, "value": "500"}
    ]
    teams = json.loads((await bot.options("alert_team", "#co")).body)["options"]
    assert [(t["text"]["text"], t["value"]) for t in teams] == [("#core", "10:core")]
    projects = json.loads((await bot.options("alert_project", "")).body)["options"]
    assert [p["value"] for p in projects] == ["2:backend", "3:web"]

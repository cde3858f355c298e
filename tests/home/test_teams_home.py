"""`/dexter teams`, `/dexter team <slug>` with its subscribe button, and App Home."""

from __future__ import annotations

import json
from typing import Any

import httpx
import respx

from bot.deps import Deps
from tests import factories as f
from tests.digest_sentry import DashboardSentry
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.sentry_mock import SentryMock


def members(router: respx.MockRouter) -> None:
    ana = f.member(1, "ana@acme.com", teams=["core", "mobile"], user_id=100)
    SentryMock(router).members([ana])
    router.get("teams/acme/core/members/").mock(
        return_value=httpx.Response(200, json=[ana, f.member(2, "bo@acme.com", name="Bo Builder")])
    )


async def command(bot: SlackDriver, slack: FakeSlack, text: str, **kw: Any) -> dict[str, Any]:
    before = len(slack.responses)
    await bot.command(text, **kw)
    return (await slack.wait_for("response", before + 1))[before]


async def test_teams_lists_member_and_project_counts(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    DashboardSentry().install(sentry)
    resp = await command(bot, slack, "teams")
    text = resp["blocks"][1]["text"]["text"]
    assert "• *#core* · 5 members · 2 projects" in text
    assert "• *#mobile* · 2 members · 1 project" in text


async def test_team_card_and_subscribe_this_channel(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    fake = DashboardSentry().install(sentry)
    members(sentry)
    slack.add_user("U1", email="ana@acme.com", tz="America/New_York")
    resp = await command(bot, slack, "team core")
    blocks = {b.get("block_id"): b for b in resp["blocks"]}
    assert blocks["team_members"]["text"]["text"] == "*Members* (2)\nAna, Bo Builder"
    assert "`backend`, `web`" in blocks["team_projects"]["text"]["text"]
    assert (
        "*Open issues assigned to #core*\n• *<https://acme.sentry.io/issues/100/"
        in blocks["team_issues"]["text"]["text"]
    )
    assert fake.calls["issues"] == 1
    [issues_call] = [c for c in sentry.calls if c.request.url.path.endswith("/issues/")]
    assert issues_call.request.url.params["query"] == "is:unresolved assigned:#core"
    button = blocks["team_actions"]["elements"][0]
    assert (button["action_id"], button["value"]) == ("digest_subscribe_team", "core")

    before = len(slack.responses)
    await bot.action("digest_subscribe_team", value="core", channel="C5")
    [reply] = (await slack.wait_for("response", before + 1))[before:]
    assert (
        "Subscribed <#C5> to a digest of *team:core*, daily at 09:00 (America/New_York)"
        in reply["text"]
    )
    [sub] = await deps.digests.store.all()
    assert (sub.channel_id, sub.owner_id, sub.target.team) == ("C5", "U1", "core")


async def test_unknown_team_suggests_close_ones(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    DashboardSentry().install(sentry)
    # The overview asks for members while it looks the team up; Sentry has no such team.
    sentry.get("teams/acme/cor/members/").mock(
        return_value=httpx.Response(404, json={"detail": "The requested resource does not exist"})
    )
    resp = await command(bot, slack, "team cor")
    assert resp["text"] == "There is no team `cor` in this organization. Did you mean `core`?"


async def test_a_team_name_stays_one_path_segment(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    """`/dexter team ../projects` must not reach another Sentry endpoint with the token."""
    DashboardSentry().install(sentry)
    asked = sentry.get("teams/acme/..%2F..%2Fprojects%2Facme%2Fx/members/").mock(
        return_value=httpx.Response(404, json={"detail": "The requested resource does not exist"})
    )
    resp = await command(bot, slack, "team ../../projects/acme/x")
    assert "There is no team" in resp["text"]
    assert asked.called


async def open_home(bot: SlackDriver, slack: FakeSlack, user: str) -> dict[str, Any]:
    before = len(slack.of("views.publish"))
    await bot.event({"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"})
    call = (await slack.wait_for("views.publish", before + 1))[before]
    assert call.args["user_id"] == user
    view = call.args["view"]
    return json.loads(view) if isinstance(view, str) else view


async def test_home_for_a_linked_user(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    DashboardSentry().install(sentry)
    members(sentry)
    slack.add_user("U1", email="ana@acme.com")
    await command(bot, slack, "digest subscribe team:core")
    view = await open_home(bot, slack, "U1")
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert "Linked to Sentry as *Ana* (ana@acme.com)" in str(view["blocks"])
    assert blocks["home_assigned"]["text"]["text"].startswith("*Assigned to you*\n• *<https://")
    assert blocks["home_team|core"]["text"]["text"].startswith("*#core · top issues*\n• ")
    assert blocks["home_team|mobile"]["text"]["text"].startswith("*#mobile · top issues*\n• ")
    queries = [
        c.request.url.params["query"]
        for c in sentry.calls
        if c.request.url.path.endswith("/issues/")
    ]
    assert "is:unresolved assigned:ana@acme.com" in queries
    [sub] = await deps.digests.store.all()
    assert blocks[f"digest_manage|{sub.id}"]["elements"][1]["action_id"] == "digest_unsubscribe"

    # The Unsubscribe button in Home republishes Home with the outcome.
    await bot.interaction(
        {
            "type": "block_actions",
            "user": {"id": "U1", "team_id": "T1"},
            "team": {"id": "T1"},
            "api_app_id": "A1",
            "token": "legacy",
            "trigger_id": "t1",
            "container": {"type": "view", "view_id": "V1"},
            "view": {"id": "V1", "type": "home", "blocks": [], "hash": "h"},
            "actions": [
                {
                    "action_id": "digest_unsubscribe",
                    "block_id": "b",
                    "type": "button",
                    "value": sub.id,
                    "action_ts": "1",
                }
            ],
        }
    )
    calls = await slack.wait_for("views.publish", 2)
    view = calls[-1].args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    notice = next(b for b in view["blocks"] if b.get("block_id") == "home_notice")
    assert notice["text"]["text"].startswith(f"Unsubscribed digest `{sub.id}`")
    assert "None yet" in str(view["blocks"])


async def test_home_for_an_unlinked_user_explains_how_to_start(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    members(sentry)
    slack.add_user("U2", email="stranger@elsewhere.com")
    view = await open_home(bot, slack, "U2")
    howto = next(b for b in view["blocks"] if b.get("block_id") == "home_howto")
    assert "/dexter link" in howto["text"]["text"]
    assert not any(str(b.get("block_id", "")).startswith("home_team") for b in view["blocks"])

"""Dashboard digests and unfurls in a multi-workspace install: each workspace's own Sentry."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import respx

from bot.core.settings import Settings
from bot.deps import Deps
from tests import dashboard_factories as dbf
from tests.dashboards.support import widgets
from tests.discover.test_discover_e2e import text_of
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.tenants import GLOBEX_BOT, INITECH_BOT, globex_and_initech, oauth_settings
from tests.triage.test_options_unfurl import link_event

GLOBEX = "https://de.sentry.io/api/0/organizations/globex"
ACME = "https://sentry.io/api/0/organizations/acme"


@pytest.fixture
def settings(slack: FakeSlack) -> Settings:
    return oauth_settings(slack)


@pytest.fixture
async def app(
    settings: Settings, deps: Deps, slack: FakeSlack, sentry: respx.MockRouter
) -> AsyncIterator[SlackDriver]:
    async with globex_and_initech(settings, deps, slack) as driver:
        yield driver


def serve_board(sentry: respx.MockRouter, api: str, title: str) -> respx.Route:
    """Dashboard 7 of one organisation, with a big number widget only."""
    board = dbf.dashboard("7", title, [w for w in widgets() if w["title"] == "Users"])
    sentry.get(f"{api}/events/").mock(
        return_value=httpx.Response(
            200,
            json={"data": [{"count_unique(user)": 5}], "meta": {"fields": {}, "units": {}}},
        )
    )
    return sentry.get(f"{api}/dashboards/7/").mock(return_value=httpx.Response(200, json=board))


async def test_each_workspace_gets_its_own_sentrys_dashboard(
    app: SlackDriver, deps: Deps, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    globex = serve_board(sentry, GLOBEX, "Globex board")
    acme = serve_board(sentry, ACME, "Acme board")
    for team, channel in (("TG", "CG"), ("TI", "CI")):
        await app.command(
            "digest subscribe dashboard:7", team=team, user=f"U{team}", channel=channel
        )
    await slack.wait_for("response", 2)
    subs = {s.team_id: s for s in await deps.digests.store.all()}
    assert set(subs) == {"TG", "TI"}
    for team, channel in (("TG", "CG"), ("TI", "CI")):
        await app.command(
            f"digest send {subs[team].id}", team=team, user=f"U{team}", channel=channel
        )
    posts = await slack.wait_for("chat.postMessage", 2)
    by_channel = {p.args["channel"]: p for p in posts}
    assert by_channel["CG"].token == GLOBEX_BOT and by_channel["CI"].token == INITECH_BOT
    assert by_channel["CG"].args["blocks"][0]["text"]["text"] == "Digest · Globex board"
    assert "de.sentry.io/organizations/globex/dashboard/7/" in text_of(
        by_channel["CG"].args["blocks"]
    )
    assert by_channel["CI"].args["blocks"][0]["text"]["text"] == "Digest · Acme board"
    assert globex.calls.last.request.headers["Authorization"] == "Bearer sntrys_globex_1"
    assert acme.calls and all("globex" not in str(c.request.url) for c in acme.calls)


async def test_a_dashboard_link_unfurls_from_the_workspaces_own_sentry(
    app: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    globex = serve_board(sentry, GLOBEX, "Globex board")
    url = "https://de.sentry.io/organizations/globex/dashboard/7/"
    await app.event(link_event(url), team="TG")
    [call] = await slack.wait_for("chat.unfurl")
    assert call.token == GLOBEX_BOT and globex.calls
    assert "Globex board" in text_of(call.args["unfurls"][url]["blocks"])
    await app.event(link_event(url, ts="1700000600.000100"), team="TI")  # not acme's
    await app.idle()
    assert len(slack.of("chat.unfurl")) == 1

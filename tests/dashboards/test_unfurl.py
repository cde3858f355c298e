"""Sentry dashboard links unfurl into a summary: title, widgets, link."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from bot.dashboards.sentry_api import DashboardRef, parse_dashboard_url
from tests import dashboard_factories as dbf
from tests.discover.test_discover_e2e import text_of
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.triage.test_options_unfurl import link_event


@pytest.mark.parametrize(
    ("url", "ref"),
    [
        (
            "https://sentry.io/organizations/acme/dashboard/7/?statsPeriod=7d",
            DashboardRef("sentry.io", "acme", "7"),
        ),
        ("https://acme.sentry.io/dashboard/12/", DashboardRef("acme.sentry.io", "acme", "12")),
        ("https://de.sentry.io/dashboard/12/", DashboardRef("de.sentry.io", None, "12")),
        (
            "https://sentry.acme.internal/organizations/acme/dashboard/3",
            DashboardRef("sentry.acme.internal", "acme", "3"),
        ),
        ("https://acme.sentry.io/dashboards/", None),
        ("https://acme.sentry.io/dashboard/default-overview/", None),
        ("https://acme.sentry.io/issues/1/", None),
        ("javascript:alert(1)//dashboard/1/", None),
    ],
)
def test_parse_dashboard_url(url: str, ref: DashboardRef | None) -> None:
    assert parse_dashboard_url(url) == ref


async def test_dashboard_link_unfurls_into_a_summary(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    widgets = [
        dbf.widget(1, "Errors <!channel>", "line"),
        dbf.widget(2, "Slowest pages", "table", widget_type="spans"),
        dbf.widget(3, "Crash-free", "big_number", widget_type="metrics"),
        *(dbf.widget(10 + i, f"W{i}", "bar") for i in range(10)),
    ]
    board = dbf.dashboard("7", "Checkout <https://evil.example|health>", widgets)
    route = dbf.mock_dashboard(sentry, board)
    url = "https://acme.sentry.io/dashboard/7/?project=2"
    await bot.event(link_event(url))
    [call] = await slack.wait_for("chat.unfurl")
    assert route.calls
    blocks = call.args["unfurls"][url]["blocks"]
    shown = text_of(blocks)
    head = blocks[0]["text"]["text"]
    assert head.startswith("*<https://sentry.io/organizations/acme/dashboard/7/|Checkout ")
    assert "&lt;https://evil.example¦health&gt;" in head and "13 widgets" in head
    assert "• Errors &lt;!channel&gt; · line chart" in shown
    assert "• Slowest pages · table" in shown and "• Crash-free · big number" in shown
    assert "…and 3 more" in shown
    assert "<!channel>" not in json.dumps(blocks)
    assert "dashboard:7" in json.dumps(blocks)


async def test_other_orgs_dashboards_and_missing_ones_are_left_alone(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    sentry.get(f"{dbf.DASHBOARDS}404/").mock(
        return_value=httpx.Response(404, json={"detail": "The requested resource does not exist"})
    )
    for url in (
        "https://other.sentry.io/dashboard/7/",
        "https://sentry.io/organizations/other/dashboard/7/",
        "https://sentry.example.com/organizations/acme/dashboard/7/",
        "https://acme.sentry.io/dashboard/404/",
    ):
        await bot.event(link_event(url))
    await bot.idle()
    assert not slack.of("chat.unfurl")

"""`/dexter replays search …`: the parser, the request Sentry gets, the rows, paging, errors."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx
from hypothesis import given
from hypothesis import strategies as st

from bot.core import messages
from bot.core.errors import UserError
from bot.replays.parse import ReplaySearch, parse_replay_search
from handlers.error_replies import describe
from tests import discover_factories as df
from tests import factories as f
from tests.discover.test_discover_e2e import text_of
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.sentry_mock import SentryMock


def rows(n: int, *, start: int = 0, **extra: Any) -> list[dict[str, Any]]:
    return [df.replay(f"{start + i:032x}", minutes_ago=5 + i, **extra) for i in range(n)]


def test_parse_options_anywhere_the_rest_is_the_query() -> None:
    got = parse_replay_search("user.email:ada@acme.com last 7 days project:web,API sort:errors")
    assert got == ReplaySearch(
        query="user.email:ada@acme.com", period="7d", projects=("web", "api"), sort="errors"
    )
    assert parse_replay_search("") == ReplaySearch()
    assert parse_replay_search('url:"*/checkout*" count_errors:>0').query == (
        'url:"*/checkout*" count_errors:>0'
    )
    assert parse_replay_search("environment:prod").query == "environment:prod"


def test_parse_refuses_unknown_sort_and_too_long_periods() -> None:
    with pytest.raises(UserError, match="not a replay sort") as exc:
        parse_replay_search("sort:<!channel>")
    shown = describe(exc.value)  # what the user reads: the message is escaped whole
    assert "<!channel>" not in shown and "&lt;!channel&gt;" in shown
    with pytest.raises(UserError, match="90 days"):
        parse_replay_search("last 120d")


@given(st.text(max_size=80))
def test_parse_never_crashes_and_keeps_a_known_sort(text: str) -> None:
    try:
        got = parse_replay_search(text)
    except UserError:
        return
    assert got.sort in ("newest", "errors", "duration")


async def test_search_rows_request_and_paging(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, sentry_mock: SentryMock
) -> None:
    sentry_mock.projects([f.project(2, "backend"), f.project(3, "web")])
    first = rows(10, errors=3)
    first[0]["urls"] = ["https://acme.com/", "https://acme.com/cart", "https://acme.com/pay"]
    more = f.link_header(df.REPLAYS, "0:10:0")
    route = sentry.get(df.REPLAYS).mock(
        return_value=httpx.Response(200, json={"data": first}, headers=more)
    )
    await bot.command("replays search count_errors:>0 last 24h project:web sort:duration")
    [resp] = await slack.wait_for("response")
    shown = text_of(resp["blocks"])
    params = route.calls.last.request.url.params
    assert params["query"] == "count_errors:>0" and params["statsPeriod"] == "24h"
    assert params["sort"] == "-duration" and params["per_page"] == "10"
    assert params.get_list("project") == ["3"] and "cursor" not in params
    assert {"user", "duration", "count_errors", "urls"} <= set(params.get_list("field"))
    assert "*Replays* · count_errors:&gt;0 · last 24 hours · in web · longest first" in shown
    link = f"https://sentry.io/organizations/acme/replays/{first[0]['id']}/"
    assert f"*<{link}|Replay 00000000>* · Ada Lovelace" in shown
    assert "8m ago · 2.5 min · 3 errors · 3 pages · Chrome 131.0" in shown
    assert "1 page ·" in shown  # the other rows visited one URL
    pager = resp["blocks"][-1]["elements"][0]
    assert pager["action_id"] == "replays_next_page"

    route.mock(return_value=httpx.Response(200, json={"data": rows(2, start=10)}))
    await bot.action("replays_next_page", value=pager["value"], ephemeral=True)
    [_, page2] = await slack.wait_for("response", 2)
    assert page2["replace_original"] is True
    assert "page 2" in text_of(page2["blocks"]) and "Replay 00000000" in text_of(page2["blocks"])
    again = route.calls.last.request.url.params
    assert again["cursor"] == "0:10:0" and again["sort"] == "-duration"
    assert again["query"] == "count_errors:>0" and again.get_list("project") == ["3"]
    assert "replays_next_page" not in json.dumps(page2["blocks"])  # the last page


async def test_search_defaults_all_projects_newest_and_empty_answer(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    route = sentry.get(df.REPLAYS).mock(return_value=httpx.Response(200, json={"data": []}))
    await bot.command("replays search user.email:nobody@acme.com")
    [resp] = await slack.wait_for("response")
    params = route.calls.last.request.url.params
    assert params["sort"] == "-started_at" and params["statsPeriod"] == "14d"
    assert params.get_list("project") == ["-1"]
    assert "No replays match `user.email:nobody@acme.com` in this period." in text_of(
        resp["blocks"]
    )


async def test_hostile_user_texts_are_escaped(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    row = df.replay("f" * 32)
    row["user"] = {"email": "<!channel> <https://evil.example|click> @here", "display_name": None}
    row["browser"] = {"name": "<!everyone>", "version": "1"}
    sentry.get(df.REPLAYS).mock(return_value=httpx.Response(200, json={"data": [row]}))
    await bot.command("replays search <!here>")
    [resp] = await slack.wait_for("response")
    shown = text_of(resp["blocks"])
    assert "<!channel>" not in shown and "<!everyone>" not in shown and "<!here>" not in shown
    assert "<https://evil" not in shown
    assert "&lt;!channel&gt; &lt;https://evil.example|click&gt;" in shown


async def test_bad_query_names_sentrys_reason(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    # organization_replay_index.py: an InvalidSearchQuery becomes ParseError → 400 {"detail"}
    detail = "Invalid number: <!channel>abc"
    sentry.get(df.REPLAYS).mock(return_value=httpx.Response(400, json={"detail": detail}))
    await bot.command("replays search count_errors:>abc")
    [resp] = await slack.wait_for("response")
    assert resp["text"] == messages.REPLAY_SEARCH_REFUSED.format(
        detail="Invalid number: &lt;!channel&gt;abc"
    )
    assert not resp.get("blocks")


async def test_forged_page_buttons_expire_without_asking_sentry(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    route = sentry.get(df.REPLAYS).mock(return_value=httpx.Response(200, json={"data": []}))
    forged = json.dumps({"query": "", "sort": "-project_id; drop", "cursor": "0:10:0"})
    await bot.action("replays_next_page", value=forged, ephemeral=True)
    [resp] = await slack.wait_for("response")
    assert resp["text"] == messages.BUTTON_EXPIRED and not route.calls


async def test_a_bad_sort_is_echoed_as_typed_escaped_once(
    bot: SlackDriver, slack: FakeSlack
) -> None:
    await bot.command("replays search sort:a&b<x>")
    [resp] = await slack.wait_for("response")
    assert "`sort:a&amp;b&lt;x&gt;` is not a replay sort" in resp["text"]  # Slack: a&b<x>

"""`/dexter replays`, the issue card's Replays (N) button, and its Redis-cached count."""

from __future__ import annotations

from typing import Any

import httpx
import respx

from bot.core import messages
from bot.core.ids import Action
from tests import discover_factories as df
from tests import factories as f
from tests.discover.test_discover_e2e import text_of
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.sentry_mock import SentryMock


def mock_issue(sentry: respx.MockRouter, **extra: Any) -> None:
    SentryMock(sentry).issue(f.issue(1, **extra))


def mock_replays(sentry: respx.MockRouter, ids: list[str]) -> tuple[respx.Route, respx.Route]:
    def count(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("returnIds") == "true":
            return httpx.Response(200, json={"1": ids})
        return httpx.Response(200, json={"1": len(ids)})

    counts = sentry.get(df.REPLAY_COUNT).mock(side_effect=count)
    listing = sentry.get(df.REPLAYS).mock(
        return_value=httpx.Response(
            200, json={"data": [df.replay(r, minutes_ago=5 + i) for i, r in enumerate(ids[:5])]}
        )
    )
    return counts, listing


async def test_replays_command_shows_count_and_latest_with_links(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, sentry_mock: SentryMock
) -> None:
    sentry_mock.issue(f.issue(1), ref="BACKEND-1")
    ids = [f"{i:032x}" for i in range(7)]
    counts, listing = mock_replays(sentry, ids)
    await bot.command("replays BACKEND-1")
    [resp] = await slack.wait_for("response")
    shown = text_of(resp["blocks"])
    assert "7 session replays in the last 90 days · the 5 most recent:" in shown
    first = f"https://sentry.io/organizations/acme/replays/{ids[0]}/"
    assert f"*<{first}|Replay 00000000>* · 8m ago · 2.5 min" in shown
    assert "Ada Lovelace · Chrome 131.0 · macOS 15.1 · 2 errors" in shown
    [call] = counts.calls  # one query gives the ids and so the count
    params = call.request.url.params
    assert (params["data_source"], params["query"]) == ("discover", "issue.id:[1]")
    params = listing.calls.last.request.url.params
    assert params["query"] == f"id:[{','.join(ids)}]"
    assert params["sort"] == "-started_at" and params["per_page"] == "5"
    assert "user" in params.get_list("field") and "count_errors" in params.get_list("field")


async def test_performance_issues_count_from_search_issues_and_none_is_plain(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    mock_issue(sentry, issueCategory="performance")
    counts, listing = mock_replays(sentry, [])
    await bot.command("replays 1")
    [resp] = await slack.wait_for("response")
    assert resp["text"] == messages.REPLAYS_NONE.format(issue="BACKEND-1")
    assert {c.request.url.params["data_source"] for c in counts.calls} == {"search_issues"}
    assert not listing.calls


async def test_issue_card_shows_replays_button_and_caches_the_count(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, sentry_mock: SentryMock
) -> None:
    mock_issue(sentry)
    counts, _ = mock_replays(sentry, ["a" * 32, "b" * 32, "c" * 32])
    sentry_mock.card_extras(replays=False)
    await bot.command("issue 1")
    await bot.command("issue 1")
    cards = await slack.wait_for("chat.postMessage", 2)
    for card in cards:
        [actions] = [b for b in card.args["blocks"] if b["type"] == "actions"]
        labels = [e["text"]["text"] for e in actions["elements"] if e["type"] == "button"]
        assert "Replays (3)" in labels and "Open in Sentry" in labels
    assert len(counts.calls) == 1  # the second card used the cached count

    await bot.action(Action.REPLAYS_SHOW, value="1")
    [resp] = await slack.wait_for("response")
    assert resp["replace_original"] is False
    assert "3 session replays in the last 90 days" in text_of(resp["blocks"])


async def test_card_without_replays_or_when_the_count_fails(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, sentry_mock: SentryMock
) -> None:
    sentry_mock.issue(f.issue(2), latest=httpx.Response(404, json={"detail": "none"}))
    sentry.get(df.REPLAY_COUNT).mock(return_value=httpx.Response(403, json={"detail": "no"}))
    sentry_mock.card_extras(replays=False)
    await bot.command("issue 2")
    [card] = await slack.wait_for("chat.postMessage")
    labels = [
        e["text"]["text"]
        for b in card.args["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["type"] == "button"
    ]
    assert "Open in Sentry" in labels and not any(lb.startswith("Replays") for lb in labels)


async def test_a_sentry_refusing_discover_gets_events_once_and_from_then_on(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    """Should a Sentry follow the schema (`events`) and refuse `discover`, Dexter falls back
    once and remembers (the mock's own source rule answers `events` with 400 otherwise)."""
    mock_issue(sentry)
    seen: list[str] = []

    def count(request: httpx.Request) -> httpx.Response:
        source = request.url.params["data_source"]
        seen.append(source)
        if source != "events":
            return httpx.Response(400, json={"data_source": ['"discover" is not a valid choice.']})
        if request.url.params.get("returnIds") == "true":
            return httpx.Response(200, json={"1": ["a" * 32]})
        return httpx.Response(200, json={"1": 1})

    sentry.routes.pop("sentry-source-rules")  # this Sentry is another version
    sentry.get(df.REPLAY_COUNT).mock(side_effect=count)
    sentry.get(df.REPLAYS).mock(
        return_value=httpx.Response(200, json={"data": [df.replay("a" * 32, minutes_ago=5)]})
    )
    await bot.command("replays 1")
    [resp] = await slack.wait_for("response")
    assert "1 session replay" in text_of(resp["blocks"])
    first = len(seen)
    await bot.command("replays 1")
    await slack.wait_for("response", 2)
    assert seen[:first] == ["discover", "events"]  # refused once, then the fallback
    assert seen[first:] == ["events"]  # remembered: no second refusal
    assert seen[:first].count("discover") >= 1


async def test_sentrys_source_refuses_events_as_data_source(sentry: respx.MockRouter) -> None:
    """The mock answers what organization_replay_count.py answers to the schema's `events`."""
    auth = {"Authorization": "Bearer t"}
    async with httpx.AsyncClient(base_url="https://sentry.io/api/0/", headers=auth) as client:
        resp = await client.get(df.REPLAY_COUNT, params={"data_source": "events", "query": "x"})
    assert resp.status_code == 400

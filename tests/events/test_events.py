"""`/dexter event`, the card's Stack trace button, Older/Newer and the Tags view, end to end
against the schema-validated Sentry mock; hostile events stay inert and within Slack's limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx

from bot.core import messages
from bot.core.errors import UserError
from bot.core.ids import Action
from bot.events import texts
from bot.events.api import EventApi
from bot.events.models import EventDetail
from bot.events.parse import parse_button_value, parse_event_command
from bot.events.safe import BACKTICK_STAND_IN, code, code_line, cut, fence
from bot.events.service import KEY_TAGS, EventPage, tag_keys
from bot.events.view import event_view
from bot.sentry.client import SentryClient
from bot.sentry.models import Issue
from handlers.error_replies import describe
from tests import event_factories as ef
from tests import factories as f
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.sentry_mock import SentryMock

ISSUE = "organizations/acme/issues/1/"


def texts_of(blocks: list[dict[str, Any]]) -> list[str]:
    """Every text a user reads: section texts and fields, context elements, headers."""
    out: list[str] = []
    for b in blocks:
        if isinstance(b.get("text"), dict):
            out.append(b["text"]["text"])
        out += [fd["text"] for fd in b.get("fields") or []]
        if b["type"] == "context":
            out += [e["text"] for e in b["elements"] if "text" in e]
    return out


def labels(blocks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        e["text"]["text"]: e
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["type"] == "button"
    }


def mock_issue(sentry: respx.MockRouter, path_id: str = "1") -> respx.Route:
    tags = [
        {"key": "browser", "name": "Browser", "totalValues": 80},
        {"key": "environment", "name": "Environment", "totalValues": 100},
        {"key": "custom", "name": "Custom", "totalValues": 7},
    ]
    return SentryMock(sentry).issue(f.issue(1, tags=tags), ref=path_id)


def mock_event(
    sentry: respx.MockRouter, which: str, payload: dict[str, Any], path_id: str = "1"
) -> respx.Route:
    return sentry.get(f"organizations/acme/issues/{path_id}/events/{which}/").mock(
        return_value=httpx.Response(200, json=payload)
    )


# --- parsing -------------------------------------------------------------------------------


def test_the_command_names_an_issue_and_one_event() -> None:
    assert parse_event_command("BACKEND-1").which == "latest"
    assert parse_event_command("BACKEND-1 Oldest").which == "oldest"
    assert parse_event_command("1 recommended").which == "recommended"
    assert parse_event_command(f"1 {'A' * 32}").which == "a" * 32
    assert parse_event_command("1 tags").tags
    url = f"https://acme.sentry.io/issues/1/events/{ef.OLDER}/"
    target = parse_event_command(url)
    assert (target.issue.issue_id, target.which) == ("1", ef.OLDER)


@pytest.mark.parametrize(
    "text", ["1 ../../projects", "1 newest", "1 latest oldest", "1 <!channel>"]
)
def test_what_sentry_would_not_route_is_refused_before_any_path(text: str) -> None:
    with pytest.raises(UserError) as err:
        parse_event_command(text)
    shown = describe(err.value)  # what the user reads: the message is escaped whole
    assert "<!channel>" not in shown and err.value.usage


def test_button_values_are_checked_hints() -> None:
    assert parse_button_value(f"1|{ef.OLDER}") is not None
    assert parse_button_value("1|tags") is not None
    for bad in (None, "", "x|latest", "1|../x", "1|<!here>", "1" * 30 + "|latest"):
        assert parse_button_value(bad) is None


# --- safe text -----------------------------------------------------------------------------


def test_code_cannot_be_closed_and_nothing_is_a_mention() -> None:
    inline = code(ef.HOSTILE, 200)
    assert inline.count("`") == 2 and inline.startswith("`") and inline.endswith("`")
    assert "<" not in inline and BACKTICK_STAND_IN in inline
    block = fence([code_line(ef.HOSTILE + "\n```\n<!channel>", 500)])
    assert block.count("```") == 2 and "<!" not in block
    assert len(cut("&" * 5000, 3000)) <= 3000 and cut("&" * 5000, 3000).endswith("…")


def test_model_reads_the_schema_example_shape() -> None:
    event = EventDetail.model_validate(ef.event())
    assert [e.type for e in event.exceptions()] == ["KeyError", "ZeroDivisionError"]
    assert event.exceptions()[1].frames[2].context_line == "return a / b"
    assert event.previous_event_id == ef.OLDER and event.next_event_id is None
    assert event.request() is not None and event.request().method == "POST"  # type: ignore[union-attr]
    assert len(event.breadcrumbs()) == 3


# --- end to end ----------------------------------------------------------------------------


async def test_event_command_shows_the_chain_breadcrumbs_request_and_tags(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    issue = mock_issue(sentry, "BACKEND-1")
    event = mock_event(sentry, "latest", ef.event(), path_id="BACKEND-1")
    await bot.command("event BACKEND-1")
    [resp] = await slack.wait_for("response")
    blocks = resp["blocks"]
    assert resp["response_type"] == "ephemeral"
    assert issue.called and event.called
    shown = "\n".join(texts_of(blocks))
    raised = next(t for t in texts_of(blocks) if t.startswith("*ZeroDivisionError*"))
    # the raised exception first, in-app frames innermost first, each with its source line
    assert raised.startswith("*ZeroDivisionError*: division by zero (unhandled)\n```\n")
    lines = raised.split("```")[1].strip().splitlines()
    assert lines[:4] == [
        "app/billing.py:88 in compute_total",
        "    return a / b",
        "app/views.py:40 in checkout",
        "    total = compute_total(c)",
    ]
    assert lines[4:] == [
        "decimal.py:1200 in __truediv__",
        "django/core/handlers.py:55 in inner",
        "    response = get()",
    ]
    assert f"{texts.CAUSED} *KeyError*: 'rate' (handled)" in shown
    assert "*Request* `POST` `https://shop.acme.io/api/checkout`" in shown
    crumbs = next(t for t in texts_of(blocks) if t.startswith("*Breadcrumbs*"))
    assert (
        crumbs.split("```")[1]
        .strip()
        .splitlines()[-1]
        .endswith("info http POST /api/checkout [500]")
    )
    fields = next(b for b in blocks if b.get("block_id") == "event_tags")["fields"]
    assert [fd["text"].split("\n")[0] for fd in fields][:4] == [
        "*environment*",
        "*release*",
        "*level*",
        "*handled*",
    ]
    assert "*<https://acme.sentry.io/issues/1/|BACKEND-1>* · event `aaaaaaaaaaaa`" in shown
    assert texts.NEWEST_SHOWN in shown
    buttons = labels(blocks)
    assert buttons[texts.OLDER]["value"] == f"1|{ef.OLDER}"
    assert texts.NEWER not in buttons
    assert buttons[texts.OPEN_EVENT]["url"] == (
        f"https://sentry.io/organizations/acme/issues/1/events/{ef.LATEST}/"
    )


@pytest.mark.parametrize("which", ["oldest", "recommended", ef.NEWER])
async def test_each_event_sentry_routes_is_asked_by_name(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, which: str
) -> None:
    mock_issue(sentry)
    route = mock_event(sentry, which, ef.event(ef.NEWER, previous=ef.LATEST))
    await bot.command(f"event 1 {which}")
    [resp] = await slack.wait_for("response")
    assert route.called
    assert f"1|{ef.LATEST}" in {e["value"] for e in labels(resp["blocks"]).values() if "value" in e}


async def test_older_and_newer_step_through_the_issue_in_place(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    mock_issue(sentry)
    older = mock_event(sentry, ef.OLDER, ef.event(ef.OLDER, previous=None, next_id=ef.LATEST))
    await bot.action(Action.EVENT_OLDER, value=f"1|{ef.OLDER}", ephemeral=True)
    [resp] = await slack.wait_for("response")
    assert older.called and resp["replace_original"] is True
    buttons = labels(resp["blocks"])
    assert texts.OLDER not in buttons and buttons[texts.NEWER]["value"] == f"1|{ef.LATEST}"
    assert texts.OLDEST_SHOWN in "\n".join(texts_of(resp["blocks"]))


async def test_an_event_sentry_does_not_have_is_said_plainly(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    mock_issue(sentry)
    sentry.get(f"{ISSUE}events/{ef.OLDER}/").mock(
        return_value=httpx.Response(404, json={"detail": "Event not found."})
    )
    await bot.command(f"event 1 {ef.OLDER}")
    [resp] = await slack.wait_for("response")
    assert resp["text"] == texts.EVENT_NOT_FOUND.format(event=ef.OLDER, issue="BACKEND-1")


async def test_a_tampered_button_reads_nothing(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    await bot.action(Action.EVENT_NEWER, value="1|../../../projects/acme/")
    [resp] = await slack.wait_for("response")
    assert resp["text"] == messages.BUTTON_EXPIRED
    assert not sentry.calls


async def test_the_card_has_a_stack_trace_button_that_answers_beside_it(
    bot: SlackDriver, slack: FakeSlack, sentry_mock: SentryMock
) -> None:
    sentry_mock.issue(f.issue(1), latest=ef.event())
    sentry_mock.card_extras()
    await bot.command("issue 1")
    [card] = await slack.wait_for("chat.postMessage")
    button = labels(card.args["blocks"])[texts.STACK_TRACE]
    assert button["action_id"] == Action.EVENT_SHOW and button["value"] == "1|latest"
    await bot.action(Action.EVENT_SHOW, value=button["value"])
    [resp] = await slack.wait_for("response")
    assert resp["replace_original"] is False
    assert any(t.startswith("*ZeroDivisionError*") for t in texts_of(resp["blocks"]))


async def test_tags_show_top_values_and_their_share(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    mock_issue(sentry)
    routes = {
        "environment": sentry.get(ef.TAG.format(key="environment")).mock(
            return_value=httpx.Response(
                200, json=ef.tag("environment", [("production", 75), ("staging", 25)])
            )
        ),
        "browser": sentry.get(ef.TAG.format(key="browser")).mock(
            return_value=httpx.Response(
                200, json=ef.tag("browser", [("Chrome 131", 60), ("<!channel>`", 20)], total=80)
            )
        ),
        "custom": sentry.get(ef.TAG.format(key="custom")).mock(
            return_value=httpx.Response(404, json={"detail": "gone"})
        ),
    }
    await bot.action(Action.EVENT_TAGS, value="1|tags")
    [resp] = await slack.wait_for("response")
    assert all(r.called for r in routes.values())
    sections = texts_of(resp["blocks"])
    env = next(t for t in sections if t.startswith("*environment*"))
    assert env.splitlines() == [
        "*environment* · 100 events · 2 values",
        "`████████░░`  75% `production` (75)",
        "`███░░░░░░░`  25% `staging` (25)",
    ]
    browser = next(t for t in sections if t.startswith("*browser*"))
    assert f"`&lt;!channel&gt;{BACKTICK_STAND_IN}` (20)" in browser
    assert not any(t.startswith("*custom*") for t in sections)  # Sentry had none: left out
    order = [t.split("*")[1] for t in sections if t.startswith("*") and " · " in t]
    assert order[:2] == ["environment", "browser"]  # the key tags first
    assert labels(resp["blocks"])[texts.STACK_TRACE]["value"] == "1|latest"


async def test_a_hostile_event_is_inert_and_fits_slack(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    mock_issue(sentry)
    mock_event(sentry, "latest", ef.hostile_event())
    await bot.command("event 1")
    [resp] = await slack.wait_for("response")
    blocks = resp["blocks"]
    raw = json.dumps(blocks)
    for forged in ("<!channel>", "<!here>", "<@U0001", "<https://evil"):
        assert forged not in raw and forged not in resp["text"]
    assert len(blocks) <= 50
    header = blocks[0]["text"]["text"]
    assert blocks[0]["type"] == "header" and len(header) <= 150
    for text in texts_of(blocks):
        assert len(text) <= 3000
        # every ``` opens or closes one of Dexter's blocks; nothing inside them is a backtick
        pieces = text.split("```")
        assert len(pieces) % 2 == 1
        assert all("`" not in inner for inner in pieces[1::2]), text[:400]
        # outside the blocks, backticks pair up into Dexter's inline spans
        assert sum(p.count("`") for p in pieces[0::2]) % 2 == 0
    for b in blocks:
        for fd in b.get("fields") or []:
            assert len(fd["text"]) <= 2000
    shown = "\n".join(texts_of(blocks))
    full = f"https://sentry.io/organizations/acme/issues/1/events/{ef.LATEST}/"
    assert texts.CUT.format(link=f"<{full}|{texts.FULL_EVENT}>") in shown
    assert texts.MORE_EXCEPTIONS.format(n=3) in shown
    assert texts.OLDER not in labels(blocks)  # Sentry's neighbour id was not an event id


def test_an_event_without_exception_shows_its_message_and_crashed_thread() -> None:
    threads = {
        "type": "threads",
        "data": {
            "values": [
                {
                    "id": 1,
                    "crashed": False,
                    "stacktrace": {"frames": [ef.frame("a.c", "idle", 1, in_app=True)]},
                },
                {
                    "id": 2,
                    "crashed": True,
                    "stacktrace": {"frames": [ef.frame("b.c", "boom", 9, in_app=True)]},
                },
            ]
        },
    }
    message = {"type": "message", "data": {"formatted": "disk <!here> full", "params": []}}
    payload = ef.event(chain=[], extra_entries=[message, threads])
    payload["entries"] = [e for e in payload["entries"] if e["type"] != "exception"]
    api = EventApi(SentryClient(base_url="https://sentry.io", token="t", org="acme"))
    page = EventPage(
        Issue.model_validate(f.issue(1)), EventDetail.model_validate(payload), "latest"
    )
    view = event_view(page, api, datetime.now(UTC))
    [text] = view.exceptions
    assert text.startswith("*Message*: disk &lt;!here&gt; full\n```\nb.c:9 in boom\n")


def test_tags_shown_are_the_key_ones_first_then_the_most_used() -> None:
    tags = [
        {"key": "custom", "name": "Custom", "totalValues": 5},
        {"key": "os", "name": "OS", "totalValues": 90},
        {"key": "big", "name": "Big", "totalValues": 50},
        {"key": "environment", "name": "Environment", "totalValues": 100},
    ]
    issue = Issue.model_validate(f.issue(1, tags=tags))
    assert tag_keys(issue) == ["environment", "os", "big", "custom"]
    assert tag_keys(issue, limit=2) == ["environment", "os"]
    assert tag_keys(Issue.model_validate(f.issue(1))) == list(KEY_TAGS[:8])


def test_odd_sdk_data_loses_the_odd_part_not_the_event() -> None:
    """Sentry stores what SDKs send with little checking: a frame with a non-numeric line, a
    number as exception type, a breadcrumb with a bad time, a request method that is a number."""
    payload = ef.event(
        chain=[
            {
                "type": 5,
                "value": ["x"],
                "mechanism": {"handled": "maybe"},
                "stacktrace": {
                    "frames": [
                        {"lineNo": "abc"},
                        {"filename": "ok.py", "lineNo": 3, "context": [[3, "y()"], "junk", [1]]},
                    ]
                },
            }
        ],
        crumbs=[{"message": 3, "timestamp": "bad", "data": [1]}],
        request={"method": 1, "url": None},
    )
    event = EventDetail.model_validate(payload)
    [exc] = event.exceptions()
    assert (exc.type, exc.value, exc.mechanism) == ("5", "['x']", None)
    assert [(fr.where, fr.context_line) for fr in exc.frames] == [("ok.py:3", "y()")]
    [crumb] = event.breadcrumbs()
    assert (crumb.message, crumb.timestamp) == ("3", None)
    assert event.request() is not None and event.request().method == "1"  # type: ignore[union-attr]


async def test_a_sentry_without_neighbour_ids_is_stepped_through_its_event_list(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    """Without `previousEventID`/`nextEventID` in the answer, the issue's events (newest first,
    src/sentry/issues/endpoints/group_events.py) give the neighbours."""
    mock_issue(sentry)
    payload = ef.event(ef.LATEST)
    del payload["previousEventID"], payload["nextEventID"]
    mock_event(sentry, ef.LATEST, payload)
    rows = [
        {**ef.event(eid), "event.type": "error", "crashFile": None}
        for eid in (ef.NEWER, ef.LATEST, ef.OLDER)
    ]
    listing = sentry.get(ef.EVENTS).mock(return_value=httpx.Response(200, json=rows))
    await bot.command(f"event 1 {ef.LATEST}")
    [resp] = await slack.wait_for("response")
    assert listing.calls.last.request.url.params["per_page"] == "100"
    buttons = labels(resp["blocks"])
    assert buttons[texts.OLDER]["value"] == f"1|{ef.OLDER}"
    assert buttons[texts.NEWER]["value"] == f"1|{ef.NEWER}"


async def test_beyond_the_first_page_of_an_old_sentry_the_ends_are_not_claimed(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    mock_issue(sentry)
    payload = ef.event(ef.OLDER)
    del payload["previousEventID"], payload["nextEventID"]
    mock_event(sentry, ef.OLDER, payload)
    rows = [{**ef.event(f"{i:032x}"), "event.type": "error", "crashFile": None} for i in range(3)]
    sentry.get(ef.EVENTS).mock(return_value=httpx.Response(200, json=rows))
    await bot.command(f"event 1 {ef.OLDER}")
    [resp] = await slack.wait_for("response")
    shown = "\n".join(texts_of(resp["blocks"]))
    assert texts.OLDEST_SHOWN not in shown and texts.NEWEST_SHOWN not in shown
    assert texts.OLDER not in labels(resp["blocks"]) and texts.NEWER not in labels(resp["blocks"])


async def test_a_bad_event_id_is_echoed_as_typed_escaped_once(
    bot: SlackDriver, slack: FakeSlack
) -> None:
    await bot.command("event 1 a&b<c>")
    [resp] = await slack.wait_for("response")
    assert "a&amp;b&lt;c&gt;" in resp["text"] and "&amp;amp;" not in resp["text"]

"""End to end: signed Slack requests → the real app → respx Sentry → fake Slack."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlencode

import respx
from httpx import Response

from bot.core import messages
from tests import factories as f
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.sentry_mock import SentryMock

ISSUES = "organizations/acme/issues/"


def all_text(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


async def test_issues_lists_rows_with_sparkline_and_paging(
    bot: SlackDriver, slack: FakeSlack, sentry_mock: SentryMock
) -> None:
    assigned = {"type": "user", "id": "7", "name": "Alice Doe", "email": "alice@acme.com"}
    route = sentry_mock.issues(
        [f.issue(1, assigned=assigned), f.issue(2, title="KeyError: 'user'")],
        headers=f.link_header(ISSUES, "0:10:0"),
    )
    reply = await bot.command("issues level:error sort:freq")
    assert reply.status == 200
    [resp] = await slack.wait_for("response")
    assert resp["response_type"] == "ephemeral"
    text = all_text(resp["blocks"])
    assert "<https://acme.sentry.io/issues/1/|BACKEND-1>" in text
    assert "Alice Doe" in text and "unassigned" in text
    assert "1.5k events" in text and "42 users" in text and "5m ago" in text
    assert "`backend` · error" in text
    assert "▁" in text and "█" in text  # the 24h sparkline
    params = route.calls.last.request.url.params
    assert params["query"] == "level:error" and params["sort"] == "freq"
    assert params["groupStatsPeriod"] == "24h" and params["limit"] == "10"

    pager = resp["blocks"][-1]["elements"][0]
    assert pager["action_id"] == "issues_next_page"
    route.mock(return_value=Response(200, json=[f.issue(11)], headers=f.link_header(ISSUES, None)))
    await bot.action("issues_next_page", value=pager["value"], ephemeral=True)
    [_, page2] = await slack.wait_for("response", 2)
    assert page2["replace_original"] is True
    assert "BACKEND-B" in all_text(page2["blocks"]) and "page 2" in all_text(page2["blocks"])
    assert route.calls.last.request.url.params["cursor"] == "0:10:0"
    assert route.calls.last.request.url.params["query"] == "level:error"
    assert "issues_next_page" not in all_text(page2["blocks"])


async def test_issues_default_query_public_and_project_env(
    bot: SlackDriver, slack: FakeSlack, sentry_mock: SentryMock
) -> None:
    sentry_mock.projects([f.project(2, "backend"), f.project(3, "web")])
    route = sentry_mock.issues([f.issue(1)])
    await bot.command("issues project:web env:production public")
    [resp] = await slack.wait_for("response")
    assert resp["response_type"] == "in_channel"
    params = route.calls.last.request.url.params
    assert params["query"] == "is:unresolved" and params["sort"] == "date"
    assert params.get_list("project") == ["3"] and params.get_list("environment") == ["production"]


async def test_issues_unknown_project_suggests(
    bot: SlackDriver, slack: FakeSlack, sentry_mock: SentryMock
) -> None:
    sentry_mock.projects([f.project(2, "backend")])
    await bot.command("issues project:backnd")
    [resp] = await slack.wait_for("response")
    assert "no project `backnd`" in resp["text"] and "`backend`" in resp["text"]


async def test_invalid_search_shows_sentry_detail_and_hint(
    bot: SlackDriver, slack: FakeSlack, sentry_mock: SentryMock
) -> None:
    sentry_mock.issues(Response(400, json={"detail": "Error parsing search query: level:"}))
    await bot.command("issues level:")
    [resp] = await slack.wait_for("response")
    assert "Error parsing search query: level:" in resp["text"]
    assert messages.SEARCH_HINT in resp["text"]
    assert resp["response_type"] == "ephemeral"


async def test_empty_result_says_so(
    bot: SlackDriver, slack: FakeSlack, sentry_mock: SentryMock
) -> None:
    sentry_mock.issues([])
    await bot.command("issues is:unresolved level:fatal")
    [resp] = await slack.wait_for("response")
    assert "No issues match `is:unresolved level:fatal`" in all_text(resp["blocks"])


async def test_ack_comes_before_a_slow_sentry(
    bot: SlackDriver, slack: FakeSlack, sentry_mock: SentryMock
) -> None:
    answer = asyncio.Event()

    async def slow(request: Any) -> Response:
        await answer.wait()  # Sentry answers only once the ack is in
        return Response(200, json=[f.issue(1)])

    sentry_mock.issues(slow)
    reply = await asyncio.wait_for(bot.command("issues"), 5)
    assert reply.status == 200
    assert slack.responses == []  # the answer is still on its way
    answer.set()
    await slack.wait_for("response", timeout=5)


async def test_sentry_down_answers_clearly(
    bot: SlackDriver, slack: FakeSlack, sentry_mock: SentryMock
) -> None:
    sentry_mock.issues(Response(503))
    await bot.command("issues")
    [resp] = await slack.wait_for("response")
    assert resp["text"].startswith("Sentry is not answering, try again")
    assert "ref `" in resp["text"]


async def test_issue_card_by_short_id(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, sentry_mock: SentryMock
) -> None:
    # Sentry's issue endpoints take the short id in place of the id: no shortids/ lookup first.
    lookup = sentry.get("organizations/acme/shortids/BACKEND-1A/")
    short = sentry_mock.issue(f.issue(26), ref="BACKEND-1A")
    by_id = sentry_mock.issue(f.issue(26))
    sentry_mock.card_extras()
    reply = await bot.command("issue backend-1a", channel="C9")
    assert reply.status == 200
    [post] = await slack.wait_for("chat.postMessage")
    assert post.args["channel"] == "C9"
    blocks = post.args["blocks"]
    text = all_text(blocks)
    assert blocks[0]["type"] == "header" and "ZeroDivisionError" in blocks[0]["text"]["text"]
    for expected in (
        "*Level*\\nerror",
        "*Status*\\nunresolved",
        "*Assignee*\\nunassigned",
        "`backend`",
        "releases/backend%401.4.0/|1.4.0>",
        "releases/backend%401.5.2/|1.5.2>",
        "*Events*\\n1.5k",
        "*Users*\\n42",
        "compute_total in app/billing.py:88",
        "environment: `production`",
        "release: `backend@1.5.2`",
        "browser: `Chrome 131`",
        "os: `Linux`",
        "Open in Sentry",
        "app.billing in compute_total",
    ):
        assert expected in text, expected
    # the short id's issue id is remembered: the second card reads the issue by id
    await bot.command("issue BACKEND-1A")
    await slack.wait_for("chat.postMessage", 2)
    assert short.call_count == 1 and by_id.call_count == 1
    assert not lookup.called


async def test_issue_card_from_urls(
    bot: SlackDriver, slack: FakeSlack, sentry_mock: SentryMock
) -> None:
    for iid in (5, 6):
        sentry_mock.issue(f.issue(iid), latest=Response(404, json={"detail": "no events"}))
    sentry_mock.card_extras()
    await bot.command("issue <https://acme.sentry.io/issues/5/?project=2>")
    await bot.command("issue https://sentry.io/organizations/acme/issues/6/")
    posts = await slack.wait_for("chat.postMessage", 2)
    assert {p.args["text"].split(":")[0] for p in posts} == {"BACKEND-5", "BACKEND-6"}


async def test_issue_from_another_org_is_refused(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    anything = sentry.route().respond(404, json={"detail": "Not found"})
    await bot.command("issue https://other.sentry.io/issues/5/")
    [resp] = await slack.wait_for("response")
    assert "`other` organization" in resp["text"]
    assert not anything.called
    # the same link into this organisation is looked up, and the check above would see it
    await bot.command("issue https://acme.sentry.io/issues/5/")
    await slack.wait_for("response", 2)
    assert anything.called


async def test_unknown_issue_is_not_found(
    bot: SlackDriver, slack: FakeSlack, sentry_mock: SentryMock
) -> None:
    sentry_mock.missing_issue(999)
    await bot.command("issue 999")
    [resp] = await slack.wait_for("response")
    assert resp["text"] == messages.SENTRY_NOT_FOUND.format(detail="No issue `999` found.")


async def test_bad_ref_shows_usage(bot: SlackDriver, slack: FakeSlack) -> None:
    await bot.command("issue ???")
    [resp] = await slack.wait_for("response")
    assert "is not an issue reference" in resp["text"]
    assert "Usage: `/dexter issue &lt;id | SHORT-ID | issue URL&gt;`" in resp["text"]


async def test_card_falls_back_when_bot_not_in_channel(
    bot: SlackDriver, slack: FakeSlack, sentry_mock: SentryMock
) -> None:
    slack.on("chat.postMessage", {"ok": False, "error": "not_in_channel"})
    sentry_mock.issue(f.issue(5))
    sentry_mock.card_extras()
    await bot.command("issue 5")
    [resp] = await slack.wait_for("response")
    assert messages.NOT_IN_CHANNEL in all_text(resp["blocks"])
    assert resp["response_type"] == "ephemeral"


async def test_help_lists_every_command_from_the_table(bot: SlackDriver, slack: FakeSlack) -> None:
    from handlers import commands
    from handlers.triage import issues

    await bot.command("help")
    [resp] = await slack.wait_for("response")
    text = all_text(resp["blocks"])
    for cmd in [*commands.COMMANDS, *issues.COMMANDS]:
        assert cmd.example in text


async def test_unknown_command_suggests(bot: SlackDriver, slack: FakeSlack) -> None:
    await bot.command("isues level:error")
    [resp] = await slack.wait_for("response")
    text = all_text(resp["blocks"])
    assert "I don't know `isues`." in text and "Did you mean `/dexter issues`?" in text
    assert "Dexter commands" in text


async def test_a_group_word_alone_lists_its_sub_commands(
    bot: SlackDriver, slack: FakeSlack
) -> None:
    await bot.command("alert")
    [resp] = await slack.wait_for("response")
    text = all_text(resp["blocks"])
    assert "`/dexter alert` needs one of these:" in text
    assert "/dexter alert create [issue|metric] [project:&lt;slug&gt;]" in text
    assert "Did you mean" not in text and "I don't know" not in text
    assert "/dexter issues" not in text  # only the group, not the whole help
    await bot.command("subscribe")
    [_, resp] = await slack.wait_for("response", 2)
    text = all_text(resp["blocks"])
    assert "`/dexter subscribe` needs one of these:" in text
    assert "/dexter subscribe releases project:&lt;slug&gt;" in text
    await bot.command("alert delete 5")
    [*_, resp] = await slack.wait_for("response", 3)
    text = all_text(resp["blocks"])
    assert "I don't know `/dexter alert delete`. `/dexter alert` takes one of these:" in text
    assert "/dexter alert create" in text


async def test_bad_signature_is_rejected(
    bot: SlackDriver, slack: FakeSlack, sentry_mock: SentryMock
) -> None:
    route = sentry_mock.issues([])
    form = {"command": "/dexter", "text": "issues", "user_id": "U1", "channel_id": "C1"}
    body = urlencode(form | {"team_id": "T1", "response_url": slack.response_url("x")})
    headers = bot.signed_headers(body)
    headers["X-Slack-Signature"] = "v0=" + "0" * 64
    reply = await bot.post(body, headers=headers)
    assert reply.status == 401
    await bot.idle()
    assert slack.responses == [] and not route.called
    # signed, the same request runs, and both checks above would have seen it
    assert (await bot.post(body)).status == 200
    await slack.wait_for("response")
    assert route.called


async def test_slack_escaped_operators_reach_sentry_unescaped(
    bot: SlackDriver, slack: FakeSlack, sentry_mock: SentryMock
) -> None:
    route = sentry_mock.issues([])
    await bot.command("issues times_seen:&gt;100 title:&quot;a&amp;b&quot;")
    await slack.wait_for("response")
    assert route.calls.last.request.url.params["query"] == "times_seen:>100 title:&quot;a&b&quot;"


async def test_assigned_me_means_the_linked_sentry_user(
    bot: SlackDriver, slack: FakeSlack, sentry_mock: SentryMock
) -> None:
    # With an integration token Sentry's `me` is the integration, which owns nothing.
    slack.add_user("U1", email="ann@acme.io", name="ann")
    sentry_mock.members([f.member(1, "ann@acme.io", teams=["core", "pay"])])
    route = sentry_mock.issues([f.issue(1)])
    await bot.command(
        "issues assigned:me is:unresolved !bookmarks:me assigned_or_suggested:[me, none]"
    )
    [resp] = await slack.wait_for("response")
    assert resp.get("blocks"), resp
    assert route.calls.last.request.url.params["query"] == (
        "assigned:ann@acme.io is:unresolved !bookmarks:ann@acme.io "
        "assigned_or_suggested:[ann@acme.io, none]"
    )
    await bot.command("issues assigned:my_teams")
    await slack.wait_for("response", 2)
    assert route.calls.last.request.url.params["query"] == "assigned:[#core, #pay]"
    await bot.command("issues message:me assigned:someone")  # nothing to translate
    await slack.wait_for("response", 3)
    assert route.calls.last.request.url.params["query"] == "message:me assigned:someone"


async def test_assigned_me_without_a_link_says_how_to_link(
    bot: SlackDriver, slack: FakeSlack, sentry_mock: SentryMock
) -> None:
    slack.add_user("U1", email="nobody@else.io", name="x")
    sentry_mock.members([f.member(1, "ann@acme.io")])
    route = sentry_mock.issues([])
    await bot.command("issues assigned:me")
    [resp] = await slack.wait_for("response")
    assert resp["text"].startswith(
        "`assigned:me` means you in Sentry, and your Slack account is not linked to a Sentry "
        "account: No member of the Sentry organization `acme` has the email nobody@else.io."
    )
    assert "/dexter link" in resp["text"]
    await bot.command("issues assigned:[me, {x}]")  # braces in the term are just text
    [_, resp] = await slack.wait_for("response", 2)
    assert resp["text"].startswith("`assigned:[me, {x}]` means you in Sentry")
    assert not route.called

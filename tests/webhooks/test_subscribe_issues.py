"""`/dexter subscribe issues`: a card for each new issue Sentry reports (and its search finds)."""

from __future__ import annotations

import pytest

from bot.core.errors import UserError
from bot.deps import Deps
from bot.webhooks.issue_subs import IssueSubscriptions, parse_subscribe_issues
from handlers.releases.subs import NOT_ALLOWED, OWNER
from tests import factories as f
from tests import webhook_payloads as hooks
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.release_helpers import text_of
from tests.sentry_org import SentryOrg
from tests.webhooks.conftest import Send


def test_parse() -> None:
    assert parse_subscribe_issues("project:backend") == ("backend", None)
    assert parse_subscribe_issues("project:Backend query:level:error is:unresolved") == (
        "backend",
        "level:error is:unresolved",
    )
    assert parse_subscribe_issues('project:backend query:"title:\\"a b\\""') == (
        "backend",
        'title:\\"a b\\"',
    )
    for bad in ("", "query:level:error", "project:", "project:a project:b", "project:x query:"):
        with pytest.raises(UserError):
            parse_subscribe_issues(bad)


def card_posts(slack: FakeSlack) -> list[tuple[str, str]]:
    """(channel, fallback text) of every card posted (not thread replies)."""
    return [
        (c.args["channel"], c.args["text"])
        for c in slack.of("chat.postMessage")
        if not c.args.get("thread_ts")
    ]


async def test_a_new_issue_is_posted_where_subscribed(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, deliver: Send, deps: Deps
) -> None:
    await bot.command("subscribe issues project:backend", channel="C5")
    [resp] = await slack.wait_for("response")
    assert resp["response_type"] == "in_channel"
    assert "subscribed this channel to new issues of `backend` (subscription `i1`)" in resp["text"]
    org.add(2, title="KeyError: 'cart'")
    assert (
        await deliver(hooks.issue("created", 2, title="KeyError: 'cart'"), "issue")
    ).status == 200
    await bot.idle()
    assert card_posts(slack) == [("C5", "BACKEND-2: KeyError: 'cart'")]
    # the card is remembered: later changes refresh it
    assert [r.channel for r in await deps.triage.cards.cards("2")] == ["C5"]


async def test_another_projects_issue_is_not_posted(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, deliver: Send
) -> None:
    await bot.command("subscribe issues project:payments", channel="C5")
    await slack.wait_for("response")
    org.add(2)
    await deliver(hooks.issue("created", 2), "issue")
    await bot.idle()
    assert card_posts(slack) == []


async def test_sentry_decides_whether_the_search_matches(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, deliver: Send
) -> None:
    await bot.command("subscribe issues project:backend query:level:error", channel="C5")
    await bot.command("subscribe issues project:backend query:level:warning", channel="C6")
    await slack.wait_for("response", 2)
    await bot.idle()
    org.add(2)  # level error
    await deliver(hooks.issue("created", 2), "issue")
    await bot.idle()
    assert [c for c, _ in card_posts(slack)] == ["C5"]
    searches = [
        c.request.url.params["query"]
        for c in org.router.calls
        if c.request.method == "GET" and c.request.url.path.endswith("/organizations/acme/issues/")
    ]
    assert sorted(searches) == ["level:error issue.id:2", "level:warning issue.id:2"]


async def test_list_and_unsubscribe_with_the_release_rules(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, deps: Deps
) -> None:
    slack.add_user("U2", email="bo@acme.com")
    await bot.command("subscribe issues project:backend query:is:unresolved", channel="C5")
    await slack.wait_for("response", 1)
    await bot.command("subscriptions", channel="C5")
    resps = await slack.wait_for("response", 2)
    text = text_of(resps[1]["blocks"])
    assert "• `i1` new issues of `backend` matching `is:unresolved`" in text
    await bot.command("unsubscribe i1", channel="C5", user="U2")
    resps = await slack.wait_for("response", 3)
    assert resps[2]["text"] == NOT_ALLOWED.format(id="i1", owner=OWNER.format(user="U1"))
    await bot.command("unsubscribe i1", channel="C5")
    resps = await slack.wait_for("response", 4)
    assert resps[3]["text"].startswith("Removed subscription `i1`")
    assert await IssueSubscriptions(deps.store).all() == []


async def test_the_payload_is_a_hint_sentry_names_the_project(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, deliver: Send
) -> None:
    await bot.command("subscribe issues project:backend", channel="C5")
    await slack.wait_for("response")
    org.add(3, proj=f.project(3, "payments"))  # Sentry: payments
    await deliver(hooks.issue("created", 3), "issue")  # the payload claims backend
    await bot.idle()
    assert card_posts(slack) == []


async def test_one_card_per_channel_however_many_subscriptions_match(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, deliver: Send
) -> None:
    await bot.command("subscribe issues project:backend", channel="C5")
    await bot.command("subscribe issues project:backend query:level:error", channel="C5")
    await slack.wait_for("response", 2)
    await bot.idle()
    org.add(2)
    await deliver(hooks.issue("created", 2), "issue")
    await bot.idle()
    assert [c for c, _ in card_posts(slack)] == ["C5"]


async def test_the_confirmation_mentions_its_user_and_shows_the_search_as_typed(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    await bot.command("subscribe issues project:backend query:times_seen:>100", channel="C5")
    [resp] = await slack.wait_for("response")
    assert resp["text"].startswith("<@U1> subscribed this channel")  # a mention, once escaped
    assert "`backend matching times_seen:&gt;100`" in resp["text"]  # shown as typed: `>`
    await bot.command("subscribe issues project:backend query:times_seen:>100", channel="C5")
    [_, again] = await slack.wait_for("response", 2)
    assert "already subscribed" in again["text"]
    assert "times_seen:&gt;100" in again["text"] and "&amp;" not in again["text"]

"""End to end: `/dexter subscribe releases`, `subscriptions`, `unsubscribe`."""

from __future__ import annotations

import respx

from bot.deps import Deps
from bot.releases.subscriptions import SubscriptionStore
from handlers.releases.subs import NOT_ALLOWED, OWNER
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.release_helpers import mock_projects, text_of


async def test_subscribe_list_unsubscribe(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    mock_projects(sentry)
    await bot.command("subscribe releases project:backend env:production", channel="C5")
    [resp] = await slack.wait_for("response")
    assert resp["response_type"] == "in_channel"
    assert resp["text"].startswith(
        "<@U1> subscribed this channel to new releases and deploys of `backend in production` "
        "(subscription `r1`)"
    )
    await bot.command("subscribe releases project:backend env:production", channel="C5")
    await bot.command("subscribe releases project:frontend", channel="C6")
    resps = await slack.wait_for("response", 3)
    assert resps[1]["text"] == (
        "This channel is already subscribed to `backend in production` (subscription `r1`)."
    )
    await bot.command("subscriptions", channel="C5")
    resps = await slack.wait_for("response", 4)
    text = text_of(resps[3]["blocks"])
    assert "• `r1` releases and deploys of `backend` (deploys to `production` only)" in text
    assert "frontend" not in text  # another channel's subscription
    await bot.command("unsubscribe r2", channel="C5")
    resps = await slack.wait_for("response", 5)
    assert resps[4]["text"].startswith("This channel has no subscription `r2`.")
    await bot.command("unsubscribe r1", channel="C5")
    resps = await slack.wait_for("response", 6)
    assert (
        resps[5]["text"] == "Removed subscription `r1` (`backend in production`) from this channel."
    )
    remaining = await SubscriptionStore(deps.store).all()
    assert [(s.id, s.channel, s.project) for s in remaining] == [("r2", "C6", "frontend")]


async def test_subscribe_unknown_project_and_usage(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    mock_projects(sentry)
    # each answer before the next command: answers to separate commands come in any order
    await bot.command("subscribe releases project:backnd")
    await slack.wait_for("response", 1)
    await bot.command("subscribe releases")
    await slack.wait_for("response", 2)
    await bot.command("subscriptions")
    resps = await slack.wait_for("response", 3)
    assert (
        resps[0]["text"]
        == "There is no project `backnd` in this organization. Did you mean `backend`?"
    )
    assert resps[1]["text"] == (
        "Subscribe to one project at a time.\n"
        "Usage: `/dexter subscribe releases project:&lt;slug&gt; [env:&lt;name&gt;]`"
    )
    assert "None yet." in text_of(resps[2]["blocks"])


async def test_only_the_subscriber_the_channel_manager_or_an_admin_may_unsubscribe(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    # The same rule as digests (bot/slack/channel_rights.py); no Sentry link is involved.
    mock_projects(sentry)
    slack.add_user("U2", email="bo@acme.com")  # unlinked, no admin, did not subscribe
    slack.add_user("U3", email="cy@acme.com")
    slack.add_user("U4", email="di@acme.com", admin=True)
    # one at a time: separate commands are separate jobs, and ids follow the order they ran in
    for n, project in enumerate(("backend", "frontend", "backend env:staging"), start=1):
        await bot.command(f"subscribe releases project:{project}", channel="C5")
        await slack.wait_for("response", n)
    subs = SubscriptionStore(deps.store)

    await bot.command("unsubscribe r1", channel="C5", user="U2")
    [*_, refused] = await slack.wait_for("response", 4)
    assert refused["text"] == NOT_ALLOWED.format(id="r1", owner=OWNER.format(user="U1"))
    assert [s.id for s in await subs.all()] == ["r1", "r2", "r3"]

    slack.on("conversations.info", {"ok": True, "channel": {"id": "C5", "creator": "U3"}})
    await bot.command("unsubscribe r1", channel="C5", user="U3")  # the channel's manager
    await bot.command("unsubscribe r2", channel="C5", user="U4")  # a workspace admin
    await bot.command("unsubscribe r3", channel="C5")  # who subscribed it
    answers = await slack.wait_for("response", 7)
    # separate commands are separate jobs: their answers may arrive in any order
    assert sorted(a["text"].split(" (")[0] for a in answers[4:]) == [
        "Removed subscription `r1`",
        "Removed subscription `r2`",
        "Removed subscription `r3`",
    ]
    assert await subs.all() == []

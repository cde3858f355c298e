"""`/dexter digest …` end to end: CRUD, permissions, send, preview and the manage buttons."""

from __future__ import annotations

from typing import Any

import respx

from bot.deps import Deps
from bot.digests import messages as msg
from tests.digest_sentry import DashboardSentry
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver


async def command(bot: SlackDriver, slack: FakeSlack, text: str, **kw: Any) -> dict[str, Any]:
    before = len(slack.responses)
    await bot.command(text, **kw)
    got = await slack.wait_for("response", before + 1)
    return got[before]


async def test_subscribe_defaults_to_this_channel_daily_at_nine_in_my_zone(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    DashboardSentry().install(sentry)
    slack.add_user("U1", email="ana@acme.com", tz="Europe/Berlin")
    resp = await command(bot, slack, "digest subscribe team:core")
    assert resp["response_type"] == "ephemeral"
    assert (
        "Subscribed <#C1> to a digest of *team:core*, daily at 09:00 (Europe/Berlin)"
        in resp["text"]
    )
    [sub] = await deps.digests.store.all()
    assert (sub.channel_id, sub.owner_id, sub.team_id) == ("C1", "U1", "T1")
    assert f"(id `{sub.id}`" in resp["text"]


async def test_subscribe_another_channel_with_a_schedule(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    DashboardSentry().install(sentry)
    resp = await command(
        bot,
        slack,
        "digest subscribe <#C2|ops> project:backend,web weekly fri at 17:30 tz America/New_York",
    )
    assert "weekly on Friday at 17:30 (America/New_York)" in resp["text"]
    [sub] = await deps.digests.store.all()
    assert sub.channel_id == "C2" and sub.target.projects == ("backend", "web")


async def test_subscribe_refuses_bad_input_with_usage(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    DashboardSentry().install(sentry)
    resp = await command(bot, slack, "digest subscribe team:core every 5h")
    assert (
        "does not divide a day" in resp["text"]
        and "Usage: `/dexter digest subscribe" in resp["text"]
    )
    resp = await command(bot, slack, "digest subscribe team:nope")
    assert "There is no team `nope`" in resp["text"]
    resp = await command(bot, slack, "digest subscribe query:slow")
    assert resp["text"].startswith("No saved query `slow`.")
    slack.on("conversations.info", {"ok": True, "channel": {"id": "C1", "is_archived": True}})
    resp = await command(bot, slack, "digest subscribe team:core")
    assert resp["text"] == msg.CHANNEL_ARCHIVED.format(channel="C1")
    assert await deps.digests.store.all() == []


async def test_list_shows_this_channel_and_mine_with_buttons(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    DashboardSentry().install(sentry)
    await command(bot, slack, "digest subscribe team:core")
    await command(bot, slack, "digest subscribe <#C2|ops> team:mobile weekdays")
    resp = await command(bot, slack, "digest list")
    text = str(resp["blocks"])
    assert (
        "*Digests in this channel* (1)" in text and "*Your digests in other channels* (1)" in text
    )
    actions = [b for b in resp["blocks"] if b["type"] == "actions"]
    assert [e["action_id"] for e in actions[0]["elements"]] == ["digest_send", "digest_unsubscribe"]


async def test_only_owner_channel_manager_or_admin_may_unsubscribe(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    DashboardSentry().install(sentry)
    slack.add_user("U2", email="bo@acme.com")
    slack.add_user("U3", email="cy@acme.com")
    slack.add_user("U4", email="di@acme.com", admin=True)
    store = deps.digests.store
    ids = []
    for target in ("team:core", "team:mobile", "project:web"):
        await command(bot, slack, f"digest subscribe {target}")
    ids = [s.id for s in await store.all()]
    resp = await command(bot, slack, f"digest unsubscribe {ids[0]}", user="U2")
    assert resp["text"] == msg.NOT_ALLOWED.format(owner="U1", id=ids[0])
    slack.on("conversations.info", {"ok": True, "channel": {"id": "C1", "creator": "U3"}})
    resp = await command(bot, slack, f"digest unsubscribe {ids[0]}", user="U3")
    assert resp["text"].startswith(f"Unsubscribed digest `{ids[0]}`")
    resp = await command(bot, slack, f"digest unsubscribe {ids[1]}", user="U4")
    assert resp["text"].startswith(f"Unsubscribed digest `{ids[1]}`")
    resp = await command(bot, slack, f"digest unsubscribe {ids[2]}")
    assert resp["text"].startswith(f"Unsubscribed digest `{ids[2]}`")
    resp = await command(bot, slack, "digest unsubscribe ffffff")
    assert resp["text"] == msg.NO_SUCH_DIGEST.format(id="ffffff")
    assert await store.all() == []


async def test_send_posts_now_with_the_chart_in_the_thread(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    DashboardSentry().install(sentry)
    await command(bot, slack, "digest subscribe team:core")
    [sub] = await deps.digests.store.all()
    resp = await command(bot, slack, f"digest send {sub.id}")
    assert resp["text"] == msg.SENT.format(id=sub.id, channel="C1")
    [post] = slack.of("chat.postMessage")
    assert post.args["channel"] == "C1"
    assert post.args["blocks"][0]["text"]["text"] == "Digest · #core"
    [done] = await slack.wait_for("files.completeUploadExternal")
    assert done.args["channel_id"] == "C1" and done.args["thread_ts"] == post_ts(slack)
    assert next(iter(slack.uploads.values())).startswith(b"\x89PNG")
    state = await deps.digests.store.state(sub.id)
    assert state.last_status == "sent" and state.period_end is not None


def post_ts(slack: FakeSlack) -> str:
    return "1700000000.000001"


async def test_preview_is_ephemeral_and_now(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    DashboardSentry().install(sentry)
    resp = await command(bot, slack, "digest preview team:core weekly")
    assert resp["response_type"] == "ephemeral"
    assert "preview, only you can see it" in str(resp["blocks"][1])
    assert "*Events*" in str(resp["blocks"])
    assert slack.of("chat.postMessage") == []


async def test_manage_buttons_from_a_message(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    DashboardSentry().install(sentry)
    await command(bot, slack, "digest subscribe team:core")
    [sub] = await deps.digests.store.all()
    before = len(slack.responses)
    await bot.action("digest_unsubscribe", value=sub.id, user="U9")
    [resp] = (await slack.wait_for("response", before + 1))[before:]
    assert resp["text"] == msg.NOT_ALLOWED.format(owner="U1", id=sub.id)
    await bot.action("digest_unsubscribe", value=sub.id)
    [resp] = (await slack.wait_for("response", before + 2))[before + 1 :]
    assert resp["text"].startswith(f"Unsubscribed digest `{sub.id}`")
    assert resp["response_type"] == "ephemeral" and resp["replace_original"] is False


async def test_digest_alone_lists_the_digest_commands(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    resp = await command(bot, slack, "digest")
    # mrkdwn: the usage's `<id>` is escaped, or Slack would read it as a link
    assert "`/dexter digest list`" in resp["text"]
    assert "`/dexter digest send &lt;id&gt;`" in resp["text"]


async def test_a_saved_discover_query_is_a_digest_section(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, deps: Deps
) -> None:
    DashboardSentry().install(sentry)
    saved = await command(bot, slack, "discover save errs count(), count_unique(user) last 24h")
    assert "Saved `errs`" in saved["text"]
    resp = await command(bot, slack, "digest subscribe team:core query:errs")
    assert "Subscribed" in resp["text"] or "subscribed" in resp["text"], resp["text"]
    preview = await command(bot, slack, "digest preview team:core query:errs")
    text = str(preview["blocks"])
    assert "errs" in text and "count_unique(user)" in text and "100" in text

"""Comments both ways: Sentry's mirrored in card threads; Slack's posted to Sentry, never echoed."""

from __future__ import annotations

from typing import Any

from bot.core.ids import Action, BlockId, Callback
from bot.deps import Deps
from bot.slack.incoming import mentioned_users, typed_text
from handlers.comments import COMMENT_NEEDS_LINK
from tests import webhook_payloads as hooks
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.sentry_org import SentryOrg
from tests.webhooks.conftest import Comments, Send
from tests.webhooks.test_issue_sync import post_card


def replies(slack: FakeSlack) -> list[dict[str, Any]]:
    return [c.args for c in slack.of("chat.postMessage") if c.args.get("thread_ts")]


async def test_a_sentry_comment_is_mirrored_escaped_edited_and_deleted(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, deliver: Send
) -> None:
    card = await post_card(bot, slack, "C1")
    other = await post_card(bot, slack, "C2")
    text = "Deploying a fix <!channel> see <https://evil.example|sentry.io> & more"
    await deliver(hooks.comment("created", 501, text=text), "comment")
    await bot.idle()
    mirrored = replies(slack)
    assert {(r["channel"], r["thread_ts"]) for r in mirrored} == {
        (card["channel"], card["ts"]),
        (other["channel"], other["ts"]),
    }
    shown = mirrored[0]["text"]
    assert shown.startswith(":speech_balloon: *Ann Example* commented in Sentry:\n")
    assert "&lt;!channel&gt;" in shown and "<!channel>" not in shown
    assert "&lt;https://evil.example|sentry.io&gt; &amp; more" in shown
    posted_ts = {f"1700000000.{n:06d}" for n in (3, 4)}  # the two replies

    await deliver(hooks.comment("updated", 501, text="Fixed in 1.5.3"), "comment")
    await bot.idle()
    edits = slack.of("chat.update")
    assert {e.args["ts"] for e in edits} == posted_ts
    assert all("(edited):\nFixed in 1.5.3" in e.args["text"] for e in edits)

    await deliver(hooks.comment("deleted", 501), "comment")
    await bot.idle()
    assert {d.args["ts"] for d in slack.of("chat.delete")} == posted_ts


async def test_the_comment_button_posts_to_sentry_and_is_not_echoed(
    bot: SlackDriver,
    slack: FakeSlack,
    org: SentryOrg,
    comments: Comments,
    deliver: Send,
    deps: Deps,
) -> None:
    card = await post_card(bot, slack, "C1")
    await bot.action(
        Action.ISSUE_COMMENT, value="1", channel="C1", message_ts=card["ts"], block_id="x"
    )
    [opened] = await slack.wait_for("views.open")
    view = opened.args["view"]
    assert view["callback_id"] == Callback.ISSUE_COMMENT
    await bot.view_submission(
        Callback.ISSUE_COMMENT,
        {BlockId.COMMENT_TEXT: {"value": {"type": "plain_text_input", "value": "On it <!here>"}}},
        private_metadata=view["private_metadata"],
    )
    await bot.idle()
    assert comments.posted == [("1", "On it <!here>\n\n— ann, from Slack")]
    [reply] = replies(slack)
    assert reply["thread_ts"] == card["ts"]
    assert reply["text"] == ":speech_balloon: *ann* commented on the issue:\nOn it &lt;!here&gt;"
    # Sentry's webhook for that very comment (id 9001) is not mirrored back
    await deliver(hooks.comment("created", 9001, text=comments.posted[0][1]), "comment")
    await bot.idle()
    assert len(replies(slack)) == 1
    await deps.store.redis.delete(
        *[
            k
            async for k in deps.store.redis.scan_iter(
                match=deps.store.key("sentry", "*", "comment-ours", "*")
            )
        ]
    )
    # … nor when its webhook outruns Sentry's answer to Dexter (recognised by its text)
    await deliver(hooks.comment("created", 9001, text=comments.posted[0][1]), "comment")
    await bot.idle()
    assert len(replies(slack)) == 1
    # a person's comment in Sentry is mirrored as usual
    await deliver(hooks.comment("created", 9002, text="Thanks"), "comment")
    await bot.idle()
    assert len(replies(slack)) == 2


async def test_a_forged_form_posts_nothing(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, comments: Comments
) -> None:
    await post_card(bot, slack, "C1")
    metadata = '{"issue_id": "1", "channel": "C1", "ts": "1"}'
    await bot.view_submission(
        Callback.ISSUE_COMMENT,
        {BlockId.COMMENT_TEXT: {"value": {"type": "plain_text_input", "value": "hi"}}},
        private_metadata=metadata,
    )
    await bot.idle()
    assert comments.posted == []


def thread_reply(card: dict[str, Any], text: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "channel": card["channel"],
        "user": "U1",
        "text": text,
        "ts": "1700000100.000001",
        "thread_ts": card["ts"],
        **extra,
    }


async def test_thread_replies_reach_sentry_only_where_the_channel_opted_in(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, comments: Comments
) -> None:
    card = await post_card(bot, slack, "C1")
    await bot.event(thread_reply(card, "before opting in"))
    await bot.idle()
    assert comments.posted == []

    slack.on("conversations.info", {"ok": True, "channel": {"id": "C1", "creator": "U1"}})
    await bot.command("comments on", channel="C1")
    await bot.idle()
    await bot.event(thread_reply(card, "Rolled back the deploy"))
    await bot.event(thread_reply(card, "a bot's reply", bot_id="BBOT"))  # e.g. a mirror
    await bot.event(thread_reply(card, "edited", subtype="message_changed"))
    await bot.event(thread_reply({"channel": "C1", "ts": "1699999999.000001"}, "not a card"))
    await bot.idle()
    assert comments.posted == [("1", "Rolled back the deploy\n\n— ann, from Slack")]

    await bot.command("comments off", channel="C1")
    await bot.idle()
    await bot.event(thread_reply(card, "after opting out"))
    await bot.idle()
    assert len(comments.posted) == 1


async def test_only_a_channel_manager_or_admin_turns_comments_on(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, deps: Deps
) -> None:
    slack.on("conversations.info", {"ok": True, "channel": {"id": "C1", "creator": "U3"}})
    await bot.command("comments on", channel="C1", user="U2")
    [refused] = await slack.wait_for("response")
    assert "Only the channel's manager or a workspace admin" in refused["text"]
    from bot.webhooks.comments import opted_in

    assert await opted_in(deps.store, "T1", "C1") is None


async def test_someone_sentry_does_not_know_cannot_comment(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, comments: Comments
) -> None:
    card = await post_card(bot, slack, "C1")
    slack.on("conversations.info", {"ok": True, "channel": {"id": "C1", "creator": "U1"}})
    await bot.command("comments on", channel="C1")
    await bot.idle()
    await bot.event(thread_reply(card, "hello", user="U9"))
    await bot.idle()
    assert comments.posted == []
    [told] = slack.of("chat.postEphemeral")
    assert (told.args["user"], told.args["text"]) == ("U9", COMMENT_NEEDS_LINK)


async def test_plain_channel_messages_are_acknowledged_without_a_job(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, deps: Deps
) -> None:
    assert deps.pipeline is not None
    before = (await deps.pipeline.queue.stats()).get("done:event", 0)
    top = {"type": "message", "channel": "C1", "user": "U1", "text": "hi", "ts": "1.000001"}
    mine = top | {"thread_ts": "1.000000", "bot_id": "BBOT"}
    for event in (top, mine, top | {"subtype": "channel_join"}):
        reply = await bot.event(event)
        assert reply.status == 200
    await bot.idle()
    assert (await deps.pipeline.queue.stats()).get("done:event", 0) == before
    # a person's reply in a thread is work (even where it then turns out not to be a card's)
    await bot.event(top | {"thread_ts": "1.000000", "ts": "1.000002"})
    await bot.idle()
    assert (await deps.pipeline.queue.stats()).get("done:event", 0) == before + 1


async def test_a_thread_reply_reaches_sentry_as_its_author_typed_it(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, comments: Comments
) -> None:
    card = await post_card(bot, slack, "C1")
    slack.on("conversations.info", {"ok": True, "channel": {"id": "C1", "creator": "U1"}})
    await bot.command("comments on", channel="C1")
    await bot.idle()
    # Slack's wire form of: p95 < 200ms & rising, ask @bob in #ops, see https://x.io (docs)
    wire = (
        "p95 &lt; 200ms &amp; rising, ask <@U2> in <#C9|ops>, "
        "see <https://x.io/a?b=1&amp;c=2|docs> <!here>"
    )
    await bot.event(thread_reply(card, wire))
    await bot.idle()
    typed = "p95 < 200ms & rising, ask @bob in #ops, see docs (https://x.io/a?b=1&c=2) @here"
    assert comments.posted == [("1", typed + "\n\n— ann, from Slack")]


def test_typed_text_reads_every_slack_token() -> None:
    names = {"U2": "bob"}
    assert typed_text("<@U2|robert> <@U7>", names) == "@bob @U7"
    assert typed_text("<mailto:a@b.io|a@b.io> <!date^1^{date}|Nov 1>", names) == "a@b.io Nov 1"
    assert typed_text("<https://x.io> &amp;lt;", names) == "https://x.io &lt;"
    assert mentioned_users("<@U2> <@U2|b> <@W3>") == ["U2", "W3"]

"""Buttons and menus on issue cards, digest rows and list rows, end to end."""

from __future__ import annotations

import json
import time
from typing import Any

from httpx import Response

from bot.core import messages
from bot.core.ids import Action
from bot.sentry.models import Issue
from bot.triage.card_controls import assign_block_id
from tests.card_controls import row_actions
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.sentry_org import SentryOrg, release


async def post_card(
    bot: SlackDriver, slack: FakeSlack, ref: str = "1", channel: str = "C1"
) -> dict[str, Any]:
    """`/dexter issue` → the posted message (channel, ts, blocks)."""
    before = len(slack.of("chat.postMessage"))
    await bot.command(f"issue {ref}", channel=channel)
    calls = await slack.wait_for("chat.postMessage", before + 1)
    args = calls[-1].args
    ts = f"1700000000.{before + 1:06d}"
    return {"channel": args["channel"], "ts": ts, "blocks": args["blocks"]}


def element(blocks: list[dict[str, Any]], action_id: str) -> dict[str, Any]:
    for block in blocks:
        for el in block.get("elements") or []:
            if el.get("action_id") == action_id:
                return dict(el)
    raise AssertionError(f"no {action_id} on the card")


def option(el: dict[str, Any], value_prefix: str) -> dict[str, Any]:
    return next(o for o in el["options"] if o["value"].startswith(value_prefix))


def fields_text(blocks: list[dict[str, Any]]) -> str:
    fields = next(b for b in blocks if b.get("block_id") == "issue_fields")["fields"]
    return "\n".join(f["text"] for f in fields)


def context_text(blocks: list[dict[str, Any]]) -> str:
    return "\n".join(
        e.get("text", "") for b in blocks if b["type"] == "context" for e in b["elements"]
    )


async def click(
    bot: SlackDriver, card: dict[str, Any], action_id: str, *, prefix: str | None = None, **kw: Any
) -> None:
    el = element(card["blocks"], action_id)
    kwargs: dict[str, Any] = {
        "channel": card["channel"],
        "message_ts": card["ts"],
        "blocks": card["blocks"],
        "block_id": "issue_actions",
    }
    if prefix is not None:
        kwargs["selected_option"] = option(el, prefix)
    else:
        kwargs["value"] = el["value"]
    kwargs.update(kw)
    reply = await bot.action(action_id, **kwargs)
    assert reply.status == 200


async def test_card_shows_every_control(bot: SlackDriver, slack: FakeSlack, org: SentryOrg) -> None:
    org.releases = [release("backend@1.5.2")]
    card = await post_card(bot, slack)
    resolve = element(card["blocks"], Action.ISSUE_RESOLVE)
    assert [o["value"] for o in resolve["options"]] == ["now|1", "next|1", "current|1"]
    ignore = element(card["blocks"], Action.ISSUE_IGNORE)
    assert "for:60|1" in [o["value"] for o in ignore["options"]]
    assert element(card["blocks"], Action.ISSUE_ASSIGN)["type"] == "external_select"
    assert element(card["blocks"], Action.ISSUE_ASSIGN_ME)["value"] == "1"
    assert element(card["blocks"], Action.ISSUE_REFRESH)["value"] == "1"


async def test_resolve_from_the_card_updates_it_in_place(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    card = await post_card(bot, slack)
    await click(bot, card, Action.ISSUE_RESOLVE, prefix="now|")
    [update] = await slack.wait_for("chat.update")
    assert org.puts == [(["1"], {"status": "resolved", "statusDetails": {}})]
    assert (update.args["channel"], update.args["ts"]) == (card["channel"], card["ts"])
    blocks = update.args["blocks"]
    assert "*Status*\nresolved" in fields_text(blocks)
    assert element(blocks, Action.ISSUE_UNRESOLVE)["text"]["text"] == "Unresolve"
    assert "Resolved by <@U1> · just now" in context_text(blocks)
    assert slack.responses == []  # the card itself is the answer


async def test_every_card_of_the_issue_is_refreshed(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    first = await post_card(bot, slack, channel="C1")
    second = await post_card(bot, slack, channel="C2")
    await click(bot, first, Action.ISSUE_IGNORE, prefix="for:60|")
    updates = await slack.wait_for("chat.update", 2)
    assert {(u.args["channel"], u.args["ts"]) for u in updates} == {
        (first["channel"], first["ts"]),
        (second["channel"], second["ts"]),
    }
    assert org.puts == [
        (
            ["1"],
            {
                "status": "ignored",
                "substatus": "archived_until_condition_met",
                "statusDetails": {"ignoreDuration": 60},
            },
        )
    ]
    text = context_text(updates[-1].args["blocks"])
    assert "Ignored for 1 hour by <@U1>" in text
    assert element(updates[-1].args["blocks"], Action.ISSUE_UNRESOLVE)["text"]["text"] == "Unignore"


async def test_assign_me_and_the_assign_menu(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    card = await post_card(bot, slack)
    await click(bot, card, Action.ISSUE_ASSIGN_ME)
    [update] = await slack.wait_for("chat.update")
    assert "*Assignee*\nAnn Example" in fields_text(update.args["blocks"])
    picked = {"text": {"type": "plain_text", "text": "#core"}, "value": "team:10"}
    await bot.action(
        Action.ISSUE_ASSIGN,
        selected_option=picked,
        channel=card["channel"],
        message_ts=card["ts"],
        blocks=card["blocks"],
        block_id="issue_actions",
    )
    updates = await slack.wait_for("chat.update", 2)
    assert [p[1] for p in org.puts] == [{"assignedTo": "user:100"}, {"assignedTo": "team:10"}]
    assert "Assigned to #core by <@U1>" in context_text(updates[-1].args["blocks"])


async def test_refresh_rereads_sentry_without_changing_it(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    card = await post_card(bot, slack)
    org.issues["1"]["status"] = "resolved"  # someone resolved it in Sentry itself
    await click(bot, card, Action.ISSUE_REFRESH)
    [update] = await slack.wait_for("chat.update")
    assert org.puts == []
    assert "*Status*\nresolved" in fields_text(update.args["blocks"])


async def test_double_click_and_redelivery_change_sentry_once(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    card = await post_card(bot, slack)
    # a double click: two interactions within a second
    await click(bot, card, Action.ISSUE_ASSIGN_ME)
    await click(bot, card, Action.ISSUE_ASSIGN_ME)
    await slack.wait_for("chat.update")  # (separate clicks' jobs finish in any order)
    # a redelivery: the very same payload twice (retry, or two replicas)
    el = element(card["blocks"], Action.ISSUE_RESOLVE)
    payload = {
        "type": "block_actions",
        "user": {"id": "U1", "team_id": "T1"},
        "team": {"id": "T1"},
        "container": {"type": "message", "message_ts": card["ts"], "channel_id": "C1"},
        "channel": {"id": "C1"},
        "message": {"ts": card["ts"], "blocks": card["blocks"]},
        "response_url": slack.response_url("redelivered"),
        "actions": [
            {
                "action_id": Action.ISSUE_RESOLVE.value,
                "block_id": "issue_actions",
                "type": "static_select",
                "selected_option": option(el, "now|"),
                "action_ts": str(time.time()),
            }
        ],
    }
    await bot.interaction(payload)
    await bot.interaction(payload)
    await slack.wait_for("chat.update", 2)
    await bot.idle()  # a duplicate would have run by now
    assert [p[1] for p in org.puts] == [
        {"assignedTo": "user:100"},
        {"status": "resolved", "statusDetails": {}},
    ]


async def test_a_click_that_failed_can_be_retried_at_once(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    card = await post_card(bot, slack)
    org.put_fail = lambda iid: Response(503)  # Sentry is down for the first click
    await click(bot, card, Action.ISSUE_RESOLVE, prefix="now|")
    [failed] = await slack.wait_for("response")
    assert "Sentry" in failed["text"] and org.issues["1"]["status"] == "unresolved"
    org.put_fail = None
    await click(bot, card, Action.ISSUE_RESOLVE, prefix="now|")  # within the 3 s
    [update] = await slack.wait_for("chat.update")
    assert "*Status*\nresolved" in fields_text(update.args["blocks"])
    assert org.issues["1"]["status"] == "resolved"


async def test_digest_row_changes_the_issue_but_not_the_digest(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    """Digest rows use the row controls; the digest message is not replaced by a card."""
    issue = Issue.model_validate(org.issues["1"])
    digest = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Daily digest*"}},
        {"type": "actions", "block_id": assign_block_id("1"), "elements": row_actions(issue)},
    ]
    resolve = next(e for e in row_actions(issue) if e["action_id"] == Action.ISSUE_RESOLVE)
    await bot.action(
        Action.ISSUE_RESOLVE,
        selected_option=resolve["options"][0],
        blocks=digest,
        block_id=assign_block_id("1"),
        message_ts="1700000099.000001",
    )
    [reply] = await slack.wait_for("response")
    assert org.puts == [(["1"], {"status": "resolved", "statusDetails": {}})]
    assert reply["response_type"] == "ephemeral" and reply["replace_original"] is False
    assert reply["text"].startswith("Resolved: <https://acme.sentry.io/issues/1/|BACKEND-1>")
    assert slack.of("chat.update") == []
    # the assign select in a digest row carries the issue in its block id
    picked = {"text": {"type": "plain_text", "text": "Bob"}, "value": "user:200"}
    await bot.action(
        Action.ISSUE_ASSIGN, selected_option=picked, blocks=digest, block_id=assign_block_id("1")
    )
    await slack.wait_for("response", 2)
    assert org.puts[-1] == (["1"], {"assignedTo": "user:200"})


async def test_refused_click_says_why_and_changes_nothing(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    card = await post_card(bot, slack)
    await click(bot, card, Action.ISSUE_RESOLVE, prefix="now|", user="U2")
    await click(bot, card, Action.ISSUE_ASSIGN_ME, user="U9")
    replies = await slack.wait_for("response", 2)
    texts = sorted(r["text"] for r in replies)
    assert org.puts == []
    assert slack.of("chat.update") == []
    assert messages.DENY_TEAM.format(role="member", project="backend", teams="#core") in texts
    assert any(t.startswith("You need a linked Sentry account") for t in texts)
    assert all(r["response_type"] == "ephemeral" and not r["replace_original"] for r in replies)


async def test_release_option_without_releases_explains_and_fixes_the_menu(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    card = await post_card(bot, slack)
    await click(bot, card, Action.ISSUE_RESOLVE, prefix="next|")
    [reply] = await slack.wait_for("response")
    [update] = await slack.wait_for("chat.update")
    assert org.puts == []
    assert "`backend` has no releases in Sentry yet" in reply["text"]
    menu = element(update.args["blocks"], Action.ISSUE_RESOLVE)
    assert [o["value"] for o in menu["options"]] == ["now|1"]


async def test_list_row_menu(bot: SlackDriver, slack: FakeSlack, org: SentryOrg) -> None:
    await bot.command("issues")
    [listing] = await slack.wait_for("response")
    row = next(b for b in listing["blocks"] if b.get("accessory"))
    menu = row["accessory"]
    assert menu["action_id"] == Action.ISSUE_ROW_MENU
    assert [o["value"] for o in menu["options"]] == [
        "resolve|1",
        "ignore|1",
        "assign_me|1",
        "card|1",
    ]
    await bot.action(Action.ISSUE_ROW_MENU, selected_option=menu["options"][1], ephemeral=True)
    replies = await slack.wait_for("response", 2)
    assert replies[-1]["text"].startswith("Ignored until it escalates: ")
    await bot.action(Action.ISSUE_ROW_MENU, selected_option=menu["options"][3], ephemeral=True)
    [posted] = await slack.wait_for("chat.postMessage")
    assert posted.args["channel"] == "C1"
    assert "issue_fields" in json.dumps(posted.args["blocks"])


async def test_card_posted_for_a_changed_issue_shows_who_changed_it(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    await bot.command("resolve 1")
    await slack.wait_for("response")
    card = await post_card(bot, slack)
    # the card is posted with the line already: no second render and update
    assert "Resolved by <@U1>" in context_text(card["blocks"])
    await bot.idle()
    assert not slack.of("chat.update")

"""`/dexter resolve | unresolve | ignore | assign | unassign` end to end."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from typing import Any

import pytest

from bot.core import messages
from bot.core.format import escape
from bot.deps import Deps
from bot.triage.parse import ASSIGN_USAGE, IGNORE_USAGE, RESOLVE_USAGE
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.sentry_org import SentryOrg, release


async def last_reply(slack: FakeSlack, n: int = 1) -> dict[str, Any]:
    got = await slack.wait_for("response", n)
    return got[-1]


@pytest.mark.parametrize(
    ("words", "body"),
    [
        ("", {"status": "resolved", "statusDetails": {}}),
        (
            "in backend@2.0.0",
            {"status": "resolved", "statusDetails": {"inRelease": "backend@2.0.0"}},
        ),
        ("next", {"status": "resolved", "statusDetails": {"inNextRelease": True}}),
        ("in 1.5.2", {"status": "resolved", "statusDetails": {"inRelease": "backend@1.5.2"}}),
        ("current", {"status": "resolved", "statusDetails": {"inRelease": "latest"}}),
    ],
)
async def test_resolve(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, words: str, body: dict[str, Any]
) -> None:
    org.releases = [release("backend@1.5.2"), release("backend@2.0.0")]
    await bot.command(f"resolve BACKEND-1 {words}".strip())
    reply = await last_reply(slack)
    assert org.puts == [(["1"], body)]
    assert reply["response_type"] == "ephemeral"
    assert reply["text"].startswith("Resolved")
    assert "BACKEND-1" in reply["text"] and "ZeroDivisionError" in reply["text"]


@pytest.mark.parametrize(
    ("words", "says"),
    [
        ("in 9.9.9", messages.UNKNOWN_RELEASE.format(project="backend", version="9.9.9")),
        (
            "in payments@1.0",
            messages.UNKNOWN_RELEASE.format(project="backend", version="payments@1.0"),
        ),
        ("in 1.0", "`1.0` could be any of `backend@1.0`, `web@1.0` in `backend`"),
        ("current", "Resolved in `backend@2.0.0`"),  # the release Sentry picked, by its order
    ],
)
async def test_resolving_in_a_release_checks_it_exists_for_the_project(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, words: str, says: str
) -> None:
    org.releases = [
        release("backend@2.0.0"),
        release("backend@1.0"),
        release("web@1.0"),  # a monorepo project pair sharing the backend project here
        release("payments@1.0", project="3"),
    ]
    await bot.command(f"resolve 1 {words}")
    reply = await last_reply(slack)
    assert says in reply["text"]
    assert bool(org.puts) == says.startswith("Resolved")


@pytest.mark.parametrize("words", ["next", "current"])
async def test_release_resolution_needs_a_release(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, words: str
) -> None:
    await bot.command(f"resolve 1 {words}")
    reply = await last_reply(slack)
    assert org.puts == []
    assert "`backend` has no releases in Sentry yet" in reply["text"]


@pytest.mark.parametrize(
    ("words", "details", "substatus"),
    [
        ("", {}, "archived_until_escalating"),
        ("for 2h", {"ignoreDuration": 120}, "archived_until_condition_met"),
        (
            "until 100 events in 1h",
            {"ignoreCount": 100, "ignoreWindow": 60},
            "archived_until_condition_met",
        ),
        ("until 10 users", {"ignoreUserCount": 10}, "archived_until_condition_met"),
        ("forever", {}, "archived_forever"),
    ],
)
async def test_ignore(
    bot: SlackDriver,
    slack: FakeSlack,
    org: SentryOrg,
    words: str,
    details: dict[str, Any],
    substatus: str,
) -> None:
    await bot.command(f"ignore BACKEND-1 {words}".strip())
    reply = await last_reply(slack)
    assert org.puts == [
        (["1"], {"status": "ignored", "substatus": substatus, "statusDetails": details})
    ]
    assert reply["text"].startswith("Ignored")


async def test_archive_alias_and_unresolve(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    await bot.command("archive 1 for 1w")
    await last_reply(slack)
    assert org.issues["1"]["status"] == "ignored"
    await bot.command("unresolve 1")
    reply = await last_reply(slack, 2)
    assert org.puts[-1] == (
        ["1"],
        {"status": "unresolved", "substatus": "ongoing", "statusDetails": {}},
    )
    assert reply["text"].startswith("Unresolved")


@pytest.mark.parametrize(
    ("who", "assigned", "label"),
    [
        ("me", "user:100", "Ann Example"),
        ("<@U2|bob>", "user:200", "Bob Builder"),
        ("<@U3>", "user:300", "Carol Admin"),
        ("team:core", "team:10", "#core"),
        ("bob@acme.io", "user:200", "Bob Builder"),
        ("<mailto:bob@acme.io|bob@acme.io>", "user:200", "Bob Builder"),
        ("@bob", "user:200", "Bob Builder"),
    ],
)
async def test_assign(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, who: str, assigned: str, label: str
) -> None:
    await bot.command(f"assign BACKEND-1 {who}")
    reply = await last_reply(slack)
    assert org.puts == [(["1"], {"assignedTo": assigned})]
    assert reply["text"].startswith(f"Assigned to {label}")


async def test_unassign(bot: SlackDriver, slack: FakeSlack, org: SentryOrg) -> None:
    await bot.command("unassign 1")
    reply = await last_reply(slack)
    assert org.puts == [(["1"], {"assignedTo": ""})]
    assert reply["text"].startswith("Unassigned")


@pytest.mark.parametrize(
    ("text", "says", "usage"),
    [
        ("ignore 1 for 2 fortnights", "is not a duration", IGNORE_USAGE),
        ("ignore 1 until 5 cats", "events", IGNORE_USAGE),
        ("ignore", "Which issue?", IGNORE_USAGE),
        ("resolve NOPE-77", "No issue `NOPE-77` found", RESOLVE_USAGE),
        ("resolve 1 in 1.0 tomorrow", "don't understand", RESOLVE_USAGE),
        ("assign 1 team:nope", "no Sentry team `nope`", ASSIGN_USAGE),
        (
            "assign 1 zed@acme.io",
            "No member of the Sentry organization has the email",
            ASSIGN_USAGE,
        ),
        ("assign 1 <@U9|x>", "has no linked Sentry account", ASSIGN_USAGE),
        ("assign 1 @nobody-known", "I can't tell who", ASSIGN_USAGE),
        ("assign 1", "Assign to whom?", ASSIGN_USAGE),
    ],
)
async def test_bad_input_answers_with_usage(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, text: str, says: str, usage: str
) -> None:
    await bot.command(text)
    reply = await last_reply(slack)
    assert reply["response_type"] == "ephemeral"
    assert says in reply["text"]
    assert messages.USAGE.format(usage=escape(usage)) in reply["text"]
    assert org.puts == []


async def test_unlinked_user_is_told_why(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    await bot.command("resolve 1", user="U9")
    reply = await last_reply(slack)
    assert org.puts == []
    why = messages.LINK_NO_MEMBER.format(email="x@else.io", org="acme")
    # mrkdwn on the wire: the message's `<sentry-email>` arrives escaped
    assert reply["text"] == escape(messages.NOT_LINKED.format(why=why))


async def test_user_without_slack_email_is_told_why(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    await bot.command("resolve 1", user="U404")
    reply = await last_reply(slack)
    assert reply["text"] == escape(messages.NOT_LINKED.format(why=messages.LINK_NO_EMAIL))
    assert org.puts == []


async def test_member_outside_the_owning_team_is_refused(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    await bot.command("resolve 1", user="U2")  # bob is in #pay; backend belongs to #core
    reply = await last_reply(slack)
    assert org.puts == []
    assert reply["text"] == messages.DENY_TEAM.format(
        role="member", project="backend", teams="#core"
    )


async def test_admin_may_change_any_project(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    org.add(5, proj=org_payments())
    await bot.command("resolve 5", user="U3")
    await last_reply(slack)
    assert org.puts == [(["5"], {"status": "resolved", "statusDetails": {}})]


async def test_same_command_delivered_twice_changes_once(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    import json
    from urllib.parse import urlencode

    form = {
        "team_id": "T1",
        "channel_id": "C1",
        "user_id": "U1",
        "command": "/dexter",
        "text": "resolve 1",
        "response_url": slack.response_url("dup"),
        "trigger_id": "trigger-dup",
    }
    body = urlencode(form)
    await bot.post(body)
    await bot.post(body)
    await last_reply(slack)
    assert len(org.puts) == 1
    assert json.dumps(org.puts[0][1]) == json.dumps({"status": "resolved", "statusDetails": {}})


def org_payments() -> dict[str, Any]:
    from tests.sentry_org import PAYMENTS

    return PAYMENTS


async def test_every_change_is_logged_with_who_what_and_result(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.triage.service")
    await bot.command("ignore 1 for 30m")
    await last_reply(slack)
    await bot.command("resolve 1", user="U2")
    await last_reply(slack, 2)
    records = [r for r in caplog.records if r.name == "bot.triage.service"]
    done, refused = records
    assert (done.slack_user, done.sentry_member, done.issue, done.action, done.result) == (
        "U1",
        "1",
        "1",
        "ignore",
        "ok",
    )
    assert done.change == "Ignored for 30 minutes"
    assert (refused.slack_user, refused.sentry_member, refused.result[:8]) == (
        "U2",
        "2",
        "refused:",
    )


@pytest.mark.parametrize(
    ("mode", "allowed"), [("team", False), ("org-member", True), ("open", True)]
)
async def test_permission_modes(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, deps: Deps, mode: str, allowed: bool
) -> None:
    deps.policy.mode = mode
    await bot.command("resolve 1", user="U2")  # bob's teams do not own `backend`
    reply = await last_reply(slack)
    assert bool(org.puts) is allowed
    assert reply["text"].startswith("Resolved" if allowed else "Your Sentry role is member")


async def test_a_link_to_someone_who_left_the_org_is_refused(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, deps: Deps
) -> None:
    from bot.sentry.models import Member

    gone = Member(id="77", email="gone@acme.io", name="Gone", user={"id": "7700"})
    await deps.identity.save("T1", "U1", gone, method="admin", by="U3")
    await bot.command("resolve 1")
    reply = await last_reply(slack)
    assert reply["text"] == messages.DENY_NOT_MEMBER.format(email="gone@acme.io")
    assert org.puts == []


async def test_the_text_audit_line_says_who_made_the_change(
    text_logs: Callable[[str], io.StringIO], bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    out = text_logs("INFO")
    await bot.command("resolve 1", user="U1")
    await slack.wait_for("response")
    [line] = [x for x in out.getvalue().splitlines() if "issue change" in x]
    assert "issue change resolve on 1 by ann@acme.io (Slack U1 in T1): ok" in line

"""`/dexter bulk …`: preview → Confirm → batches of 100, with failures reported per issue."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from httpx import Response

from bot.core import messages
from bot.core.format import escape
from bot.core.ids import Action
from handlers.triage import bulk as bulk_handlers
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.sentry_org import PAYMENTS, SentryOrg, release


def many(
    org: SentryOrg, n: int, *, start: int = 101, level: str = "warning", **kw: Any
) -> list[str]:
    ids = []
    for iid in range(start, start + n):
        org.add(iid, level=level, title=f"Warning number {iid}", **kw)
        ids.append(str(iid))
    return ids


def texts(r: dict[str, Any]) -> str:
    out = [r.get("text") or ""]
    for b in r.get("blocks") or []:
        if isinstance(b.get("text"), dict):
            out.append(b["text"]["text"])
        out += [
            e.get("text", "") for e in b.get("elements") or [] if isinstance(e.get("text"), str)
        ]
    return "\n".join(out)


def button(r: dict[str, Any], action_id: str) -> dict[str, Any]:
    for b in r.get("blocks") or []:
        for el in b.get("elements") or []:
            if el.get("action_id") == action_id:
                return dict(el)
    raise AssertionError(f"no {action_id} button")


async def preview(
    bot: SlackDriver, slack: FakeSlack, text: str, user: str = "U1"
) -> dict[str, Any]:
    before = len(slack.responses)
    await bot.command(f"bulk {text}", user=user)
    got = await slack.wait_for("response", before + 2)  # "Working on it…", then the preview
    assert got[before]["text"] == messages.WORKING
    return got[before + 1]


async def confirm(
    bot: SlackDriver, slack: FakeSlack, token: str, user: str = "U1"
) -> list[dict[str, Any]]:
    rid_before = {r["_rid"] for r in slack.responses}
    await bot.action(Action.BULK_CONFIRM, value=token, user=user, ephemeral=True)

    async def final() -> list[dict[str, Any]]:
        while True:
            n = len(slack.responses)
            mine = [r for r in slack.responses[:n] if r["_rid"] not in rid_before]
            if mine and mine[-1].get("blocks"):
                return mine
            await slack.wait_for("response", n + 1)

    return await asyncio.wait_for(final(), 10)


async def test_preview_then_confirm_in_batches(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    ids = many(org, 250)
    shown = await preview(bot, slack, "ignore for 1w level:warning")
    text = texts(shown)
    assert (
        "This will *ignore for 1 week* 250 issues matching `is:unresolved level:warning` "
        "in `backend`." in text
    )
    assert messages.BULK_IMPLIED_STATUS in text
    assert "`BACKEND-65` Warning number 101" in text and "…and 245 more." in text
    assert org.puts == []  # nothing changes before Confirm
    org.add(999, level="warning")  # matches now, but was not in the preview
    replies = await confirm(bot, slack, button(shown, Action.BULK_CONFIRM)["value"])
    assert [len(p[0]) for p in org.puts] == [100, 100, 50]
    assert [i for p in org.puts for i in p[0]] == ids
    body = {
        "status": "ignored",
        "substatus": "archived_until_condition_met",
        "statusDetails": {"ignoreDuration": 10080},
    }
    assert all(p[1] == body for p in org.puts)
    assert replies[0]["text"] == messages.BULK_STARTED.format(total=250)
    assert ":white_check_mark: *Ignored for 1 week*: 250 of 250 issues changed." in texts(
        replies[-1]
    )
    assert org.issues["999"]["status"] == "unresolved"


async def test_a_failure_mid_run_reports_what_changed_and_what_did_not(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    ids = many(org, 250)
    org.bulk_fail = lambda batch: Response(500) if "201" in batch else None
    shown = await preview(bot, slack, "resolve level:warning")
    replies = await confirm(bot, slack, button(shown, Action.BULK_CONFIRM)["value"])
    report = texts(replies[-1])
    assert ":warning: *Resolved*: 150 of 250 issues changed." in report
    assert "*Not changed* (100): Sentry answered 500" in report
    assert "`BACKEND-C9`" in report  # issue 201, the first of the failed batch
    changed = [i for i in ids if org.issues[i]["status"] == "resolved"]
    assert changed == ids[:100] + ids[200:]
    # the retry button carries exactly the 100 that failed
    retry = button(replies[-1], Action.BULK_CONFIRM)
    assert retry["text"]["text"] == "Retry the 100 not changed"
    org.bulk_fail = None
    before = len(org.puts)
    replies = await confirm(bot, slack, retry["value"])
    assert [p[0] for p in org.puts[before:]] == [ids[100:200]]
    assert "*Resolved*: 100 of 100 issues changed." in texts(replies[-1])


async def test_sentry_down_stops_the_run_and_lists_the_rest(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    ids = many(org, 350)
    org.bulk_fail = lambda batch: Response(503) if batch[0] != ids[0] else None
    shown = await preview(bot, slack, "unresolve level:warning")
    # these are unresolved already; Sentry would accept it anyway
    replies = await confirm(bot, slack, button(shown, Action.BULK_CONFIRM)["value"])
    report = texts(replies[-1])
    assert "100 of 350 issues changed." in report
    assert report.count("*Not changed* (100)") == 2
    assert "*Not attempted* (50), stopped after repeated failures" in report
    assert button(replies[-1], Action.BULK_CONFIRM)["text"]["text"] == "Retry the 250 not changed"


async def test_confirm_clicked_twice_runs_once(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    many(org, 120)
    shown = await preview(bot, slack, "assign team:core level:warning")
    token = button(shown, Action.BULK_CONFIRM)["value"]
    await asyncio.gather(
        bot.action(Action.BULK_CONFIRM, value=token, ephemeral=True),
        bot.action(Action.BULK_CONFIRM, value=token, ephemeral=True),
    )
    await bot.idle()
    assert [len(p[0]) for p in org.puts] == [100, 20]
    assert all(p[1] == {"assignedTo": "team:10"} for p in org.puts)
    # a third click long after the run: still nothing
    await bot.action(Action.BULK_CONFIRM, value=token, ephemeral=True)
    await bot.idle()
    assert len(org.puts) == 2


async def test_more_than_a_thousand_asks_to_narrow(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    many(org, 1001)
    shown = await preview(bot, slack, "resolve level:warning")
    query = "is:unresolved level:warning"
    assert shown["text"] == messages.BULK_TOO_MANY.format(cap=1000, query=query) + (
        "\n" + messages.USAGE.format(usage=escape(bulk_handlers.BULK_USAGE))
    )
    assert org.puts == []


async def test_cancel_and_other_users(bot: SlackDriver, slack: FakeSlack, org: SentryOrg) -> None:
    many(org, 3)
    shown = await preview(bot, slack, "resolve level:warning")
    token = button(shown, Action.BULK_CONFIRM)["value"]

    async def answer(action: str, user: str = "U1") -> str:
        before = len(slack.responses)
        await bot.action(action, value=token, user=user, ephemeral=True)
        return str((await slack.wait_for("response", before + 1))[-1]["text"])

    assert await answer(Action.BULK_CONFIRM, "U3") == messages.BULK_NOT_YOURS.format(user="U1")
    assert await answer(Action.BULK_CANCEL) == messages.BULK_CANCELLED
    assert await answer(Action.BULK_CONFIRM) == messages.BULK_EXPIRED
    assert org.puts == []


async def test_bulk_respects_the_policy_per_project(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    many(org, 2)
    many(org, 2, start=500, proj=PAYMENTS)
    shown = await preview(bot, slack, "resolve level:warning")
    assert shown["text"].startswith(
        "You can't change the issues in `payments`: Your Sentry role is member"
    )
    shown = await preview(bot, slack, "resolve level:warning", user="U3")
    assert "4 issues" in texts(shown) and "in `backend`, `payments`." in texts(shown)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("resolve", "Give the search"),
        ("explode level:error", "is not something I can do in bulk"),
        ("ignore for 3 fortnights level:error", "is not a duration"),
        ("resolve level:nothing", "No issues match `is:unresolved level:nothing`"),
        ("resolve next level:warning", "`backend` has no releases in Sentry yet"),
        ("resolve in 9.9.9 level:warning", "`backend` has no release `9.9.9`"),
    ],
)
async def test_bulk_bad_input(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, text: str, says: str
) -> None:
    many(org, 1)
    many(org, 1, start=600, proj=PAYMENTS)
    await bot.command(f"bulk {text}", user="U3")
    got = await slack.wait_for("response")
    while not any(says in r["text"] for r in got):
        got = await slack.wait_for("response", len(got) + 1)
    final = next(r for r in got if says in r["text"])
    assert messages.USAGE.format(usage=escape(bulk_handlers.BULK_USAGE)) in final["text"]
    assert org.puts == []


async def test_progress_for_big_runs(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk_handlers, "PROGRESS_EVERY", 0.0)
    many(org, 1000)
    shown = await preview(bot, slack, "resolve level:warning")
    started = time.monotonic()
    replies = await confirm(bot, slack, button(shown, Action.BULK_CONFIRM)["value"])
    print(
        f"bulk resolve of 1000 issues (10 PUTs, mocked Sentry): {time.monotonic() - started:.2f} s"
    )
    progress = [r["text"] for r in replies if "done so far" in r["text"]]
    assert progress == [
        messages.BULK_PROGRESS.format(done=100, total=1000),
        messages.BULK_PROGRESS.format(done=200, total=1000),
        messages.BULK_PROGRESS.format(done=300, total=1000),
    ]
    assert len(replies) <= 5  # Slack accepts five messages per response_url
    assert "1000 of 1000 issues changed." in texts(replies[-1])
    assert len(org.puts) == 10


# ---- what Sentry's source enforces on bulk changes (tests/sentry_org.py _bulk) -------------


async def test_each_batch_names_its_project_so_sentry_checks_only_that_one(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    """Without `project`, Sentry validates "next release" against every project the token
    sees: `payments` has no release, so resolving backend issues would fail with a 400."""
    org.releases = [release("backend@1.5.2")]
    ids = many(org, 150)
    shown = await preview(bot, slack, "resolve next level:warning project:backend")
    replies = await confirm(bot, slack, button(shown, Action.BULK_CONFIRM)["value"])
    assert "150 of 150 issues changed." in texts(replies[-1])
    assert org.bulk_projects == [["2"], ["2"]]
    assert all(org.issues[i]["statusDetails"] == {"inNextRelease": True} for i in ids)


async def test_release_resolutions_span_projects_one_batch_each(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    """Sentry refuses a release resolution for issues of several projects in one request;
    Dexter sends one per project, each with that project's own release."""
    org.releases = [release("backend@1.1.0"), release("payments@1.1.0", project="3")]
    backend = many(org, 2)
    payments = many(org, 2, start=500, proj=PAYMENTS)
    shown = await preview(bot, slack, "resolve in 1.1.0 level:warning", user="U3")
    assert "*resolve in `1.1.0`* 4 issues" in texts(shown)
    replies = await confirm(bot, slack, button(shown, Action.BULK_CONFIRM)["value"], user="U3")
    assert "4 of 4 issues changed." in texts(replies[-1])
    assert sorted(org.bulk_projects) == [["2"], ["3"]]
    assert {org.issues[i]["statusDetails"]["inRelease"] for i in backend} == {"backend@1.1.0"}
    assert {org.issues[i]["statusDetails"]["inRelease"] for i in payments} == {"payments@1.1.0"}


async def test_current_release_is_sentrys_latest_per_project(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    org.releases = [release("backend@2.0.0"), release("payments@7.0.0", project="3")]
    many(org, 1)
    many(org, 1, start=500, proj=PAYMENTS)
    shown = await preview(bot, slack, "resolve current level:warning", user="U3")
    assert "*resolve in the current release* 2 issues" in texts(shown)
    await confirm(bot, slack, button(shown, Action.BULK_CONFIRM)["value"], user="U3")
    assert [p[1] for p in org.puts] == [
        {"status": "resolved", "statusDetails": {"inRelease": "latest"}}
    ] * 2
    assert org.issues["500"]["statusDetails"]["inRelease"] == "payments@7.0.0"


async def test_team_assignment_in_a_closed_membership_org(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    """Closed membership: Sentry checks the team has access to each project of the request;
    #core owns backend but not payments, so an unnamed project set would fail."""
    org.open_membership = False
    many(org, 3)
    shown = await preview(bot, slack, "assign team:core level:warning")
    replies = await confirm(bot, slack, button(shown, Action.BULK_CONFIRM)["value"])
    assert "3 of 3 issues changed." in texts(replies[-1])
    assert org.bulk_projects == [["2"]]


async def test_bulk_leaves_resolved_issues_alone_unless_the_search_says_so(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    open_ids = many(org, 2)
    done = many(org, 2, start=300)
    for i in done:
        org.issues[i]["status"] = "resolved"
    shown = await preview(bot, slack, "ignore for 1w level:warning project:backend")
    assert "2 issues matching `is:unresolved level:warning project:backend`" in texts(shown)
    await confirm(bot, slack, button(shown, Action.BULK_CONFIRM)["value"])
    assert [p[0] for p in org.puts] == [open_ids]
    assert all(org.issues[i]["status"] == "resolved" for i in done)

    shown = await preview(bot, slack, "ignore for 1w is:resolved level:warning")
    assert messages.BULK_IMPLIED_STATUS not in texts(shown)
    assert "2 issues matching `is:resolved level:warning`" in texts(shown)


async def test_the_mock_refuses_what_sentry_refuses_without_project(org: SentryOrg) -> None:
    """The stateful mock is not a rubber stamp: an unnamed project set fails as on Sentry."""
    import httpx

    org.releases = [release("backend@1.5.2")]
    many(org, 1)
    auth = {"Authorization": "Bearer t"}
    async with httpx.AsyncClient(base_url="https://sentry.io/api/0/", headers=auth) as client:
        body = {"status": "resolved", "statusDetails": {"inNextRelease": True}}
        resp = await client.put("organizations/acme/issues/", params={"id": "101"}, json=body)
        assert resp.status_code == 400 and "No release data" in resp.text
        resp = await client.put(
            "organizations/acme/issues/", params={"id": "101", "project": "2"}, json=body
        )
        assert resp.status_code == 200


async def test_only_who_asked_may_cancel(
    bot: SlackDriver, slack: FakeSlack, org: SentryOrg
) -> None:
    # The Cancel value is the plan's token; the plan in Redis says whose it is.
    many(org, 3)
    shown = await preview(bot, slack, "resolve level:warning")
    token = button(shown, Action.BULK_CANCEL)["value"]
    before = len(slack.responses)
    await bot.action(Action.BULK_CANCEL, value=token, user="U3", ephemeral=True)
    [*_, refused] = await slack.wait_for("response", before + 1)
    assert refused["text"] == bulk_handlers.NOT_YOURS_TO_CANCEL.format(user="U1")
    assert refused["replace_original"] is False
    await bot.action(Action.BULK_CONFIRM, value=token, ephemeral=True)
    await slack.wait_for("response", before + 3)  # started, then the report
    assert [len(p[0]) for p in org.puts] == [3]

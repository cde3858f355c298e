"""The pipeline across real processes: `dexter run --role web|worker` subprocesses on one
Redis, Slack and Sentry being loopback fakes (tests/processes.py).

What one process cannot show: a worker killed with SIGKILL in the middle of a command, and
two web and two worker processes sharing the work, each request still having one effect.
Run them alone with `python -m pytest -m processes`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.core import messages
from tests.fake_sentry_server import FakeSentryServer
from tests.fake_slack import Call, FakeSlack
from tests.harness import SlackDriver
from tests.processes import Cluster
from tests.sentry_org import add_slack_users

pytestmark = pytest.mark.processes

ATTEMPTS = 3
RESOLVED = {"status": "resolved", "statusDetails": {}}
HOLD = 30.0  # longer than any test waits: a held request is answered only when released
WAIT = 20.0  # seconds to wait for an answer (processes on two busy cores)


@pytest.fixture
async def fake_sentry() -> AsyncIterator[FakeSentryServer]:
    server = await FakeSentryServer().start()
    for iid in range(1, 7):
        server.org.add(iid)
    yield server
    await server.stop()


@pytest.fixture
async def cluster(
    slack: FakeSlack, fake_sentry: FakeSentryServer, embedded_redis: Any, tmp_path: Path
) -> AsyncIterator[Cluster]:
    add_slack_users(slack)
    url = os.environ.get("REDIS_URL") or f"unix://{embedded_redis.socket_file}"
    # a dead worker's job is taken over after 2 s; a failed one is retried after as long
    # no "Sentry is slow" note: a held read or a slow start on a busy machine is not what is tested
    env = {
        "DEXTER_JOB_VISIBILITY": "2",
        "DEXTER_JOB_ATTEMPTS": str(ATTEMPTS),
        "DEXTER_SENTRY_SLOW_NOTE": "600",
    }
    async with Cluster(slack, fake_sentry, url, tmp_path, env=env) as running:
        yield running
    assert fake_sentry.problems == []  # every request Dexter sent was valid for Sentry


def puts(sentry: FakeSentryServer) -> list[tuple[str, Any]]:
    return [(m.path, m.body) for m in sentry.mutations if m.method == "PUT"]


def choice(blocks: list[dict[str, Any]], action_id: str, prefix: str) -> dict[str, Any]:
    """The option of a card's select whose value starts with `prefix`."""
    for block in blocks:
        for el in block.get("elements") or []:
            if el.get("action_id") == action_id:
                return dict(next(o for o in el["options"] if o["value"].startswith(prefix)))
    raise AssertionError(f"no {action_id} on the card")


async def post_card(bot: SlackDriver, slack: FakeSlack, ref: str) -> Call:
    """`/dexter issue <ref>` → the card Dexter posted in the channel."""
    before = len(slack.of("chat.postMessage"))
    await bot.command(f"issue {ref}")
    calls = await slack.wait_for("chat.postMessage", before + 1, timeout=WAIT)
    return calls[before]


async def resolve_click(bot: SlackDriver, card: Call, ts: str) -> None:
    blocks = card.args["blocks"]
    reply = await bot.action(
        "issue_resolve",
        channel=card.args["channel"],
        message_ts=ts,
        blocks=blocks,
        block_id="issue_actions",
        selected_option=choice(blocks, "issue_resolve", "now|"),
    )
    assert (reply.status, reply.body) == (200, "")


async def test_a_command_whose_worker_is_killed_before_the_change_is_finished_by_another(
    cluster: Cluster, fake_sentry: FakeSentryServer, slack: FakeSlack
) -> None:
    [first] = await cluster.start(worker=1)
    [web] = await cluster.start(web=1)
    fake_sentry.slow("GET", r"/issues/BACKEND-1/$", HOLD)  # the command's first read
    reply = await cluster.driver(web).command("resolve BACKEND-1")
    assert (reply.status, reply.body) == (200, "")
    await fake_sentry.wait_held()
    [second] = await cluster.start(worker=1)
    cluster.kill(first)
    fake_sentry.release()

    [answer] = await slack.wait_for("response", timeout=WAIT)
    await cluster.drained()
    assert answer["text"].startswith("Resolved") and answer["_rid"] == "cmd1"
    assert len(slack.responses) == 1
    assert puts(fake_sentry) == [("organizations/acme/issues/1/", RESOLVED)]
    assert fake_sentry.org.issues["1"]["status"] == "resolved"
    assert "took over job entry" in second.log.read_text()


async def test_a_click_whose_worker_is_killed_after_the_change_is_not_made_twice(
    cluster: Cluster, fake_sentry: FakeSentryServer, slack: FakeSlack
) -> None:
    [first] = await cluster.start(worker=1)
    [web] = await cluster.start(web=1)
    bot = cluster.driver(web)
    card = await post_card(bot, slack, "BACKEND-1")
    # the click resolves the issue, then reads it again to refresh the card: hold that read
    fake_sentry.slow("GET", r"/issues/1/events/latest/$", HOLD)
    await resolve_click(bot, card, ts="1700000000.000001")
    await fake_sentry.wait_held()
    assert puts(fake_sentry) == [("organizations/acme/issues/1/", RESOLVED)]
    [second] = await cluster.start(worker=1)
    cluster.kill(first)  # Sentry changed, the card not updated yet
    fake_sentry.release()

    [update] = await slack.wait_for("chat.update", timeout=WAIT)
    await cluster.drained()
    assert puts(fake_sentry) == [("organizations/acme/issues/1/", RESOLVED)]  # not twice
    assert update.args["ts"] == "1700000000.000001"
    assert len(slack.of("chat.update")) == 1 and slack.responses == []
    log = second.log.read_text()
    assert "took over job entry" in log
    assert "sentry:PUT" in log and "was already done by an earlier attempt" in log


async def test_two_web_and_two_workers_give_every_request_one_effect(
    cluster: Cluster, fake_sentry: FakeSentryServer, slack: FakeSlack
) -> None:
    await cluster.start(worker=2)
    web1, web2 = await cluster.start(web=2)
    one, two = cluster.driver(web1, first_id=100), cluster.driver(web2, first_id=200)
    card = await post_card(one, slack, "BACKEND-1")

    # a double click: the same control on the same card, one click through each web process
    ts = "1700000000.000001"
    await asyncio.gather(resolve_click(one, card, ts), resolve_click(two, card, ts))
    # an event Slack delivers three times (two retries), to either web process
    link = f"{fake_sentry.url}/organizations/acme/issues/2/"
    event = {"type": "link_shared", "channel": "C1", "user": "U1", "message_ts": "1.5"}
    event |= {"links": [{"domain": "127.0.0.1", "url": link}]}
    for driver, retry in ((one, None), (two, 1), (one, 2)):
        reply = await driver.event(event, event_id="Ev-unfurl", retry=retry)
        assert reply.status == 200
    # commands through both web processes, worked by either worker
    for n in range(3, 7):
        reply = await (one if n % 2 else two).command(f"resolve BACKEND-{n}")
        assert (reply.status, reply.body) == (200, "")

    await slack.wait_for("chat.update", timeout=WAIT)
    await slack.wait_for("chat.unfurl", timeout=WAIT)
    await slack.wait_for("response", 4, timeout=WAIT)
    await cluster.drained()  # nothing left to run: no duplicate can still come
    assert sorted(p for p, _ in puts(fake_sentry)) == [
        f"organizations/acme/issues/{n}/" for n in (1, 3, 4, 5, 6)
    ]
    assert len(slack.of("chat.update")) == 1
    [unfurl] = slack.of("chat.unfurl")
    assert list(unfurl.args["unfurls"]) == [link]
    answers = sorted(r["_rid"] for r in slack.responses)  # ids count per driver, clicks too
    assert answers == ["cmd102", "cmd103", "cmd201", "cmd202"]
    assert all(r["text"].startswith("Resolved") for r in slack.responses)
    assert {i: fake_sentry.org.issues[str(i)]["status"] for i in range(1, 7)} == {
        1: "resolved",
        2: "unresolved",
        3: "resolved",
        4: "resolved",
        5: "resolved",
        6: "resolved",
    }


async def test_a_job_failing_every_attempt_is_dead_lettered_and_the_user_told(
    cluster: Cluster, slack: FakeSlack
) -> None:
    await cluster.start(worker=1)
    [web] = await cluster.start(web=1)
    # Slack refuses the answer every time: its response_url is gone and the ephemeral
    # fallback with blocks is refused (a text-only notice goes through)
    slack.expired.add("cmd1")
    refused = {"ok": False, "error": "invalid_blocks"}
    slack.on("chat.postEphemeral", lambda args: refused if args.get("blocks") else {"ok": True})
    reply = await cluster.driver(web).command("")  # help: no Sentry involved
    assert (reply.status, reply.body) == (200, "")

    await _told(slack)
    await cluster.drained()
    notices = [c for c in slack.of("chat.postEphemeral") if not c.args.get("blocks")]
    [dead] = await cluster.dead_letters()
    ref = dead["id"]
    assert [n.args["text"] for n in notices] == [messages.JOB_GAVE_UP.format(ref=ref)]
    assert (notices[0].args["channel"], notices[0].args["user"]) == ("C1", "U1")
    tries = [c for c in slack.of("chat.postEphemeral") if c.args.get("blocks")]
    assert len(tries) == ATTEMPTS
    stats = await cluster.stats()
    assert stats["attempts:command"] == ATTEMPTS and stats["failures:command"] == ATTEMPTS
    assert stats["dead:command"] == 1 and "done:command" not in stats
    assert "SlackApiError" in dead["reason"] or "JobFailed" in dead["reason"]


async def _told(slack: FakeSlack) -> list[Call]:
    """The text-only ephemeral notices, once one has come."""

    async def notice() -> list[Call]:
        while True:
            found = [c for c in slack.of("chat.postEphemeral") if not c.args.get("blocks")]
            if found:
                return found
            seen = len(slack.of("chat.postEphemeral"))
            await slack.wait_for("chat.postEphemeral", seen + 1, timeout=WAIT)

    return await asyncio.wait_for(notice(), WAIT)

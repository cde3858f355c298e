"""Structured logs: one correlation id per Slack request, into Sentry calls; never a secret."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from collections.abc import Callable, Iterator

import httpx
import pytest
import respx
from httpx import Response

from bot.core import logs
from bot.core.logs import setup_logging
from bot.core.settings import Settings
from bot.deps import Deps
from tests import factories as f
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.sentry_mock import SentryMock
from tests.settings_factory import SECRETS, make_settings


@pytest.fixture
def settings(slack: FakeSlack) -> Settings:
    return make_settings(slack, DEXTER_SECRET_KEY="s3cr3t-key-" + "x" * 24, DEXTER_ADMINS="U1")


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """Everything logged at DEBUG, formatted exactly as `LOG_FORMAT=json` does in production."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    setup_logging("DEBUG", "json")
    buf = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buf)
    yield buf
    root.handlers[:], root.level = saved[0], saved[1]


async def _leak_bait(
    logs: io.StringIO, bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> str:
    """Drive the paths a secret could take into a log line, each secret on at least one
    (the tokens typed into `/dexter setup`: tests/workspaces/test_setup_secrets.py)."""
    acme = SentryMock(sentry)
    acme.issues(
        iter(
            [
                Response(200, json=[f.issue(1)]),
                *[Response(500)] * 4,
                Response(400, json={"detail": f"token {SECRETS[2]} may not search"}),
            ]
        )
    )
    refused = httpx.ConnectError(f"refused for Bearer {SECRETS[2]}")
    acme.issue(refused, ref=9, latest=Response(404))
    acme.issue(f.issue(1))
    acme.card_extras()
    revoked = f"[ERROR] token {SECRETS[0]} was revoked"
    slack.on(
        "chat.postMessage",
        {"ok": False, "error": "invalid_auth", "response_metadata": {"messages": [revoked]}},
    )

    # one at a time: concurrent identical searches would share one Sentry request
    await bot.command("issues")  # works
    await slack.wait_for("response", 1)
    await bot.command("issues")  # Sentry 500s
    await slack.wait_for("response", 2)
    await bot.command("issues")  # Sentry echoes the token in its error
    await slack.wait_for("response", 3)
    await bot.command("issue 9")  # connection refused
    await bot.command("issue 1")  # Slack refuses the bot token when posting the card
    await bot.command(SECRETS[1])  # someone pastes a secret into Slack
    await bot.post("command=/dexter&text=issues", headers={"X-Slack-Signature": "v0=bad"})
    await slack.wait_for("response", 6)
    return logs.getvalue()


async def test_no_secret_reaches_the_logs(
    json_logs: io.StringIO, bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    out = await _leak_bait(json_logs, bot, slack, sentry)
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) > 20  # debug logging really ran, including the failures
    assert any(line["level"] == "ERROR" for line in lines)
    for secret in SECRETS:
        assert secret not in out
    for response in slack.responses:
        assert SECRETS[2] not in json.dumps(response)


async def test_the_bait_puts_every_secret_in_the_logs_unredacted(
    json_logs: io.StringIO,
    bot: SlackDriver,
    slack: FakeSlack,
    sentry: respx.MockRouter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without redaction each secret shows up: the scan above looks where they would leak."""
    monkeypatch.setattr(logs, "redact", lambda text: text)
    out = await _leak_bait(json_logs, bot, slack, sentry)
    assert [s for s in SECRETS if s not in out] == []


async def test_correlation_id_follows_the_request_into_sentry_calls(
    json_logs: io.StringIO, bot: SlackDriver, slack: FakeSlack, sentry_mock: SentryMock
) -> None:
    sentry_mock.issues(Response(503))
    await bot.command("issues")
    [resp] = await slack.wait_for("response")
    cid = re.search(r"ref `([0-9a-f]+)`", resp["text"])
    assert cid is not None
    lines = [json.loads(line) for line in json_logs.getvalue().splitlines()]
    mine = [line for line in lines if line["correlation_id"] == cid.group(1)]
    loggers = {line["logger"] for line in mine}
    assert {"bot.sentry.calls", "bot.sentry.client", "handlers.commands"} <= loggers
    assert sum(1 for line in mine if line["logger"] == "bot.sentry.calls") == 4
    assert all(
        line["correlation_id"] != "-" for line in lines if line["logger"] == "bot.sentry.calls"
    )


async def _nothing() -> None:
    return None


async def test_schedulers_log_their_start_once_and_ticks_only_at_debug(
    text_logs: Callable[[str], io.StringIO], deps: Deps, sentry_mock: SentryMock
) -> None:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from bot.app import create_app

    sentry_mock.releases([])
    out = text_logs("INFO")
    create_app(deps.settings, deps)
    await deps.lifecycle.start()
    try:
        ticking = AsyncIOScheduler()
        ticking.add_job(_nothing, "interval", seconds=0.05, id="tick")
        ticking.start()
        await asyncio.sleep(0.3)  # a real timer: ~6 ticks at 0.05 s, which must not log
        ticking.shutdown(wait=False)
    finally:
        await deps.lifecycle.stop()
    lines = out.getvalue().splitlines()
    assert len([x for x in lines if "digest scheduler" in x and "started" in x]) == 1
    assert not [x for x in lines if "Scheduler started" in x]
    assert not [x for x in lines if "apscheduler" in x], lines  # no "Running job" every 20 s

    debug = text_logs("DEBUG")
    ticking = AsyncIOScheduler()
    ticking.add_job(_nothing, "interval", seconds=0.05, id="tick")
    ticking.start()
    await asyncio.sleep(0.2)  # a real timer: a few ticks at 0.05 s, logged at DEBUG
    ticking.shutdown(wait=False)
    shown = [x for x in debug.getvalue().splitlines() if "apscheduler" in x]
    assert any("Running job" in x for x in shown)
    assert all(" DEBUG " in x for x in shown)

"""Forged, stale, replayed and oversized Slack requests are refused and nothing runs."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import respx

from tests import factories as f
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.sentry_mock import SentryMock


def _form(bot: SlackDriver, text: str = "issues") -> str:
    return urlencode(
        {
            "team_id": "T1",
            "channel_id": "C1",
            "user_id": "U1",
            "command": "/dexter",
            "text": text,
            "api_app_id": "A1",
            "response_url": bot.slack.response_url("x"),
            "trigger_id": "t1",
        }
    )


def _mock_issues(sentry: respx.MockRouter) -> respx.Route:
    return SentryMock(sentry).issues([f.issue(1)])


async def _nothing_ran(bot: SlackDriver, slack: FakeSlack, route: respx.Route) -> None:
    await bot.idle()  # a job the request had wrongly enqueued has finished by now
    assert route.call_count == 0
    assert slack.calls == [] and slack.responses == []


async def test_wrong_signature_is_refused(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    route = _mock_issues(sentry)
    body = _form(bot)
    headers = bot.signed_headers(body)
    headers["X-Slack-Signature"] = "v0=" + "0" * 64
    reply = await bot.post(body, headers=headers)
    assert reply.status == 401
    await _nothing_ran(bot, slack, route)


async def test_body_altered_after_signing_is_refused(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    route = _mock_issues(sentry)
    headers = bot.signed_headers(_form(bot, "issues"))
    reply = await bot.post(_form(bot, "issues level:fatal"), headers=headers)
    assert reply.status == 401
    await _nothing_ran(bot, slack, route)


async def test_timestamp_older_than_five_minutes_is_refused(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    route = _mock_issues(sentry)
    body = _form(bot)
    reply = await bot.post(body, headers=bot.signed_headers(body, timestamp=int(time.time()) - 301))
    assert reply.status == 401
    await _nothing_ran(bot, slack, route)


async def test_replayed_request_runs_once(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    route = _mock_issues(sentry)
    body = _form(bot)
    headers = bot.signed_headers(body)
    first = await bot.post(body, headers=headers)
    second = await bot.post(body, headers=headers)
    assert (first.status, second.status) == (200, 401)
    await slack.wait_for("response")
    await bot.idle()
    assert route.call_count == 1
    assert len(slack.responses) == 1


async def test_replay_with_a_forged_retry_header_is_refused(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    # only Events API retries (which carry an event_id) skip the replay check
    _mock_issues(sentry)
    body = _form(bot)
    headers = bot.signed_headers(body)
    assert (await bot.post(body, headers=headers)).status == 200
    reply = await bot.post(body, headers=headers | {"X-Slack-Retry-Num": "1"})
    assert reply.status == 401


async def test_oversized_body_is_refused(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    route = _mock_issues(sentry)
    body = _form(bot, "issues " + "x" * (2 * 1024 * 1024))
    reply = await bot.post(body)
    assert reply.status == 413
    await _nothing_ran(bot, slack, route)


async def test_unsigned_request_is_refused(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    route = _mock_issues(sentry)
    reply = await bot.post(
        _form(bot), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert reply.status == 401
    await _nothing_ran(bot, slack, route)

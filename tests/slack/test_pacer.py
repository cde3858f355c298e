"""The per-channel pacer: one post per interval per channel, Slack 429s pushed back."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.slack.pacer import ChannelPacer, retry_after


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds
        await asyncio.sleep(0)


def rate_limited(seconds: str | None) -> SlackApiError:
    headers = {"Retry-After": seconds} if seconds is not None else {}
    resp = AsyncSlackResponse(
        client=None,
        http_verb="POST",
        api_url="https://slack.test/api/chat.postMessage",
        req_args={},
        data={"ok": False, "error": "ratelimited"},
        headers=headers,
        status_code=429,
    )
    return SlackApiError("ratelimited", resp)


async def test_posts_to_one_channel_are_spaced_and_channels_are_independent() -> None:
    clock = FakeClock()
    pacer = ChannelPacer(1.0, clock=clock, sleep=clock.sleep)
    stamps: dict[str, list[float]] = {"C1": [], "C2": []}

    async def post(channel: str) -> None:
        await pacer.wait(channel)
        stamps[channel].append(clock.now)

    await asyncio.gather(post("C2"), *(post("C1") for _ in range(3)))
    assert stamps["C1"] == [100.0, 101.0, 102.0]
    assert stamps["C2"] == [100.0]


async def test_a_429_pushes_the_channel_back_by_retry_after() -> None:
    clock = FakeClock()
    pacer = ChannelPacer(1.0, clock=clock, sleep=clock.sleep)
    answers: list[Any] = [rate_limited("3"), {"ok": True, "ts": "1"}]
    sent_at: list[float] = []

    async def send() -> Any:
        sent_at.append(clock.now)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert await pacer.call("C1", send) == {"ok": True, "ts": "1"}
    assert sent_at == [100.0, 103.0]
    assert pacer.throttled == 1


async def test_other_slack_errors_are_not_retried() -> None:
    pacer = ChannelPacer(1.0)
    resp = AsyncSlackResponse(
        client=None,
        http_verb="POST",
        api_url="x",
        req_args={},
        data={"ok": False, "error": "is_archived"},
        headers={},
        status_code=200,
    )

    async def send() -> Any:
        raise SlackApiError("is_archived", resp)

    with pytest.raises(SlackApiError):
        await pacer.call("C1", send)


def test_retry_after_defaults_to_one_second() -> None:
    assert retry_after(rate_limited(None)) == 1.0
    assert retry_after(rate_limited("7")) == 7.0
    assert retry_after(rate_limited("soon")) == 1.0

"""The fake Slack's options for long benchmark runs: keep nothing, watch, limit posts."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.fake_slack import Call, FakeSlack


async def test_a_quiet_fake_keeps_nothing_and_limits_posts_per_channel() -> None:
    slack = await FakeSlack(record=False, post_interval=60.0).start()
    seen: list[tuple[str, bool]] = []

    def watcher(call: Call, answer: dict[str, Any]) -> None:
        seen.append((call.method, bool(answer.get("ok"))))

    slack.watch(watcher)
    client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
    try:
        await client.chat_postMessage(channel="C1", text="one")
        with pytest.raises(SlackApiError) as too_soon:
            await client.chat_postMessage(channel="C1", text="two")
        await client.chat_postMessage(channel="C2", text="another channel")
        async with aiohttp.ClientSession() as http:
            await http.post(slack.response_url("r1"), json={"text": "answer"})
    finally:
        await slack.stop()
    assert too_soon.value.response.status_code == 429
    assert too_soon.value.response.headers["Retry-After"] == "60"
    assert slack.ratelimited == 1
    assert seen == [
        ("chat.postMessage", True),
        ("chat.postMessage", False),
        ("chat.postMessage", True),
        ("response", True),
    ]
    assert slack.calls == [] and slack.responses == []

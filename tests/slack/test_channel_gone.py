"""One set of "channel gone" errors, used by every feature that posts or updates."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.slack.channel_gone import CHANNEL_GONE, MESSAGE_GONE, is_channel_gone
from tests.paths import REPO


def _failed(error: str) -> SlackApiError:
    resp = AsyncSlackResponse(
        client=None,  # type: ignore[arg-type]
        http_verb="POST",
        api_url="https://slack.com/api/chat.postMessage",
        req_args={},
        data={"ok": False, "error": error},
        headers={},
        status_code=200,
    )
    return SlackApiError(error, resp)


@pytest.mark.parametrize("error", sorted(CHANNEL_GONE))
def test_a_gone_channel_is_recognised(error: str) -> None:
    assert is_channel_gone(_failed(error))


@pytest.mark.parametrize("error", ["ratelimited", "internal_error", "message_not_found", ""])
def test_other_failures_are_not_a_gone_channel(error: str) -> None:
    assert not is_channel_gone(_failed(error))
    assert not is_channel_gone(RuntimeError("channel_not_found"))


def test_a_gone_channel_is_also_a_gone_message() -> None:
    assert CHANNEL_GONE < MESSAGE_GONE


def test_no_feature_spells_the_set_again() -> None:
    """The error codes are named once; wording about them (messages.py) may quote them."""
    spelled = [
        str(p.relative_to(REPO))
        for top in ("bot", "handlers")
        for p in (REPO / top).rglob("*.py")
        if '"not_in_channel"' in p.read_text() and p.name != "messages.py"
    ]
    assert spelled == ["bot/slack/channel_gone.py"]

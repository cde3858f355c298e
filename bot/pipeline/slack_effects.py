"""Slack posts through the ledger: a redelivered job never posts, updates or answers twice.

The Web API client (bot/pipeline/observe.py InstrumentedWebClient) sends the methods in EFFECTS
through `api_call_once`; `OnceRespond` is Bolt's `respond` for response_url answers.
Outside a job both behave exactly like the originals.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.webhook import WebhookResponse

from bot.core.ledger import once
from bot.slack.outgoing import SafeRespond

# Calls that change what users see; reads and token calls are repeated freely.
EFFECTS = frozenset(
    {
        "chat.postMessage",
        "chat.postEphemeral",
        "chat.update",
        "chat.delete",
        "chat.unfurl",
        "chat.scheduleMessage",
        "views.open",
        "views.push",
        "views.update",
        "views.publish",
        "files.completeUploadExternal",
        "reactions.add",
    }
)
_TARGETS = ("channel", "channel_id", "view_id", "external_id", "user_id", "trigger_id")


def _target(kwargs: dict[str, Any]) -> str:
    args: dict[str, Any] = {}
    for part in ("params", "data", "json"):
        value = kwargs.get(part)
        if isinstance(value, dict):
            args |= value
    found = [f"{name}={args[name]}" for name in _TARGETS if args.get(name)]
    if args.get("ts"):
        found.append(f"ts={args['ts']}")
    if args.get("user") and args.get("channel"):
        found.append(f"user={args['user']}")  # an ephemeral message is per user
    return ",".join(found) or "-"


async def api_call_once(
    client: AsyncWebClient,
    api_method: str,
    kwargs: dict[str, Any],
    call: Callable[[], Awaitable[AsyncSlackResponse]],
) -> AsyncSlackResponse:
    """Make a Slack Web API call; a posting call an earlier attempt made returns its result."""
    if api_method not in EFFECTS:
        return await call()

    def decode(data: Any) -> AsyncSlackResponse:
        return AsyncSlackResponse(
            client=client,
            http_verb="POST",
            api_url=f"{client.base_url}{api_method}",
            req_args={},
            data=data if isinstance(data, dict) else {"ok": True},
            headers={},
            status_code=200,
        )

    return await once(
        f"slack:{api_method}:{_target(kwargs)}",
        call,
        encode=lambda resp: resp.data if isinstance(resp.data, dict) else {"ok": True},
        decode=decode,
    )


class OnceRespond(SafeRespond):
    """Bolt's `respond` (answers through the response_url), at most once per job."""

    async def __call__(self, *args: Any, **kwargs: Any) -> WebhookResponse:
        url = self.response_url or ""
        call = super().__call__

        def decode(saved: Any) -> WebhookResponse:
            saved = saved if isinstance(saved, dict) else {}
            status = int(saved.get("status") or 200)
            return WebhookResponse(
                url=url, status_code=status, body=str(saved.get("body") or ""), headers={}
            )

        return await once(
            f"respond:{url}",
            lambda: call(*args, **kwargs),
            encode=lambda r: {"status": r.status_code, "body": r.body},
            decode=decode,
        )

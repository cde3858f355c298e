"""Drive the real app over HTTP with requests signed the way Slack signs them."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier

from bot.deps import Deps
from bot.pipeline.service import Pipeline
from bot.server import http_app
from tests.fake_slack import FakeSlack


@dataclass
class Reply:
    status: int
    body: str
    elapsed: float


@dataclass
class SlackDriver:
    """Sends slash commands, block actions, options loads, view submissions and events."""

    bot_url: str
    signing_secret: str
    slack: FakeSlack
    session: aiohttp.ClientSession
    pipeline: Pipeline | None = None
    # Commands and clicks are jobs; by default each waits for the jobs before it, as a user
    # who reads each answer before typing the next would. Tests of concurrency turn it off.
    in_order: bool = True
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _skew: Any = field(default_factory=lambda: itertools.count(0))

    async def idle(self, timeout: float = 30.0) -> None:
        """Wait until every job the requests so far enqueued has finished.

        `timeout` only guards against a hang: a job drawing many charts on a busy machine
        (CI shares its cores) may take well over 10 s."""
        if self.pipeline is not None:
            await self.pipeline.idle(timeout)

    def signed_headers(
        self,
        body: str,
        *,
        timestamp: int | None = None,
        content_type: str = "application/x-www-form-urlencoded",
    ) -> dict[str, str]:
        # Each request gets its own timestamp (within Slack's 5 minutes), as two real
        # deliveries would; re-sending the same signed request is a replay, refused. Counting
        # up from 4 minutes ago keeps them distinct even when a second passes between two
        # requests (counting down from now made the n-th and the (n+1)-th a second apart equal).
        ts = str(
            timestamp if timestamp is not None else int(time.time()) - 240 + next(self._skew) % 240
        )
        sig = SignatureVerifier(self.signing_secret).generate_signature(timestamp=ts, body=body)
        return {
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": sig or "",
            "Content-Type": content_type,
        }

    async def post(
        self,
        body: str,
        *,
        headers: dict[str, str] | None = None,
        content_type: str = "application/x-www-form-urlencoded",
    ) -> Reply:
        started = time.monotonic()
        hdrs = (
            headers if headers is not None else self.signed_headers(body, content_type=content_type)
        )
        async with self.session.post(
            f"{self.bot_url}/slack/events", data=body.encode(), headers=hdrs
        ) as resp:
            text = await resp.text()
            return Reply(resp.status, text, time.monotonic() - started)

    async def command(
        self, text: str, *, user: str = "U1", channel: str = "C1", team: str = "T1"
    ) -> Reply:
        await self._in_turn()
        rid = next(self._ids)
        form = {
            "token": "legacy",
            "team_id": team,
            "team_domain": "acme",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/dexter",
            "text": text,
            "api_app_id": "A1",
            "is_enterprise_install": "false",
            "response_url": self.slack.response_url(f"cmd{rid}"),
            "trigger_id": f"trig{rid}",
        }
        return await self.post(urlencode(form))

    async def _in_turn(self) -> None:
        if self.in_order and self.pipeline is not None and self.pipeline.worker is not None:
            await self.idle()

    async def interaction(self, payload: dict[str, Any]) -> Reply:
        if payload.get("type") == "block_actions":
            await self._in_turn()
        return await self.post(urlencode({"payload": json.dumps(payload)}))

    async def action(
        self,
        action_id: str,
        *,
        value: str | None = None,
        user: str = "U1",
        channel: str = "C1",
        message_ts: str = "1700000000.000001",
        blocks: list[dict[str, Any]] | None = None,
        ephemeral: bool = False,
        selected_option: dict[str, Any] | None = None,
        block_id: str = "b1",
        team: str = "T1",
    ) -> Reply:
        rid = next(self._ids)
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block_id,
            "type": "button",
            "action_ts": str(time.time()),
        }
        if value is not None:
            action["value"] = value
        if selected_option is not None:
            action |= {"type": "static_select", "selected_option": selected_option}
        container: dict[str, Any] = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": ephemeral,
        }
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "team_id": team},
            "api_app_id": "A1",
            "token": "legacy",
            "container": container,
            "trigger_id": f"trig{rid}",
            "team": {"id": team, "domain": "acme"},
            "channel": {"id": channel, "name": "general"},
            "response_url": self.slack.response_url(f"act{rid}"),
            "actions": [action],
        }
        if not ephemeral:
            payload["message"] = {"ts": message_ts, "type": "message", "blocks": blocks or []}
        return await self.interaction(payload)

    async def options(
        self, action_id: str, value: str, *, user: str = "U1", block_id: str = "b1"
    ) -> Reply:
        payload = {
            "type": "block_suggestion",
            "user": {"id": user},
            "team": {"id": "T1"},
            "api_app_id": "A1",
            "token": "legacy",
            "action_id": action_id,
            "block_id": block_id,
            "value": value,
            "container": {"type": "message", "message_ts": "1", "channel_id": "C1"},
            "channel": {"id": "C1"},
        }
        return await self.interaction(payload)

    async def view_submission(
        self,
        callback_id: str,
        values: dict[str, Any],
        *,
        private_metadata: str = "",
        user: str = "U1",
        view_id: str = "V1",
    ) -> Reply:
        payload = {
            "type": "view_submission",
            "user": {"id": user},
            "team": {"id": "T1"},
            "api_app_id": "A1",
            "token": "legacy",
            "trigger_id": "trigv",
            "view": {
                "id": view_id,
                "type": "modal",
                "callback_id": callback_id,
                "private_metadata": private_metadata,
                "hash": "h1",
                "state": {"values": values},
                "blocks": [],
            },
        }
        return await self.interaction(payload)

    async def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry: int | None = None,
        team: str = "T1",
    ) -> Reply:
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": team,
                "api_app_id": "A1",
                "type": "event_callback",
                "event_id": event_id or f"Ev{next(self._ids)}",
                "event_time": int(time.time()),
                "event": event,
            }
        )
        headers = self.signed_headers(body, content_type="application/json")
        if retry is not None:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.post(body, headers=headers)


@asynccontextmanager
async def serve_bot(
    app: AsyncApp, deps: Deps, slack: FakeSlack, session: aiohttp.ClientSession
) -> AsyncIterator[SlackDriver]:
    """Serve the app's HTTP endpoints on a free loopback port and drive it; its pipeline
    (role `all` unless the app was built otherwise) works jobs meanwhile."""
    runner = web.AppRunner(http_app(app, deps), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    secret = deps.settings.slack_signing_secret.get_secret_value()
    pipeline = deps.pipeline
    if pipeline is not None:
        await pipeline.start()
    try:
        yield SlackDriver(f"http://127.0.0.1:{port}", secret, slack, session, pipeline)
    finally:
        await runner.cleanup()
        if pipeline is not None:
            await pipeline.stop(grace=5.0)

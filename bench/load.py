"""Signed Slack traffic for the benchmarks: slash commands and block actions, N in flight."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from bench.serve import SIGNING_SECRET

NEXT_PAGE_VALUE = json.dumps({"cursor": "0:10:0", "page": 2})


def command_body(i: int, slack_url: str, prefix: str = "c") -> str:
    return urlencode(
        {
            "team_id": "T1",
            "channel_id": "C1",
            "user_id": "U1",
            "command": "/dexter",
            "text": "issues",
            "api_app_id": "A1",
            "response_url": f"{slack_url}/response/{prefix}{i}",
            "trigger_id": f"trig{i}",
        }
    )


def action_body(i: int, slack_url: str) -> str:
    payload = {
        "type": "block_actions",
        "user": {"id": "U1", "team_id": "T1"},
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "container": {"type": "message", "message_ts": "1.1", "channel_id": "C1"},
        "channel": {"id": "C1"},
        "trigger_id": f"trig-a{i}",
        "response_url": f"{slack_url}/response/a{i}",
        "actions": [
            {
                "action_id": "issues_next_page",
                "block_id": "issues_pager",
                "type": "button",
                "value": NEXT_PAGE_VALUE,
                "action_ts": f"{time.time():.6f}",
            }
        ],
        "message": {"ts": "1.1", "blocks": []},
    }
    return urlencode({"payload": json.dumps(payload)})


@dataclass
class Result:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"command": [], "action": []})
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    server_cpu: float = 0.0

    def summary(self, kind: str | None = None) -> tuple[float, float, int]:
        """(p50 ms, p99 ms, n) for one kind or all."""
        chosen = [kind] if kind else ["command", "action"]
        values = sorted(v for k in chosen for v in self.latencies[k])
        if not values:
            return 0.0, 0.0, 0
        q = statistics.quantiles(values, n=100, method="inclusive")
        return q[49] * 1000, q[98] * 1000, len(values)


async def run_load(
    url: str, slack_url: str, *, commands: int, actions: int, concurrency: int, start: int = 0
) -> Result:
    """Send the requests (commands and actions interleaved) and time each until its answer."""
    verifier = SignatureVerifier(SIGNING_SECRET)
    jobs: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    for i in range(max(commands, actions)):
        if i < commands:
            jobs.put_nowait(("command", command_body(start + i, slack_url)))
        if i < actions:
            jobs.put_nowait(("action", action_body(start + i, slack_url)))
    result = Result()
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            while not jobs.empty():
                kind, body = jobs.get_nowait()
                ts = str(int(time.time()))
                headers = {
                    "X-Slack-Request-Timestamp": ts,
                    "X-Slack-Signature": verifier.generate_signature(timestamp=ts, body=body) or "",
                    "Content-Type": "application/x-www-form-urlencoded",
                }
                started = time.perf_counter()
                async with session.post(f"{url}/slack/events", data=body, headers=headers) as r:
                    await r.read()
                    result.latencies[kind].append(time.perf_counter() - started)
                    result.statuses[r.status] = result.statuses.get(r.status, 0) + 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        result.seconds = time.perf_counter() - began
    return result

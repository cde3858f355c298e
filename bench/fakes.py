"""A fake Sentry API (answering after a delay) and the fake Slack (tests/fake_slack.py), on
loopback, for benchmarks.

`python -m bench.fakes --delay 1` prints `sentry=<url> slack=<url>` and serves until killed.
`GET <slack>/api/bench.stats?tag=T` tells how the response_urls `<slack>/response/T-<n>` were
answered: posts, distinct urls, and the wall-clock time of the last post.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

from aiohttp import web

from tests import factories as f
from tests.fake_slack import Call, FakeSlack


def sentry_app(delay: float) -> web.Application:
    """Answers the endpoints Dexter's issue commands use, each after `delay` seconds."""

    async def answer(request: web.Request) -> web.Response:
        await asyncio.sleep(delay)
        path = request.path
        if path.endswith("/projects/"):
            return web.json_response([f.project()])
        if path.endswith("/issues/"):
            return web.json_response([f.issue(i) for i in range(1, 11)])
        if "/shortids/" in path:
            return web.json_response({"groupId": "1", "group": f.issue(1)})
        if path.endswith("/events/latest/"):
            return web.json_response(f.event(1))
        if "/issues/" in path:
            return web.json_response(f.issue(1))
        return web.json_response({"id": "1", "slug": "acme", "name": "Acme"})

    app = web.Application()
    app.router.add_get("/{tail:.*}", answer)
    return app


class Answers:
    """Counts the response_url posts per tag (`T` in `/response/T-<n>`), for `bench.stats`."""

    def __init__(self) -> None:
        self.posts: dict[str, int] = {}
        self.answered: dict[str, set[str]] = {}
        self.last: dict[str, float] = {}

    def __call__(self, call: Call, _answer: dict[str, Any]) -> None:
        if call.method != "response":
            return
        rid = str(call.args.get("_rid", ""))
        tag = rid.rpartition("-")[0]
        if tag:
            self.posts[tag] = self.posts.get(tag, 0) + 1
            self.answered.setdefault(tag, set()).add(rid)
            self.last[tag] = time.time()

    def stats(self, args: dict[str, Any]) -> dict[str, Any]:
        tag = str(args.get("tag", ""))
        return {
            "ok": True,
            "posts": self.posts.get(tag, 0),
            "answered": len(self.answered.get(tag, ())),
            "last": self.last.get(tag),
        }


async def quiet_slack() -> FakeSlack:
    """The fake Slack keeping nothing, so long runs do not grow in memory; it only counts the
    response_url posts per tag, told by `GET <slack>/api/bench.stats?tag=T`."""
    answers = Answers()
    slack = FakeSlack(record=False)
    slack.watch(answers)
    slack.on("bench.stats", answers.stats)
    return await slack.start()


async def start(delay: float) -> tuple[str, str, list[web.AppRunner], FakeSlack]:
    """Start both fakes; returns their URLs."""
    runner = web.AppRunner(sentry_app(delay), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    slack = await quiet_slack()
    return f"http://127.0.0.1:{port}", slack.url, [runner], slack


async def _main(delay: float) -> None:
    sentry, slack, _runners, _fake = await start(delay)
    print(f"sentry={sentry} slack={slack}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--delay", type=float, default=1.0)
    args = parser.parse_args()
    try:
        asyncio.run(_main(args.delay))
    except KeyboardInterrupt:
        sys.exit(0)

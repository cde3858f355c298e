"""Serve Dexter (or a bare ack-only Bolt app) over HTTP for the benchmarks.

`python -m bench.serve bot|bare --port P --sentry URL --slack URL` prints `ready` when listening.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import tempfile
import uuid
from typing import Any

import redis.asyncio as aioredis
from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

SIGNING_SECRET = "bench-signing-secret-0000"
BOT_TOKEN = "xoxb-bench-token-0000"


def bare_app(slack_url: str) -> AsyncApp:
    """The baseline: Bolt on the same server stack, acking and doing nothing else."""
    app = AsyncApp(
        client=AsyncWebClient(token=BOT_TOKEN, base_url=f"{slack_url}/api/"),
        signing_secret=SIGNING_SECRET,
    )

    @app.command("/dexter")
    async def command(ack: AsyncAck) -> None:
        await ack()

    @app.action("issues_next_page")
    async def action(ack: AsyncAck) -> None:
        await ack()

    return app


async def _run(mode: str, port: int, sentry: str, slack: str) -> None:
    from bot.core.logs import setup_logging

    log_file = os.path.join(tempfile.gettempdir(), f"dexter-bench-{mode}.log")
    setup_logging("INFO", "text")
    import logging

    stream = open(log_file, "w")  # noqa: SIM115 - open for the life of the process
    logging.getLogger().handlers[0].setStream(stream)  # type: ignore[attr-defined]
    if mode == "bare":
        from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request

        app = bare_app(slack)

        async def events(request: web.Request) -> web.Response:
            bolt_resp = await app.async_dispatch(await to_bolt_request(request))
            return await to_aiohttp_response(bolt_resp)

        web_app = web.Application(client_max_size=1024 * 1024)
        web_app.router.add_post("/slack/events", events)
    else:
        from bot.app import create_app
        from bot.core.settings import load_settings
        from bot.core.store import Store
        from bot.deps import build_deps
        from bot.server import http_app

        settings = load_settings(
            _env_file=None,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=f"{slack}/api/",
            SENTRY_AUTH_TOKEN="sntrys_bench_token",
            SENTRY_ORG="acme",
            SENTRY_URL=sentry,
        )
        url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
        store = Store(aioredis.Redis.from_url(url), prefix=f"bench:{uuid.uuid4().hex[:8]}:")
        deps = await build_deps(settings, store=store)
        web_app = http_app(create_app(settings, deps), deps)
        assert deps.pipeline is not None
        await deps.pipeline.start()  # `dexter run`: this process also works the jobs
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print("ready", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    profile_to = os.environ.get("BENCH_PROFILE")
    profiler = None
    if profile_to:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    await stop.wait()
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(f"{profile_to}.{mode}")


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["bot", "bare"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--sentry", required=True)
    parser.add_argument("--slack", required=True)
    args: Any = parser.parse_args(argv)
    asyncio.run(_run(args.mode, args.port, args.sentry, args.slack))


if __name__ == "__main__":
    main()

"""CPU per Slack request inside one process: Dexter versus a bare ack-only Bolt app.

Less noisy than the ack benchmark on a shared machine: no load generator competes for the
CPU. Sentry never answers (its calls wait at the client's concurrency gate), so this is the
cost of receiving, checking, acking and starting each request.
`python -m bench.cpu [--requests 2000]`; `--profile FILE` writes cProfile stats for Dexter.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import os
import tempfile
import time
import uuid

import redis.asyncio as aioredis
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier

from bench.fakes import start
from bench.load import action_body, command_body
from bench.serve import BOT_TOKEN, SIGNING_SECRET, bare_app
from bot.server import bolt_request


async def build(mode: str, sentry: str, slack: str) -> AsyncApp:
    if mode == "bare":
        return bare_app(slack)
    from bot.app import create_app
    from bot.core.logs import setup_logging
    from bot.core.settings import load_settings
    from bot.core.store import Store
    from bot.deps import build_deps

    setup_logging("INFO")
    log_file = open(os.path.join(tempfile.gettempdir(), "dexter-bench-cpu.log"), "w")  # noqa: SIM115
    logging.getLogger().handlers[0].setStream(log_file)  # type: ignore[attr-defined]
    settings = load_settings(
        _env_file=None,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=f"{slack}/api/",
        SENTRY_AUTH_TOKEN="sntrys_bench",
        SENTRY_ORG="acme",
        SENTRY_URL=sentry,
    )
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    store = Store(aioredis.Redis.from_url(url), prefix=f"bench:{uuid.uuid4().hex[:8]}:")
    deps = await build_deps(settings, store=store)
    return create_app(settings, deps)


async def measure(mode: str, n: int, profile: str | None) -> float:
    delay = float(os.environ.get("BENCH_SENTRY_DELAY", "3600"))  # seconds Sentry takes
    sentry, slack, _runners, _fake = await start(delay)
    app = await build(mode, sentry, slack)
    verifier = SignatureVerifier(SIGNING_SECRET)

    def request(i: int) -> object:
        body = command_body(i, slack) if i % 2 else action_body(i, slack)
        ts = str(int(time.time()))
        headers: dict[str, object] = {
            "x-slack-request-timestamp": [ts],
            "x-slack-signature": [verifier.generate_signature(timestamp=ts, body=body)],
            "content-type": ["application/x-www-form-urlencoded"],
        }
        return bolt_request(body, headers)  # type: ignore[arg-type]

    limit = asyncio.Semaphore(100)

    async def one(i: int) -> None:
        async with limit:
            await app.async_dispatch(request(i))  # type: ignore[arg-type]

    await asyncio.gather(*(one(10**6 + i) for i in range(100)))  # warm up
    await asyncio.sleep(0.5)
    profiler = cProfile.Profile() if profile else None
    began = time.process_time()
    if profiler:
        profiler.enable()
    await asyncio.gather(*(one(i) for i in range(n)))
    await asyncio.sleep(0.2)  # let each listener run up to its first Sentry call
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile or "")
    return (time.process_time() - began) * 1000 / n


def main() -> None:
    """Print CPU milliseconds per request for both apps."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--mode", choices=["bare", "bot", "both"], default="both")
    parser.add_argument("--profile")
    args = parser.parse_args()
    if args.mode != "both":
        print(f"{asyncio.run(measure(args.mode, args.requests, args.profile)):.3f}")
        return
    from bench.procs import run_python

    results = {
        m: [
            float(run_python("bench.cpu", "--mode", m, "--requests", str(args.requests)))
            for _ in range(3)
        ]
        for m in ("bare", "bot")
    }
    print(f"CPU per request (ms), {args.requests} requests, 3 runs each, median:")
    for mode, values in results.items():
        values.sort()
        print(f"  {mode:<6} {values[1]:.3f}   (runs: {', '.join(f'{v:.3f}' for v in values)})")
    print(f"  ratio  {sorted(results['bot'])[1] / sorted(results['bare'])[1]:.2f}")


if __name__ == "__main__":
    main()

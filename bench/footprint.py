"""Start-up time to ready, idle and loaded memory of `dexter run` in HTTP mode.

`python -m bench.footprint [--requests 2000]`. Uses Redis db 15 of REDIS_URL's server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import urllib.request

from bench.load import run_load
from bench.procs import ROOT, fakes, free_port, rss_kib, urls
from bench.serve import BOT_TOKEN, SIGNING_SECRET


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError("dexter run exited")
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=1) as resp:
                if resp.status == 200:
                    return time.perf_counter() - started
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("not ready in time")


def main() -> None:
    """Print start-up time and RSS at idle, under load and after it."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000, help="of each kind")
    parser.add_argument("--delay", type=float, default=1.0)
    args = parser.parse_args()
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0] + "/15"
    with fakes(args.delay) as (_, line):
        u = urls(line)
        port = free_port()
        env = os.environ | {
            "PYTHONPATH": str(ROOT),
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": f"{u['slack']}/api/",
            "SENTRY_AUTH_TOKEN": "sntrys_bench",
            "SENTRY_ORG": "acme",
            "SENTRY_URL": u["sentry"],
            "REDIS_URL": redis_url,
            "PORT": str(port),
            "HOST": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            ready = wait_ready(url, proc)
            time.sleep(2)
            idle, _ = rss_kib(proc.pid)
            result = asyncio.run(
                run_load(
                    url, u["slack"], commands=args.requests, actions=args.requests, concurrency=100
                )
            )
            loaded, _ = rss_kib(proc.pid)
            time.sleep(5)
            after, peak = rss_kib(proc.pid)
        finally:
            proc.terminate()
            proc.wait(10)
    n = sum(result.statuses.values())
    print(f"start-up to ready (process start → /readyz 200): {ready:.2f} s")
    print(f"RSS idle:                         {idle / 1024:.0f} MiB")
    print(
        f"RSS right after {n} requests:    {loaded / 1024:.0f} MiB "
        f"(their work still queued behind the 1 s Sentry)"
    )
    print(f"RSS 5 s later / peak:             {after / 1024:.0f} MiB / {peak / 1024:.0f} MiB")


if __name__ == "__main__":
    main()

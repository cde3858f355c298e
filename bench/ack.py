"""Ack latency: Dexter versus a bare ack-only Bolt app, Sentry answering after 1 s.

`python -m bench.ack [--requests 2000] [--concurrency 100] [--delay 1]`
"""

from __future__ import annotations

import argparse
import asyncio

from bench.load import Result, run_load
from bench.procs import cpu_seconds, fakes, free_port, running, urls


def measure(mode: str, sentry: str, slack: str, n: int, concurrency: int) -> Result:
    port = free_port()
    with running(
        "bench.serve", mode, "--port", str(port), "--sentry", sentry, "--slack", slack
    ) as (proc, _):
        url = f"http://127.0.0.1:{port}"
        # warm up (auth.test, connection pools, imports) without counting
        asyncio.run(
            run_load(url, slack, commands=100, actions=100, concurrency=concurrency, start=10**6)
        )
        cpu = cpu_seconds(proc.pid)
        result = asyncio.run(run_load(url, slack, commands=n, actions=n, concurrency=concurrency))
        result.server_cpu = cpu_seconds(proc.pid) - cpu
        return result


def main() -> None:
    """Run both apps (interleaved rounds) and print p50/p99 and the ratio."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000, help="of each kind")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--delay", type=float, default=1.0, help="Sentry answer delay (s)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each app, interleaved")
    args = parser.parse_args()
    runs: dict[str, list[Result]] = {"bare": [], "dexter": []}
    with fakes(args.delay) as (_, line):
        u = urls(line)
        for _ in range(args.rounds):
            for name, mode in (("bare", "bare"), ("dexter", "bot")):
                res = measure(mode, u["sentry"], u["slack"], args.requests, args.concurrency)
                runs[name].append(res)
    print(
        f"{args.requests} commands + {args.requests} block actions per run, "
        f"{args.concurrency} in flight, Sentry delayed {args.delay:g} s, "
        f"{args.rounds} runs per app (median run by p50 shown)"
    )
    print(
        f"{'app':<8}{'kind':<9}{'n':>6}{'p50 ms':>10}{'p99 ms':>10}{'req/s':>9}"
        f"{'cpu ms/req':>12}  statuses"
    )
    chosen: dict[str, Result] = {}
    for name, results in runs.items():
        res = sorted(results, key=lambda r: r.summary()[0])[len(results) // 2]
        chosen[name] = res
        for kind in ("command", "action", None):
            p50, p99, n = res.summary(kind)
            rate = f"{(n / res.seconds):.0f}" if kind is None else ""
            cpu = f"{res.server_cpu * 1000 / n:.3f}" if kind is None else ""
            stat = str(res.statuses) if kind is None else ""
            print(
                f"{name:<8}{kind or 'all':<9}{n:>6}{p50:>10.1f}{p99:>10.1f}{rate:>9}{cpu:>12}"
                f"  {stat}"
            )
    for name, results in runs.items():
        rounds = ", ".join(f"{r.summary()[0]:.0f}/{r.summary()[1]:.0f}" for r in results)
        print(f"  {name} p50/p99 ms of every run: {rounds}")
    b50, b99, _ = chosen["bare"].summary()
    d50, d99, _ = chosen["dexter"].summary()
    print(f"ratio dexter/bare: p50 {d50 / b50:.2f}, p99 {d99 / b99:.2f}")


if __name__ == "__main__":
    main()

"""Ack latency of `dexter run --role web` (and its workers) against a bare Bolt app that only
acks, open loop, and the time until every command was answered.

    python -m bench.pipeline                    # 2,000 commands at 200/s, Sentry answering in 1 s
    python -m bench.pipeline --commands 400     # a quick run
    python -m bench.pipeline --rounds 3 --workers 2 --concurrency 200 --rate 200 --delay 1

Open loop: command i is sent at start + i/rate whether or not earlier ones were answered, and
its ack latency counts from that planned moment, so a server (or a load generator) falling
behind shows in the numbers instead of slowing the load down. Three setups run side by side,
each under its own Redis key prefix, their rounds interleaved: the bare app; `dexter run
--role web` with `--workers` worker processes; `dexter run` as one process (role `all`, the
same number of job slots). The command is `/dexter issues` (two Sentry reads); a loopback
Sentry answers each request after `--delay` seconds, a loopback Slack counts the answers.
Uses REDIS_URL (default redis://127.0.0.1:6379/0).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import redis.asyncio as aioredis
from slack_sdk.signature import SignatureVerifier

from bench.load import command_body
from bench.procs import ROOT, cpu_seconds, fakes, free_port, running, urls
from bench.serve import BOT_TOKEN, SIGNING_SECRET

START_TIMEOUT = 60.0
ANSWER_TIMEOUT = 600.0
OWN = ("SLACK_", "SENTRY_", "DEXTER_", "REDIS_URL", "PORT", "HOST", "METRICS_PORT", "LOG_")


@dataclass
class Round:
    """One open-loop run against one setup."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    busy: int = 0  # acks that answered "busy — queued" at once
    cpu: float = 0.0  # CPU seconds the acking process used while the commands were sent
    job_cpu: float | None = None  # CPU seconds the worker processes used until all answered
    answered: int | None = None  # commands answered (distinct response_urls)
    posts: int | None = None  # posts to their response_urls (slow notes included)
    all_answered: float | None = None  # seconds from the first planned send to the last answer

    def quantile(self, q: int) -> float:
        """The q-th percentile ack latency in ms."""
        cuts = statistics.quantiles(sorted(self.latencies), n=100, method="inclusive")
        return cuts[q - 1] * 1000


@dataclass
class Setup:
    """A way to serve Slack: what acks (`url`, `pid`) and whether it answers commands."""

    name: str
    url: str
    pid: int
    answers: bool
    workers: list[int] = field(default_factory=list)  # pids of separate worker processes
    rounds: list[Round] = field(default_factory=list)


def dexter_env(prefix: str, sentry: str, slack: str, concurrency: int) -> dict[str, str]:
    """The environment of a `dexter run` process of the benchmark."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(OWN)}
    return base | {
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": f"{slack}/api/",
        "SENTRY_AUTH_TOKEN": "sntrys_bench_token",
        "SENTRY_ORG": "acme",
        "SENTRY_URL": sentry,
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "DEXTER_REDIS_PREFIX": prefix,
        "DEXTER_RELEASE_POLL_SECONDS": "0",
        "DEXTER_WORKER_CONCURRENCY": str(concurrency),
        "HOST": "127.0.0.1",
        "LOG_LEVEL": "INFO",
    }


class Processes:
    """`dexter run` processes; all stopped (SIGTERM, then SIGKILL) by `stop`."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.procs: list[subprocess.Popen[bytes]] = []

    def spawn(
        self, name: str, env: dict[str, str], *args: str, nice: int = 0
    ) -> subprocess.Popen[bytes]:
        with (self.logs / f"{name}.log").open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "run", *args],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=(lambda: os.nice(nice)) if nice else None,
            )
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


async def wait_http(url: str, proc: subprocess.Popen[bytes]) -> None:
    """Until GET url answers 200."""
    deadline = time.monotonic() + START_TIMEOUT
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"process {proc.pid} exited ({proc.returncode})")
            try:
                async with session.get(url) as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise TimeoutError(f"{url} did not answer")


async def wait_workers(redis: aioredis.Redis, prefix: str, pids: list[int]) -> None:
    """Until every worker has published its heartbeat (consumer names hold the pid)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        names = [n.decode() for n in await redis.hkeys(f"{prefix}pipeline:workers")]
        if all(any(f"-{pid}-" in n for n in names) for pid in pids):
            return
        await asyncio.sleep(0.1)
    raise TimeoutError("the workers did not start")


async def open_loop(setup: Setup, slack: str, tag: str, n: int, rate: float) -> Round:
    """Send n signed `/dexter issues` commands at `rate` a second; time each ack."""
    verifier = SignatureVerifier(SIGNING_SECRET)
    result = Round()
    cpu = cpu_seconds(setup.pid)
    job_cpu = sum(cpu_seconds(pid) for pid in setup.workers)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        start = time.perf_counter() + 0.2
        wall_start = time.time() + 0.2

        async def one(i: int) -> None:
            planned = start + i / rate
            await asyncio.sleep(max(0.0, planned - time.perf_counter()))
            body = command_body(i, slack, prefix=f"{tag}-")
            ts = str(int(time.time()))
            headers = {
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": verifier.generate_signature(timestamp=ts, body=body) or "",
                "Content-Type": "application/x-www-form-urlencoded",
            }
            async with session.post(f"{setup.url}/slack/events", data=body, headers=headers) as r:
                text = await r.read()
            result.latencies.append(time.perf_counter() - planned)
            result.statuses[r.status] = result.statuses.get(r.status, 0) + 1
            result.busy += bool(text)

        await asyncio.gather(*(one(i) for i in range(n)))
        result.cpu = cpu_seconds(setup.pid) - cpu
        if setup.answers:
            stats = await wait_answers(session, slack, tag, n)
            result.answered, result.posts = stats["answered"], stats["posts"]
            if setup.workers:
                result.job_cpu = sum(cpu_seconds(pid) for pid in setup.workers) - job_cpu
            if stats["last"] is not None:
                result.all_answered = float(stats["last"]) - wall_start
    return result


async def wait_answers(
    session: aiohttp.ClientSession, slack: str, tag: str, n: int
) -> dict[str, Any]:
    """The fake Slack's count of answers for `tag`, once all n came (or time ran out)."""
    deadline = time.monotonic() + ANSWER_TIMEOUT
    while True:
        async with session.get(f"{slack}/api/bench.stats", params={"tag": tag}) as resp:
            stats: dict[str, Any] = await resp.json()
        if stats["answered"] >= n or time.monotonic() > deadline:
            return stats
        await asyncio.sleep(0.2)


async def warm_up(setup: Setup, slack: str, name: str) -> None:
    """Connections, caches and imports, not counted."""
    await open_loop(setup, slack, f"warm{name}", 40, 40.0)


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.pipeline", description=__doc__.split("\n")[0])
    p.add_argument("--commands", type=int, default=2000, help="commands per round")
    p.add_argument("--rate", type=float, default=200.0, help="commands per second (open loop)")
    p.add_argument("--delay", type=float, default=1.0, help="Sentry's answer time (s)")
    p.add_argument("--workers", type=int, default=2, help="worker processes beside the web one")
    p.add_argument("--concurrency", type=int, default=200, help="jobs each worker runs at once")
    p.add_argument("--rounds", type=int, default=1, help="runs per setup, interleaved")
    p.add_argument(
        "--acks-only",
        action="store_true",
        help="do not wait for the answers (with --concurrency 1 the workers stay nearly idle "
        "while the commands are sent: the ack path alone)",
    )
    p.add_argument(
        "--worker-nice",
        type=int,
        default=0,
        help="run the workers at this nice level (e.g. 10: the web process first for the CPU, "
        "as when the workers run on other machines)",
    )
    return p.parse_args(argv)


async def run(args: argparse.Namespace, sentry: str, slack: str, logs: Path) -> list[Setup]:
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    redis = aioredis.Redis.from_url(redis_url)
    procs = Processes(logs)
    bench_id = uuid.uuid4().hex[:8]
    web_prefix, all_prefix = f"bench-{bench_id}-web:", f"bench-{bench_id}-all:"
    try:
        bare_port = free_port()
        setups: list[Setup] = []
        with running(
            "bench.serve", "bare", "--port", str(bare_port), "--sentry", sentry, "--slack", slack
        ) as (bare_proc, _):
            bare_url = f"http://127.0.0.1:{bare_port}"
            setups.append(Setup("bare Bolt, acks only", bare_url, bare_proc.pid, answers=False))
            env = dexter_env(web_prefix, sentry, slack, args.concurrency)
            workers = [
                procs.spawn(f"worker{i + 1}", env, "--role", "worker", nice=args.worker_nice)
                for i in range(args.workers)
            ]
            web_port = free_port()
            web = procs.spawn("web", env | {"PORT": str(web_port)}, "--role", "web")
            all_port = free_port()
            env_all = dexter_env(all_prefix, sentry, slack, args.concurrency * args.workers)
            one = procs.spawn("all", env_all | {"PORT": str(all_port)})
            await asyncio.gather(
                wait_http(f"http://127.0.0.1:{web_port}/healthz", web),
                wait_http(f"http://127.0.0.1:{all_port}/healthz", one),
                wait_workers(redis, web_prefix, [w.pid for w in workers]),
            )
            name = f"dexter --role web + {args.workers} workers"
            pids = [w.pid for w in workers]
            web_url = f"http://127.0.0.1:{web_port}"
            answers = not args.acks_only
            setups.append(Setup(name, web_url, web.pid, answers=answers, workers=pids))
            name = "dexter run (one process)"
            setups.append(Setup(name, f"http://127.0.0.1:{all_port}", one.pid, answers=answers))
            for i, setup in enumerate(setups):
                await warm_up(setup, slack, str(i))
            for r in range(args.rounds):
                for i, setup in enumerate(setups):
                    tag = f"r{r}s{i}"
                    setup.rounds.append(
                        await open_loop(setup, slack, tag, args.commands, args.rate)
                    )
                    await asyncio.sleep(1.0)  # let the machine settle between runs
        return setups
    except BaseException:
        for log in sorted(logs.glob("*.log")):
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
            print(f"----- {log.name} -----\n{tail}", file=sys.stderr)
        raise
    finally:
        procs.stop()
        for prefix in (web_prefix, all_prefix):
            keys = [k async for k in redis.scan_iter(match=prefix + "*")]
            if keys:
                await redis.delete(*keys)
        await redis.aclose()


def report(args: argparse.Namespace, setups: list[Setup]) -> None:
    """The table: per setup, the median round by p99."""
    print(
        f"{args.commands} `/dexter issues` commands at {args.rate:g}/s (open loop), Sentry "
        f"answering after {args.delay:g} s, {os.cpu_count()} cores; {args.rounds} round(s) per "
        "setup, interleaved (median round by p99 shown)"
    )
    head = (
        f"{'setup':<32}{'p50 ms':>8}{'p99 ms':>9}{'max ms':>9}{'cpu ms/ack':>11}"
        f"{'busy':>6}  {'acks':<13}{'answered':>10}{'all answered after':>20}"
    )
    print(head)
    chosen: dict[str, Round] = {}
    for s in setups:
        rounds = sorted(s.rounds, key=lambda r: r.quantile(99))
        r = rounds[len(rounds) // 2]
        chosen[s.name] = r
        answered = f"{r.answered}/{args.commands}" if r.answered is not None else "–"
        after = f"{r.all_answered:.1f} s" if r.all_answered is not None else "–"
        print(
            f"{s.name:<32}{r.quantile(50):>8.1f}{r.quantile(99):>9.1f}"
            f"{max(r.latencies) * 1000:>9.1f}{r.cpu * 1000 / len(r.latencies):>11.3f}"
            f"{r.busy:>6}  {r.statuses!s:<13}{answered:>10}{after:>20}"
        )
    for s in setups:
        every = ", ".join(f"{r.quantile(50):.0f}/{r.quantile(99):.0f}" for r in s.rounds)
        posts = [r.posts for r in s.rounds if r.posts is not None]
        extra = f"; response_url posts per round: {posts}" if posts else ""
        jobs = [f"{r.job_cpu * 1000 / args.commands:.2f}" for r in s.rounds if r.job_cpu]
        extra += f"; workers' cpu ms per command: {', '.join(jobs)}" if jobs else ""
        print(f"  {s.name}: p50/p99 ms of every round: {every}{extra}")
    bare, web, one = (chosen[s.name] for s in setups)
    print(
        f"p99 ratio to bare: web {web.quantile(99) / bare.quantile(99):.2f} (aim ≤ 1.5), "
        f"one process {one.quantile(99) / bare.quantile(99):.2f}"
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    args = parse(argv)
    load_before = os.getloadavg()[0]
    with fakes(args.delay) as (_, line), tempfile.TemporaryDirectory() as tmp:
        u = urls(line)
        setups = asyncio.run(run(args, u["sentry"], u["slack"], Path(tmp)))
    report(args, setups)
    # the machine is shared: say how busy it was (1-minute load average, on all its cores)
    print(f"load average: {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")


if __name__ == "__main__":
    main()

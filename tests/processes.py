"""Real `dexter run --role web|worker` processes on one Redis, for the process tests.

A `Cluster` starts `python -m bot run --role …` subprocesses whose environment points at the
test's fakes (Slack's Web API and response_urls: tests/fake_slack.py; Sentry:
tests/fake_sentry_server.py) and at Redis under a key prefix of its own
(`DEXTER_REDIS_PREFIX`), so parallel runs never share a key. Each process writes its log to a
file; when a test fails, the tails are printed. Leaving the `async with` block stops every
process (SIGTERM, then SIGKILL) and deletes the cluster's keys; a process also dies with the
test run itself (Linux: the parent-death signal), so none is ever left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import itertools
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import aiohttp
import redis.asyncio as aioredis

from tests.fake_sentry_server import FakeSentryServer
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.paths import REPO
from tests.settings_factory import ORG, SENTRY_TOKEN, SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET

START_TIMEOUT = 30.0  # two shared cores, several interpreters importing at once
STOP_GRACE = 5.0
# Settings from the caller's environment that must not leak into the processes.
OWN = ("SLACK_", "SENTRY_", "DEXTER_", "REDIS_URL", "PORT", "HOST", "METRICS_PORT", "LOG_")


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:
    """In the child, before exec: SIGKILL it when the test run that started it dies."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


@dataclass
class Proc:
    """One `dexter run` process."""

    role: Literal["web", "worker"]
    popen: subprocess.Popen[bytes]
    log: Path
    url: str = ""  # the web role's base URL

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Cluster:
    """Web and worker processes sharing one Redis, Slack and Sentry being the fakes."""

    slack: FakeSlack
    sentry: FakeSentryServer
    redis_url: str
    logs: Path
    env: dict[str, str] = field(default_factory=dict)  # extra settings for every process
    prefix: str = field(default_factory=lambda: f"proc-{uuid.uuid4().hex[:10]}:")
    procs: list[Proc] = field(default_factory=list)
    _redis: aioredis.Redis | None = None
    _session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Cluster:
        self._redis = aioredis.Redis.from_url(self.redis_url)
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.stop_all()
            if exc is not None:
                self.print_logs()
        finally:
            if self._session is not None:
                await self._session.close()
            if self._redis is not None:
                keys = [k async for k in self._redis.scan_iter(match=self.prefix + "*")]
                if keys:
                    await self._redis.delete(*keys)
                await self._redis.aclose()

    @property
    def redis(self) -> aioredis.Redis:
        assert self._redis is not None, "use the cluster in `async with`"
        return self._redis

    def key(self, *parts: str) -> str:
        """A key as the processes name it (bot/core/store.py Store.key)."""
        return self.prefix + ":".join(parts)

    def environment(self, role: str, port: int | None) -> dict[str, str]:
        """What a process sees: the caller's environment without Dexter's settings, plus
        the fakes, the Redis and the prefix."""
        base = {k: v for k, v in os.environ.items() if not k.startswith(OWN)}
        env = base | {
            "PYTHONPATH": str(REPO),
            "PYTHONUNBUFFERED": "1",
            "SLACK_BOT_TOKEN": SLACK_BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET,
            "SLACK_API_URL": self.slack.api_url,
            "SENTRY_AUTH_TOKEN": SENTRY_TOKEN,
            "SENTRY_ORG": ORG,
            "SENTRY_URL": self.sentry.url,
            "REDIS_URL": self.redis_url,
            "DEXTER_REDIS_PREFIX": self.prefix,
            "DEXTER_DATA_DIR": str(self.logs),
            "DEXTER_RELEASE_POLL_SECONDS": "0",  # no background polls of Sentry
            "HOST": "127.0.0.1",
            "LOG_LEVEL": "INFO",
        }
        if port is not None:
            env["PORT"] = str(port)
        return env | self.env

    def _spawn(self, role: Literal["web", "worker"]) -> Proc:
        port = free_port() if role == "web" else None
        n = sum(1 for p in self.procs if p.role == role) + 1
        log = self.logs / f"{role}{n}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                [sys.executable, "-m", "bot", "run", "--role", role],
                cwd=REPO,
                env=self.environment(role, port),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        proc = Proc(role, popen, log, f"http://127.0.0.1:{port}" if port else "")
        self.procs.append(proc)
        return proc

    async def start(self, *, web: int = 0, worker: int = 0) -> list[Proc]:
        """Start processes (all at once) and wait until each is ready: a web process answers
        `/healthz`, a worker has published its heartbeat in Redis."""
        started = [self._spawn("worker") for _ in range(worker)]
        started += [self._spawn("web") for _ in range(web)]
        await asyncio.gather(*(self._ready(p) for p in started))
        return started

    async def _ready(self, proc: Proc) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if not proc.alive:
                raise RuntimeError(f"{proc.role} {proc.pid} exited:\n{proc.tail()}")
            if await (self._web_ready(proc) if proc.role == "web" else self._worker_ready(proc)):
                return
            await asyncio.sleep(0.1)
        raise TimeoutError(f"{proc.role} {proc.pid} not ready:\n{proc.tail()}")

    async def _web_ready(self, proc: Proc) -> bool:
        assert self._session is not None
        try:
            async with self._session.get(f"{proc.url}/healthz") as resp:
                return resp.status == 200
        except aiohttp.ClientError:
            return False

    async def _worker_ready(self, proc: Proc) -> bool:
        # consumer names are host-pid-random (bot/pipeline/worker.py consumer_name)
        names = await self.redis.hkeys(self.key("pipeline", "workers"))
        return any(f"-{proc.pid}-" in n.decode() for n in names)

    def driver(self, proc: Proc, *, first_id: int = 1) -> SlackDriver:
        """Signed Slack requests into one web process; response_url and trigger ids count
        from `first_id` (give each driver its own range)."""
        assert self._session is not None and proc.role == "web"
        return SlackDriver(
            proc.url,
            SLACK_SIGNING_SECRET,
            self.slack,
            self._session,
            _ids=itertools.count(first_id),
        )

    def kill(self, proc: Proc) -> None:
        """`kill -9`: no shutdown, nothing handed back."""
        proc.popen.send_signal(signal.SIGKILL)
        proc.popen.wait(5)

    async def stop_all(self) -> None:
        """SIGTERM every process still running; SIGKILL what has not exited in time."""
        running = [p for p in self.procs if p.alive]
        for p in running:
            p.popen.terminate()
        deadline = time.monotonic() + STOP_GRACE
        while any(p.alive for p in running) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for p in running:
            if p.alive:
                p.popen.kill()
            p.popen.wait(5)

    def print_logs(self) -> None:
        """The end of every process's log (pytest shows it with the failure)."""
        for p in self.procs:
            print(f"----- {p.role} pid {p.pid} ({p.log.name}) -----\n{p.tail()}", file=sys.stderr)

    async def dead_letters(self) -> list[dict[str, str]]:
        """The dead-letter stream's records (bot/pipeline/queue.py JobQueue.bury)."""
        rows = await self.redis.xrange(self.key("pipeline", "dead"))
        return [{k.decode(): v.decode() for k, v in fields.items()} for _, fields in rows]

    async def stats(self) -> dict[str, int]:
        """The pipeline's shared counters, e.g. {"attempts:command": 3}."""
        raw: dict[Any, Any] = await self.redis.hgetall(self.key("pipeline", "stats"))
        return {k.decode(): int(v) for k, v in raw.items()}

    async def depth(self) -> int:
        """Jobs not finished yet."""
        return int(await self.redis.xlen(self.key("pipeline", "jobs")))

    async def drained(self, timeout: float = 20.0) -> None:
        """Wait until no job is queued or running."""
        deadline = time.monotonic() + timeout
        while await self.depth():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{await self.depth()} jobs still queued or running")
            await asyncio.sleep(0.05)

"""`dexter run | check | manifest` as an operator uses them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import respx
from httpx import Response

from bot.checks import run_checks
from bot.sentry import access
from tests.fake_slack import FakeSlack
from tests.paths import REPO
from tests.settings_factory import SECRETS, SENTRY_TOKEN, make_settings


def dexter(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "SENTRY_", "REDIS_", "DEXTER_"))
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd="/tmp",
        env={**clean, "PYTHONPATH": str(REPO), **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_run_without_tokens_explains_what_to_set() -> None:
    proc = dexter("run")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    for var in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SENTRY_AUTH_TOKEN", "SENTRY_ORG"):
        assert f"{var} is not set" in proc.stderr


def test_run_with_malformed_setting_names_it() -> None:
    proc = dexter(
        "run",
        env={
            "SLACK_BOT_TOKEN": "xoxp-not-a-bot",
            "SLACK_SIGNING_SECRET": "s",
            "SENTRY_AUTH_TOKEN": "t",
            "SENTRY_ORG": "acme",
            "PORT": "http",
        },
    )
    assert proc.returncode == 2
    assert "SLACK_BOT_TOKEN is malformed" in proc.stderr and "xoxb-" in proc.stderr
    assert "PORT is malformed" in proc.stderr
    assert "xoxp-not-a-bot" not in proc.stderr


def test_check_against_unreachable_services_fails_clearly() -> None:
    env = {
        "SLACK_BOT_TOKEN": SECRETS[0],
        "SLACK_SIGNING_SECRET": SECRETS[1],
        "SENTRY_AUTH_TOKEN": SENTRY_TOKEN,
        "SENTRY_ORG": "acme",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "SENTRY_URL": "http://127.0.0.1:9",
        "REDIS_URL": "redis://127.0.0.1:9/0",
    }
    proc = dexter("check", env=env)
    assert proc.returncode == 1
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 3 and all(line.startswith("PROBLEM") for line in lines)
    assert "Slack is unreachable" in proc.stdout and "Sentry is unreachable" in proc.stdout
    assert "Redis is unreachable" in proc.stdout
    for secret in SECRETS:
        assert secret not in proc.stdout + proc.stderr


INTEGRATION_TOKEN = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
ALL_SCOPES = [
    "org:read",
    "project:read",
    "project:releases",
    "team:read",
    "member:read",
    "event:read",
    "event:write",
    "alerts:read",
    "alerts:write",
]


def mock_sentry_access(
    sentry: respx.MockRouter, scopes: list[str] | None, forbidden: tuple[str, ...] = ()
) -> None:
    """The organisation, `GET /api/0/` with the token's scopes, and one cheap read per
    capability (403 for the `forbidden` ones, as Sentry answers a token without the scope)."""
    sentry.get("organizations/acme/").mock(return_value=Response(200, json={"name": "Acme"}))
    auth = {"scopes": scopes} if scopes is not None else None
    index = {"version": "0", "auth": auth}  # `GET /api/0/` exactly
    sentry.get(path="/").mock(return_value=Response(200, json=index))
    for part in ("projects", "teams", "members", "issues", "releases", "workflows"):
        answer = (
            Response(403, json={"detail": "You do not have permission to perform this action."})
            if part in forbidden
            else Response(200, json=[])
        )
        sentry.get(f"organizations/acme/{part}/").mock(return_value=answer)


async def test_check_passes_against_working_services(
    slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    settings = make_settings(
        slack, REDIS_URL=os.environ.get("REDIS_URL", ""), SENTRY_AUTH_TOKEN=INTEGRATION_TOKEN
    )
    mock_sentry_access(sentry, ALL_SCOPES)
    results = await run_checks(settings)
    assert all(r.ok for r in results), results
    assert "connected as @dexter in Acme" in results[0].detail
    assert "Sentry: resolve, ignore, assign, bulk changes" in [r.detail for r in results]


async def test_check_names_the_permission_each_feature_lacks(
    slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    """A token without Issue & Event write and Alerts: one line per feature says what to tick."""
    settings = make_settings(
        slack, REDIS_URL=os.environ.get("REDIS_URL", ""), SENTRY_AUTH_TOKEN=INTEGRATION_TOKEN
    )
    scopes = [s for s in ALL_SCOPES if s not in ("event:write", "alerts:read", "alerts:write")]
    mock_sentry_access(sentry, scopes)
    problems = [r.detail for r in await run_checks(settings) if not r.ok]
    assert problems == [
        "Sentry: resolve, ignore, assign, bulk changes needs the Issue & Event: Read & Write "
        "permission (the token lacks `event:write`)",
        "Sentry: alert rules needs the Alerts: Read & Write permission "
        "(the token lacks `alerts:read`, `alerts:write`)",
    ]


async def test_check_probes_when_sentry_does_not_list_scopes(
    slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    settings = make_settings(
        slack, REDIS_URL=os.environ.get("REDIS_URL", ""), SENTRY_AUTH_TOKEN=INTEGRATION_TOKEN
    )
    mock_sentry_access(sentry, None, forbidden=("members", "releases"))
    problems = [r.detail for r in await run_checks(settings) if not r.ok]
    assert [p.split(" needs ")[0] for p in problems] == [
        "Sentry: linking people, assigning",
        "Sentry: releases, deploys, resolve in a release",
    ]
    assert "Member: Read permission (Sentry refused a read (403" in problems[0]
    assert "Release: Admin" in problems[1]


async def test_an_organization_token_is_explained(
    slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    """`sntrys_` tokens carry only org:ci: reads and triage fail, and the check says why."""
    settings = make_settings(slack, REDIS_URL=os.environ.get("REDIS_URL", ""))
    assert SENTRY_TOKEN.startswith("sntrys_")
    mock_sentry_access(sentry, ["org:ci"], forbidden=("projects", "teams", "members", "issues"))
    results = await run_checks(settings)
    details = [r.detail for r in results if not r.ok]
    assert access.ORG_TOKEN in details
    assert "Sentry: issue lists, cards, unfurls, Discover needs the Issue & Event: Read" in (
        " ".join(details)
    )
    for r in results:
        assert SENTRY_TOKEN not in r.detail


async def test_check_reports_refused_token(slack: FakeSlack) -> None:
    slack.on("auth.test", {"ok": False, "error": "invalid_auth"})
    settings = make_settings(slack, REDIS_URL=os.environ.get("REDIS_URL", ""))
    with respx.mock(base_url="https://sentry.io/api/0/") as router:
        router.get("organizations/acme/").mock(return_value=Response(401, json={"detail": "x"}))
        slack_r, sentry_r, _ = await run_checks(settings)
    assert not slack_r.ok and "invalid_auth" in slack_r.detail
    assert not sentry_r.ok and "refused SENTRY_AUTH_TOKEN" in sentry_r.detail


def test_manifest_http_and_socket() -> None:
    http = json.loads(dexter("manifest", "--url", "https://bot.acme.com").stdout)
    url = "https://bot.acme.com/slack/events"
    assert http["features"]["slash_commands"][0]["command"] == "/dexter"
    assert http["features"]["slash_commands"][0]["url"] == url
    assert http["settings"]["interactivity"]["message_menu_options_url"] == url
    assert http["settings"]["event_subscriptions"]["request_url"] == url
    assert not http["settings"]["socket_mode_enabled"]
    assert "link_shared" in http["settings"]["event_subscriptions"]["bot_events"]
    assert {"commands", "chat:write", "links:write", "users:read.email"} <= set(
        http["oauth_config"]["scopes"]["bot"]
    )
    sock = json.loads(dexter("manifest", "--socket").stdout)
    assert (
        sock["settings"]["socket_mode_enabled"]
        and "url" not in sock["features"]["slash_commands"][0]
    )


def test_run_serves_healthz_in_http_mode(tmp_path: Path) -> None:
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SLACK_", "SENTRY_", "DEXTER_"))
        },
        "PYTHONPATH": str(REPO),
        "SLACK_BOT_TOKEN": SECRETS[0],
        "SLACK_SIGNING_SECRET": SECRETS[1],
        "SENTRY_AUTH_TOKEN": SENTRY_TOKEN,
        "SENTRY_ORG": "acme",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DEXTER_DATA_DIR": str(tmp_path),
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd="/tmp",
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    assert r.status == 200 and json.loads(r.read()) == {"ok": True}
                    break
            except OSError:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                assert time.monotonic() < deadline, "bot did not start in 30 s"
                time.sleep(0.2)
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out
    assert "listening on http://127.0.0.1" in out
    for secret in SECRETS:
        assert secret not in out


def _run_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SLACK_", "SENTRY_", "DEXTER_", "REDIS_"))
        },
        "PYTHONPATH": str(REPO),
        "SLACK_BOT_TOKEN": SECRETS[0],
        "SLACK_SIGNING_SECRET": SECRETS[1],
        "SENTRY_AUTH_TOKEN": SENTRY_TOKEN,
        "SENTRY_ORG": "acme",
        "HOST": "127.0.0.1",
        "DEXTER_DATA_DIR": str(tmp_path),
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "DEXTER_RELEASE_POLL_SECONDS": "0",
        **extra,
    }


def test_manifest_into_a_closed_pipe_exits_quietly() -> None:
    # `dexter manifest | head -1`: the reader may be gone before the manifest is written.
    read, write = os.pipe()
    os.close(read)
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "manifest"],
        cwd="/tmp",
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=write,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
    )
    os.close(write)
    assert proc.returncode == 0
    assert proc.stderr == ""


def test_manifest_url_must_be_an_http_url() -> None:
    for bad in ("not a url", "ftp://bot.acme.com", "https://", "bot.acme.com"):
        proc = dexter("manifest", "--url", bad)
        assert proc.returncode == 2, bad
        assert "--url" in proc.stderr and "https://" in proc.stderr, proc.stderr
        assert proc.stdout == ""
    ok = dexter("manifest", "--url", "http://localhost:3000/")
    assert ok.returncode == 0
    url = json.loads(ok.stdout)["settings"]["event_subscriptions"]["request_url"]
    assert url == "http://localhost:3000/slack/events"


def test_a_port_in_use_is_one_clear_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = _run_env(tmp_path, PORT=str(port), REDIS_URL=os.environ.get("REDIS_URL", ""))
        proc = subprocess.run(
            [sys.executable, "-m", "bot"],
            cwd="/tmp",
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    [line] = [x for x in proc.stderr.splitlines() if "cannot" in x.lower()]
    assert f"127.0.0.1:{port} is already in use" in line and "PORT" in line


def test_an_unusable_data_dir_is_one_clear_line(tmp_path: Path) -> None:
    import socket

    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd="/tmp",
        env=_run_env(not_a_dir, PORT=str(port)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    [line] = [x for x in proc.stderr.splitlines() if "DEXTER_DATA_DIR" in x]
    assert str(not_a_dir) in line and "REDIS_URL" in line


def test_sigterm_stops_socket_mode_while_it_cannot_connect(tmp_path: Path) -> None:
    import signal
    import threading
    import time

    env = _run_env(
        tmp_path,
        SLACK_APP_TOKEN="xapp-1-A1-1-abcdef",
        REDIS_URL=os.environ.get("REDIS_URL", ""),
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd="/tmp",
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    trying = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "apps.connections.open" in line or "Failed to connect" in line:
                trying.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert trying.wait(30), "".join(lines)
        proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        proc.wait(timeout=10)
        assert time.monotonic() - started < 5
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, "".join(lines)


def test_run_refuses_an_unknown_role() -> None:
    proc = dexter("run", "--role", "cook")
    assert proc.returncode == 2
    assert "--role" in proc.stderr and "all" in proc.stderr and "worker" in proc.stderr


def test_a_worker_serves_metrics_on_its_port_and_stops_on_sigterm(tmp_path: Path) -> None:
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--role", "worker"],
        cwd="/tmp",
        env=_run_env(tmp_path, METRICS_PORT=str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=1) as r:
                    text = r.read().decode()
                if "dexter_workers_live 1.0" in text:
                    break
            except OSError:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "the worker did not report itself in 30 s"
            time.sleep(0.2)
        assert "dexter_queue_depth 0.0" in text
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out
    assert "started (concurrency 50" in out and "listening" not in out

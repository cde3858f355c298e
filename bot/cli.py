"""`dexter run | check | manifest | sentry-integration`."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from urllib.parse import urlsplit

from bot.core.errors import StartupError
from bot.core.logs import setup_logging
from bot.core.settings import ConfigError, Settings, load_settings
from bot.pipeline.service import ROLES, Role


def _settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        print("Dexter cannot start; fix the configuration (environment or .env):", file=sys.stderr)
        for line in exc.problems:
            print(f"  - {line}", file=sys.stderr)
        raise SystemExit(2) from None


async def _run(settings: Settings, role: Role = "all") -> None:
    from bot.app import create_app
    from bot.deps import build_deps
    from bot.server import serve, serve_worker

    deps = await build_deps(settings)
    app = create_app(settings, deps, role=role)
    pipeline = deps.pipeline
    assert pipeline is not None

    async def ready() -> None:
        await pipeline.start()
        if pipeline.works_here:  # background work (digests, release polls) runs in workers
            await deps.lifecycle.start()

    try:
        if role == "worker":
            await serve_worker(settings, deps, app, on_ready=ready)
        else:
            await serve(settings, deps, app, on_ready=ready)
    finally:
        await pipeline.stop()
        await deps.lifecycle.stop()
        await deps.aclose()


def cmd_run(args: argparse.Namespace) -> int:
    """Serve the bot in a role: all (default), web or worker."""
    from bot.selfmon import init_self_monitoring

    settings = _settings_or_exit()
    setup_logging(settings.log_level, settings.log_format)
    init_self_monitoring(settings)
    try:
        asyncio.run(_run(settings, getattr(args, "role", "all")))
    except StartupError as exc:
        print(f"Dexter cannot start: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_check(_: argparse.Namespace) -> int:
    """Verify the configuration against Slack, Sentry and Redis."""
    from bot.checks import run_checks

    settings = _settings_or_exit()
    results = asyncio.run(run_checks(settings))
    for r in results:
        print(f"{'ok     ' if r.ok else 'PROBLEM'} {r.detail}")
    return 0 if all(r.ok for r in results) else 1


def cmd_manifest(args: argparse.Namespace) -> int:
    """Print the Slack app manifest (works before any token exists)."""
    from bot.slack.manifest import build_manifest

    socket = args.socket or bool(os.environ.get("SLACK_APP_TOKEN"))
    if args.http:
        socket = False
    manifest = build_manifest(
        socket_mode=socket,
        public_url=args.url or os.environ.get("DEXTER_PUBLIC_URL"),
        sentry_url=os.environ.get("SENTRY_URL", "https://sentry.io"),
        oauth=args.oauth or bool(os.environ.get("SLACK_CLIENT_ID")),
    )
    print(json.dumps(manifest, indent=2))
    return 0


def cmd_sentry_integration(args: argparse.Namespace) -> int:
    """Print what to enter in Sentry for Dexter's internal integration."""
    from bot.webhooks.integration import integration_settings, render_text

    settings = integration_settings(args.url or os.environ.get("DEXTER_PUBLIC_URL"))
    print(json.dumps(settings, indent=2) if args.json else render_text(settings))
    return 0


def public_url(value: str) -> str:
    """argparse type for `--url`: an http(s) URL with a host."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in value.strip():
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a URL; give the bot's public base URL, e.g. https://dexter.acme.com"
        )
    return value.strip().rstrip("/")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `dexter` console script."""
    parser = argparse.ArgumentParser(prog="dexter", description="Dexter: Sentry in Slack.")
    sub = parser.add_subparsers(dest="command")
    r = sub.add_parser("run", help="serve the bot (HTTP or Socket Mode)")
    r.add_argument(
        "--role",
        choices=ROLES,
        default="all",
        help="all: everything in one process (default); web: verify, ack and enqueue "
        "Slack requests; worker: run queued jobs. Web and worker processes share REDIS_URL.",
    )
    r.set_defaults(func=cmd_run)
    sub.add_parser("check", help="verify Slack, Sentry and Redis").set_defaults(func=cmd_check)
    m = sub.add_parser("manifest", help="print a Slack app manifest")
    m.add_argument(
        "--url",
        type=public_url,
        help="public base URL of the bot (HTTP mode), e.g. https://dexter.acme.com",
    )
    mode = m.add_mutually_exclusive_group()
    mode.add_argument("--socket", action="store_true", help="manifest for Socket Mode")
    mode.add_argument("--http", action="store_true", help="manifest for HTTP mode")
    m.add_argument(
        "--oauth",
        action="store_true",
        help="multi-workspace install: redirect URL and token rotation (default when "
        "SLACK_CLIENT_ID is set)",
    )
    m.set_defaults(func=cmd_manifest)
    si = sub.add_parser(
        "sentry-integration", help="print the Sentry internal integration's settings (webhooks)"
    )
    si.add_argument(
        "--url",
        type=public_url,
        help="public base URL of the bot, e.g. https://dexter.acme.com (default DEXTER_PUBLIC_URL)",
    )
    si.add_argument("--json", action="store_true", help="print JSON")
    si.set_defaults(func=cmd_sentry_integration)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        args = parser.parse_args(["run"])
    try:
        code = int(args.func(args))
        sys.stdout.flush()
    except BrokenPipeError:
        # `dexter manifest | head -1`: the reader left; what it wanted it has. Point stdout
        # at /dev/null so the interpreter's final flush does not complain again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return code


if __name__ == "__main__":
    raise SystemExit(main())

"""Serve the app: HTTP (`POST /slack/events`, OAuth, `/metrics`, health) or Socket Mode."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.core.errors import StartupError
from bot.core.metrics import CONTENT_TYPE
from bot.core.settings import Settings
from bot.deps import Deps
from bot.webhooks.receiver import PATH as WEBHOOK_PATH
from bot.webhooks.receiver import WebhookReceiver, add_route

log = logging.getLogger(__name__)

Hook = Callable[[web.Application], None]
Ready = Callable[[], Awaitable[None]] | None
web_hooks: list[Hook] = []  # later features add routes (metrics, OAuth) here
MAX_BODY = 1024 * 1024  # Slack's payloads are far smaller; bigger bodies get 413


def bolt_request(
    body: str, headers: dict[str, str | Sequence[str]], query: str = ""
) -> AsyncBoltRequest | None:
    """Bolt's request object, or None for a payload Bolt cannot even parse."""
    try:
        return AsyncBoltRequest(body=body, query=query, headers=headers)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        return None


def webhook_receiver(deps: Deps) -> WebhookReceiver:
    """The front door for Sentry's deliveries, on the app's store, metrics and pipeline."""
    return WebhookReceiver(deps.hook_tenants, deps.store, deps.metrics, deps.pipeline)


def http_app(app: AsyncApp, deps: Deps, *, metrics: bool = True) -> web.Application:
    """The aiohttp application for HTTP mode."""
    from slack_bolt.adapter.aiohttp import to_aiohttp_response

    async def events(request: web.Request) -> web.Response:
        headers: dict[str, str | Sequence[str]] = dict(request.headers)
        bolt_req = bolt_request(await request.text(), headers, request.query_string)
        if bolt_req is None:
            deps.metrics.rejected.labels("malformed").inc()
            return web.Response(status=400, text="malformed payload")
        return await to_aiohttp_response(await app.async_dispatch(bolt_req))

    web_app = web.Application(client_max_size=MAX_BODY)
    web_app.router.add_post("/slack/events", events)
    if deps.settings.sentry_webhooks:
        add_route(web_app, webhook_receiver(deps))
    add_ops_routes(web_app, app, deps, metrics=metrics)
    for hook in web_hooks:
        hook(web_app)
    for route in deps.web_routes.values():  # features' own endpoints
        route(web_app)
    return web_app


def webhook_app(deps: Deps) -> web.Application:
    """Socket Mode's HTTP side: only `POST /sentry/webhook` (and `/healthz`), on PORT."""
    hooks = web.Application(client_max_size=MAX_BODY)
    add_route(hooks, webhook_receiver(deps))

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    hooks.router.add_get("/healthz", healthz)
    for route in deps.web_routes.values():  # e.g. the alert-rule action
        route(hooks)
    return hooks


def add_ops_routes(
    web_app: web.Application,
    app: AsyncApp,
    deps: Deps,
    *,
    metrics: bool = True,
    oauth: bool = True,
) -> None:
    """`/healthz`, `/readyz`, `/metrics` and, with OAuth, `/slack/install` + redirect."""
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def readyz(_: web.Request) -> web.Response:
        try:
            ok = await asyncio.wait_for(deps.store.ping(), 2.0)
        except Exception:
            ok = False
        return web.json_response({"ok": ok, "redis": ok}, status=200 if ok else 503)

    async def scrape(_: web.Request) -> web.Response:
        await deps.metrics.refresh()
        return web.Response(body=deps.metrics.render(), headers={"Content-Type": CONTENT_TYPE})

    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/readyz", readyz)
    if metrics:
        web_app.router.add_get("/metrics", scrape)
    flow = app.oauth_flow if oauth else None
    if flow is not None:

        async def install(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await flow.handle_installation(await to_bolt_request(request))
            )

        async def redirect(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await flow.handle_callback(await to_bolt_request(request))
            )

        web_app.router.add_get(flow.install_path, install)
        web_app.router.add_get(flow.redirect_uri_path, redirect)


async def _start(web_app: web.Application, host: str, port: int, what: str) -> web.AppRunner:
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        await runner.cleanup()
        if exc.errno == errno.EADDRINUSE:
            why = f"{host}:{port} is already in use"
        else:
            why = f"it cannot listen on {host}:{port} ({exc.strerror or exc})"
        raise StartupError(f"{why}; set {what} (and HOST) to a free address.") from None
    return runner


async def _socket_mode(
    settings: Settings, app: AsyncApp, stop: asyncio.Event, on_ready: Ready
) -> None:
    """Connect to Slack and serve until `stop`; a stop while still connecting ends at once."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    assert settings.slack_app_token is not None
    handler = AsyncSocketModeHandler(app, settings.slack_app_token.get_secret_value())
    log.info("connecting to Slack (Socket Mode)")
    # Bolt retries a failed connection forever; SIGTERM must not wait for Slack to answer.
    connect = asyncio.ensure_future(handler.connect_async())  # type: ignore[no-untyped-call]
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({connect, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
    if not connect.done():
        connect.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await connect
        log.info("stopped before Slack accepted the Socket Mode connection")
        await handler.close_async()  # type: ignore[no-untyped-call]
        return
    connect.result()
    log.info("Dexter is running in Socket Mode")
    if on_ready:
        await on_ready()
    await stop.wait()
    await handler.close_async()  # type: ignore[no-untyped-call]


async def serve(settings: Settings, deps: Deps, app: AsyncApp, on_ready: Ready = None) -> None:
    """Run until SIGINT/SIGTERM, in the configured mode."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    runners: list[web.AppRunner] = []
    if settings.metrics_port:
        # /metrics (and health, and OAuth in Socket Mode) on their own port
        side = web.Application()
        if settings.socket_mode:
            add_ops_routes(side, app, deps)
        else:
            _metrics_only(side, deps)
        runners.append(await _start(side, settings.host, settings.metrics_port, "METRICS_PORT"))
        log.info("metrics on http://%s:%s/metrics", settings.host, settings.metrics_port)
    try:
        if settings.socket_mode:
            if settings.sentry_webhooks:  # Sentry cannot use the socket: it needs PORT
                hooks = webhook_app(deps)
                runners.append(await _start(hooks, settings.host, settings.port, "PORT"))
                log.info(
                    "Sentry webhooks on http://%s:%s%s", settings.host, settings.port, WEBHOOK_PATH
                )
            await _socket_mode(settings, app, stop, on_ready)
            return
        main = http_app(app, deps, metrics=not settings.metrics_port)
        runners.append(await _start(main, settings.host, settings.port, "PORT"))
        log.info("Dexter is listening on http://%s:%s/slack/events", settings.host, settings.port)
        if on_ready:
            await on_ready()
        await stop.wait()
    finally:
        for runner in runners:
            await runner.cleanup()


async def serve_worker(
    settings: Settings, deps: Deps, app: AsyncApp, on_ready: Ready = None
) -> None:
    """The worker role: no Slack endpoint; health and metrics on METRICS_PORT when set.
    Runs until SIGINT/SIGTERM (its jobs are started by `on_ready`)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    runner: web.AppRunner | None = None
    if settings.metrics_port:
        side = web.Application()
        add_ops_routes(side, app, deps, oauth=False)
        runner = await _start(side, settings.host, settings.metrics_port, "METRICS_PORT")
        log.info("metrics on http://%s:%s/metrics", settings.host, settings.metrics_port)
    try:
        if on_ready:
            await on_ready()
        log.info("Dexter worker is running")
        await stop.wait()
    finally:
        if runner is not None:
            await runner.cleanup()


def _metrics_only(web_app: web.Application, deps: Deps) -> None:
    async def scrape(_: web.Request) -> web.Response:
        await deps.metrics.refresh()
        return web.Response(body=deps.metrics.render(), headers={"Content-Type": CONTENT_TYPE})

    web_app.router.add_get("/metrics", scrape)

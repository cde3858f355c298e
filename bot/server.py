"""Serve the app: HTTP (`POST /slack/events`, `GET /healthz`) or Socket Mode."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable

from aiohttp import web
from slack_bolt.async_app import AsyncApp

from bot.deps import Deps
from bot.settings import Settings

log = logging.getLogger(__name__)

Hook = Callable[[web.Application], None]
web_hooks: list[Hook] = []  # later features add routes (metrics, OAuth) here


def http_app(app: AsyncApp, deps: Deps) -> web.Application:
    """The aiohttp application for HTTP mode."""
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request

    async def events(request: web.Request) -> web.Response:
        bolt_resp = await app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_resp)

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    web_app = web.Application(client_max_size=1024 * 1024)
    web_app.router.add_post("/slack/events", events)
    web_app.router.add_get("/healthz", healthz)
    for hook in web_hooks:
        hook(web_app)
    return web_app


async def serve(
    settings: Settings,
    deps: Deps,
    app: AsyncApp,
    on_ready: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Run until SIGINT/SIGTERM, in the configured mode."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    if settings.socket_mode:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        assert settings.slack_app_token is not None
        handler = AsyncSocketModeHandler(app, settings.slack_app_token.get_secret_value())
        await handler.connect_async()  # type: ignore[no-untyped-call]
        log.info("Dexter is running in Socket Mode")
        if on_ready:
            await on_ready()
        await stop.wait()
        await handler.close_async()  # type: ignore[no-untyped-call]
        return
    runner = web.AppRunner(http_app(app, deps), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    log.info("Dexter is listening on http://%s:%s/slack/events", settings.host, settings.port)
    if on_ready:
        await on_ready()
    await stop.wait()
    await runner.cleanup()

"""`POST /sentry/alert-rule-action` and its channel options, on Dexter's HTTP server.

Sentry calls these while someone edits an alert rule in Sentry's UI (see bot/alert_push/action.py
for the contract). Both are signed with the integration's client secret; unsigned or wrongly
signed requests get 401 and no Slack call.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.alert_push import texts
from bot.alert_push.action import (
    CHANNELS_URI,
    SETTINGS_URI,
    channel_of_fields,
    channel_options,
    check_channel,
)
from bot.tenancy import workspace

if TYPE_CHECKING:
    from bot.deps import Deps

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
TeamOf = Callable[[str], Awaitable[str | None]]
TEAM_OF_INSTALLATION = "sentry_installation_team"  # deps.extras: installation uuid → team id


def signed(secret: str, body: bytes, signature: str | None) -> bool:
    """Sentry's `Sentry-App-Signature`: hex HMAC-SHA256 of the raw body with the client secret
    (SentryApp.build_signature, src/sentry/sentry_apps/models/sentry_app.py)."""
    if not secret or not signature:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.strip().lower())


def _message(text: str, status: int) -> web.Response:
    return web.json_response({"message": text}, status=status)


async def _team(deps: Deps, installation: str) -> tuple[bool, str | None]:
    """(known, team id): single-workspace installs serve one workspace (team None)."""
    if not deps.settings.multi_workspace:
        return True, None
    team_of: TeamOf | None = deps.extras.get(TEAM_OF_INSTALLATION)
    team = await team_of(installation) if team_of and installation else None
    return team is not None, team


def add_routes(web_app: web.Application, deps: Deps, client: AsyncWebClient) -> None:
    """Add the alert-rule action's two endpoints (only when SENTRY_CLIENT_SECRET is set)."""
    secret_value = deps.settings.sentry_client_secret
    if secret_value is None:
        return
    secret = secret_value.get_secret_value()

    async def settings_check(request: web.Request) -> web.Response:
        body = await request.content.read(MAX_BODY + 1)
        if len(body) > MAX_BODY:
            return _message(texts.BAD_REQUEST, 413)
        if not signed(secret, body, request.headers.get("Sentry-App-Signature")):
            log.warning("alert-rule-action request with a missing or wrong signature refused")
            return _message(texts.BAD_REQUEST, 401)
        try:
            payload: Any = json.loads(body)
        except ValueError:
            return _message(texts.BAD_REQUEST, 400)
        if not isinstance(payload, dict):
            return _message(texts.BAD_REQUEST, 400)
        known, team = await _team(deps, str(payload.get("installationId") or ""))
        if not known:
            return _message(texts.NO_WORKSPACE, 400)
        async with workspace(deps, team):
            check = await check_channel(client, channel_of_fields(payload.get("fields")))
        if not check.ok:
            log.info("alert-rule action refused for channel %s: %s", check.channel, check.problem)
            return _message(check.problem or texts.BAD_REQUEST, 400)
        return _message(texts.CHANNEL_OK, 200)

    async def options(request: web.Request) -> web.Response:
        # select_requester.py signs the empty string for these GETs
        if not signed(secret, b"", request.headers.get("Sentry-App-Signature")):
            return _message(texts.BAD_REQUEST, 401)
        known, team = await _team(deps, request.query.get("installationId", ""))
        if not known:
            return _message(texts.NO_WORKSPACE, 400)
        try:
            async with workspace(deps, team):
                found = await channel_options(client, request.query.get("query", ""))
        except SlackApiError as exc:
            log.warning("listing channels for Sentry failed: %s", exc.response.get("error"))
            return _message(texts.BAD_REQUEST, 502)
        return web.json_response(found)

    web_app.router.add_post(SETTINGS_URI, settings_check)
    web_app.router.add_get(CHANNELS_URI, options)

"""`POST /sentry/alert-rule-action` and its channel options, on Dexter's HTTP server.

Sentry calls these while someone edits an alert rule in Sentry's UI (see bot/alert_push/action.py
for the contract). Both are signed with the integration's client secret; unsigned or wrongly
signed requests get 401 and no Slack call.
"""

from __future__ import annotations

import contextlib
import json
import logging
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
from bot.webhooks.tenants import HookTenants, UnknownInstallation

if TYPE_CHECKING:
    from bot.core.settings import Settings
    from bot.slack.tenancy import Tenancy

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024


def _message(text: str, status: int) -> web.Response:
    return web.json_response({"message": text}, status=status)


async def _workspace_of(
    tenants: HookTenants,
    body: bytes,
    signature: str | None,
    installation: str,
    *,
    learn: bool = True,
) -> tuple[int, str | None]:
    """(status, team id) of a request: 200 and the workspace whose client secret signed it
    (None in a single-workspace install), 401 when none did or the installation belongs to
    another workspace, 400 when Dexter holds no secret that could (the same rule as
    deliveries, bot/webhooks/tenants.py)."""
    if not signature:
        return 401, None
    try:
        team = await tenants.resolve(body, signature, installation or None, learn=learn)
    except UnknownInstallation:
        return 400, None
    if team is None:
        return 401, None
    return 200, team or None


class AlertRuleEndpoints:
    """The alert-rule action's two endpoints, added to the web app where Sentry webhooks are
    served; each asks Slack as the workspace whose secret signed the request."""

    def __init__(
        self, settings: Settings, tenants: HookTenants, tenancy: Tenancy, client: AsyncWebClient
    ) -> None:
        self.settings = settings
        self.tenants = tenants
        self.tenancy = tenancy
        self.client = client

    def add_routes(self, web_app: web.Application) -> None:
        """Add both endpoints (only where Sentry webhooks are served)."""
        if not self.settings.sentry_webhooks:
            return
        web_app.router.add_post(SETTINGS_URI, self.settings_check)
        web_app.router.add_get(CHANNELS_URI, self.options)

    async def settings_check(self, request: web.Request) -> web.Response:
        """Sentry checks the rule's settings (the channel) before saving it."""
        body = await request.content.read(MAX_BODY + 1)
        if len(body) > MAX_BODY:
            return _message(texts.BAD_REQUEST, 413)
        payload: Any = None
        with contextlib.suppress(ValueError):
            payload = json.loads(body)
        fields = payload if isinstance(payload, dict) else {}
        signature = request.headers.get("Sentry-App-Signature")
        installation = str(fields.get("installationId") or "")
        status, team = await _workspace_of(self.tenants, body, signature, installation)
        if status == 401:
            log.warning("alert-rule-action request with a missing or wrong signature refused")
            return _message(texts.BAD_REQUEST, 401)
        if status != 200:
            return _message(texts.NO_WORKSPACE, 400)
        if not isinstance(payload, dict):
            return _message(texts.BAD_REQUEST, 400)
        async with self.tenancy.workspace(team):
            check = await check_channel(self.client, channel_of_fields(payload.get("fields")))
        if not check.ok:
            log.info("alert-rule action refused for channel %s: %s", check.channel, check.problem)
            return _message(check.problem or texts.BAD_REQUEST, 400)
        return _message(texts.CHANNEL_OK, 200)

    async def options(self, request: web.Request) -> web.Response:
        """The channel picker's options, as Sentry's UI loads them."""
        # select_requester.py signs the empty string for these GETs: `installationId` is not
        # covered by the signature, so it may pick the workspace but never teaches a new tie
        signature = request.headers.get("Sentry-App-Signature")
        installation = request.query.get("installationId", "")
        status, team = await _workspace_of(self.tenants, b"", signature, installation, learn=False)
        if status == 401:
            return _message(texts.BAD_REQUEST, 401)
        if status != 200:
            return _message(texts.NO_WORKSPACE, 400)
        try:
            async with self.tenancy.workspace(team):
                found = await channel_options(self.client, request.query.get("query", ""))
        except SlackApiError as exc:
            log.warning("listing channels for Sentry failed: %s", exc.response.get("error"))
            return _message(texts.BAD_REQUEST, 502)
        return web.json_response(found)

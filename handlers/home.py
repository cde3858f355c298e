"""App Home: publish the personal dashboard (bot/home/view.py) whenever a user opens it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.logs import new_correlation_id
from bot.deps import Deps
from bot.home.view import publish
from handlers.error_replies import describe

log = logging.getLogger(__name__)


def register(app: AsyncApp, deps: Deps) -> None:
    """Publish Home whenever a user opens it."""

    @app.event("app_home_opened")
    async def on_home(event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        new_correlation_id()
        team_id = str(body.get("team_id") or "")
        user_id = str(event.get("user") or "")
        try:
            await publish(deps, client, team_id, user_id, describe=describe)
        except Exception:
            log.exception("could not publish App Home for %s", user_id)

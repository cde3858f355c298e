"""App Home: publish the personal dashboard (bot/home/view.py) whenever a user opens it."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp

from bot.deps import Deps
from handlers.context import Interaction, listener
from handlers.error_replies import describe

log = logging.getLogger(__name__)


def register(app: AsyncApp, deps: Deps) -> None:
    """Publish Home whenever a user opens it."""

    @app.event("app_home_opened")
    @listener(deps, "event")
    async def on_home(ctx: Interaction) -> None:
        if ctx.event.get("tab", "home") != "home":
            return
        try:
            await deps.home.publish(ctx.client, ctx.team_id, ctx.user_id, describe=describe)
        except Exception:  # Home keeps what it showed; the next opening tries again
            log.exception("could not publish App Home for %s", ctx.user_id)

"""Slack users as Dexter needs them (email, admin flag, time zone), cached in Redis."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from pydantic import BaseModel
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.errors import SlackUnavailable
from bot.core.settings import Settings
from bot.core.store import Store

log = logging.getLogger(__name__)

USER_TTL = 600.0
NO_SUCH_USER = frozenset({"user_not_found", "user_not_visible"})


class SlackUser(BaseModel):
    id: str
    name: str = ""
    email: str | None = None
    email_verified: bool = True
    is_admin: bool = False
    tz: str | None = None


class SlackDirectory:
    """`users.info` through a short Redis cache."""

    def __init__(self, client: AsyncWebClient, store: Store, settings: Settings) -> None:
        self.client = client
        self.store = store
        self.settings = settings

    async def user(self, team_id: str, user_id: str) -> SlackUser | None:
        """The Slack user, None when Slack does not know them; SlackUnavailable on failure."""

        async def load() -> dict[str, Any]:
            # Only Slack's "no such user" is an answer worth keeping; a failure is never
            # cached (it would read as "no email" for ten minutes, across restarts).
            try:
                resp = await self.client.users_info(user=user_id)
            except SlackApiError as exc:
                error = str(exc.response.get("error") or exc.response.status_code)
                if error in NO_SUCH_USER:
                    return {}
                log.warning("users.info for %s failed: %s", user_id, error)
                raise SlackUnavailable(f"users.info failed: {error}") from None
            except (OSError, TimeoutError, aiohttp.ClientError) as exc:
                log.warning("users.info for %s failed: %s", user_id, type(exc).__name__)
                raise SlackUnavailable(f"users.info failed: {type(exc).__name__}") from None
            u = resp.get("user") or {}
            profile = u.get("profile") or {}
            return SlackUser(
                id=user_id,
                name=profile.get("display_name") or u.get("real_name") or u.get("name") or "",
                email=profile.get("email"),
                email_verified=bool(u.get("is_email_confirmed", True)),
                is_admin=bool(u.get("is_admin") or u.get("is_owner")),
                tz=u.get("tz"),
            ).model_dump()

        raw = await self.store.cached(
            self.store.key("slack-user", team_id or "-", user_id), USER_TTL, load
        )
        return SlackUser.model_validate(raw) if raw else None

    async def verified_email(self, team_id: str, user_id: str) -> str | None:
        """The user's profile email when Slack has confirmed it."""
        user = await self.user(team_id, user_id)
        return user.email if user and user.email and user.email_verified else None

    async def is_admin(self, team_id: str, user_id: str) -> bool:
        """A Slack workspace admin/owner, or listed in DEXTER_ADMINS."""
        if user_id in self.settings.admin_ids:
            return True
        user = await self.user(team_id, user_id)
        return bool(user and user.is_admin)

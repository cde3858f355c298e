"""Bot tokens for background jobs: found by team id, refreshed before they expire.

Requests get their token from Bolt's authorize. A digest or a release notice knows only
its workspace, so it asks here: the installation is found wherever it lives (also on
Enterprise Grid), and an expiring token (Slack token rotation) is refreshed with
slack_sdk's AsyncTokenRotator under a Redis lock, so one replica refreshes while the
others wait and then read the new token.
"""

from __future__ import annotations

import logging
import time

from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.oauth.installation_store import Bot
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator

from bot.core.store import Store
from bot.slack.oauth_store import RedisInstallationStore

log = logging.getLogger(__name__)

REFRESH_BEFORE = 120  # minutes before expiry a token is refreshed (what Bolt does)
LOCK_TTL = 30.0
LOCK_WAIT = 10.0


def _expiring(bot: Bot, now: float) -> bool:
    expires = bot.bot_token_expires_at
    return expires is not None and expires <= now + REFRESH_BEFORE * 60


class BotTokens:
    """The current bot token of a workspace, for work that did not come from Slack."""

    def __init__(
        self,
        store: Store,
        installations: RedisInstallationStore,
        rotator: AsyncTokenRotator,
        *,
        lock_wait: float = LOCK_WAIT,
    ) -> None:
        self.store = store
        self.installations = installations
        self.rotator = rotator
        self.lock_wait = lock_wait
        self.refreshed = 0

    async def for_team(self, team_id: str) -> str | None:
        """The workspace's bot token (refreshed first when it is about to expire), or None."""
        bot = await self.installations.async_find_bot_for_team(team_id)
        if bot is None or not _expiring(bot, time.time()):
            return bot.bot_token if bot else None
        name = f"slack-token:{bot.enterprise_id or '-'}:{bot.team_id or '-'}"
        async with self.store.lock(name, ttl=LOCK_TTL, wait=self.lock_wait) as got:
            # another replica may have refreshed it while this one waited for the lock
            current = await self.installations.async_find_bot_for_team(team_id)
            if current is None or not got or not _expiring(current, time.time()):
                return current.bot_token if current else None
            try:
                fresh = await self.rotator.perform_bot_token_rotation(
                    bot=current, minutes_before_expiration=REFRESH_BEFORE
                )
            except SlackTokenRotationError as exc:
                log.error("could not refresh the bot token of %s: %s", team_id, exc)
                return current.bot_token
            if fresh is None:
                return current.bot_token
            await self.installations.async_save_bot(fresh)
            self.refreshed += 1
            log.info("refreshed the bot token of %s", team_id)
            return fresh.bot_token

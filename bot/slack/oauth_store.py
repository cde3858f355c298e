"""Slack OAuth on Redis: installations (tokens encrypted at rest) and one-time OAuth states.

slack-sdk ships neither store for Redis. Layout, one hash per workspace (or org install):
`install:<enterprise>-<team>` with fields `bot`, `installer-latest` and `installer-<user>`.
Every replica reads the same hash, so any of them can serve any workspace.

Background jobs know only a team id; `install-teams` maps it to where its bot lives (an
Enterprise Grid workspace install under its enterprise, or an org-wide install), written
on install and when a request from the team arrives.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from bot.core.crypto import SecretBox
from bot.core.errors import StateUnavailable
from bot.core.logs import register_secret
from bot.core.store import Store

log = logging.getLogger(__name__)

STATE_TTL = 600
LATEST = "installer-latest"


@asynccontextmanager
async def _guard() -> AsyncIterator[None]:
    try:
        yield
    except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
        raise StateUnavailable("Dexter's state store (Redis) is unavailable") from exc


def _team_key(enterprise_id: str | None, team_id: str | None, is_org: bool | None) -> str:
    return f"{enterprise_id or 'none'}-{'none' if is_org else team_id or 'none'}"


class RedisInstallationStore(AsyncInstallationStore):
    """Bolt's installation store on Dexter's Redis."""

    def __init__(self, store: Store, box: SecretBox) -> None:
        self.store = store
        self.box = box
        self.teams_key = store.key("install-teams")
        self._known: set[tuple[str, str, bool]] = set()
        self._scanned: set[str] = set()

    @property
    def logger(self) -> logging.Logger:
        return log

    def _key(self, enterprise_id: str | None, team_id: str | None, is_org: bool | None) -> str:
        return self.store.key("install", _team_key(enterprise_id, team_id, is_org))

    def _pack(self, value: Installation | Bot) -> str:
        return self.box.encrypt(json.dumps(value.__dict__))

    def _unpack(self, raw: bytes | str | None) -> dict[str, Any] | None:
        return self._open(raw)[0]

    def _open(self, raw: bytes | str | None) -> tuple[dict[str, Any] | None, bool]:
        """(the record, True when an older DEXTER_SECRET_KEY encrypted it)."""
        if raw is None:
            return None, False
        text = raw.decode() if isinstance(raw, bytes) else raw
        try:
            plain, stale = self.box.open(text)
            data: dict[str, Any] = json.loads(plain)
        except ValueError:
            log.error("cannot decrypt an installation: was DEXTER_SECRET_KEY changed?")
            return None, False
        for name in ("bot_token", "user_token", "bot_refresh_token", "user_refresh_token"):
            register_secret(data.get(name))
        return data, stale

    async def _reencrypt(self, key: str, field: str, data: dict[str, Any]) -> None:
        """Store a record read with an older key again under the first key."""
        async with _guard():
            await self.store.redis.hset(key, field, self.box.encrypt(json.dumps(data)))

    async def async_save(self, installation: Installation) -> None:
        """Save the installer (latest and per user) and its bot."""
        key = self._key(
            installation.enterprise_id, installation.team_id, installation.is_enterprise_install
        )
        packed = self._pack(installation)
        user_field = f"installer-{installation.user_id or 'none'}"
        async with _guard():
            await self.store.redis.hset(key, mapping={LATEST: packed, user_field: packed})
        await self.async_save_bot(installation.to_bot())

    async def async_save_bot(self, bot: Bot) -> None:
        """Save the latest bot token of a workspace (also after a token rotation)."""
        if bot.bot_token is None:
            return
        key = self._key(bot.enterprise_id, bot.team_id, bot.is_enterprise_install)
        async with _guard():
            await self.store.redis.hset(key, "bot", self._pack(bot))
        if bot.team_id and not bot.is_enterprise_install:
            await self.remember_team(bot.team_id, bot.enterprise_id, False, force=True)

    async def remember_team(
        self,
        team_id: str,
        enterprise_id: str | None,
        is_enterprise_install: bool,
        *,
        force: bool = False,
    ) -> None:
        """Record where the bot of `team_id` is installed (once per process, unless forced)."""
        where = (team_id, enterprise_id or "", bool(is_enterprise_install))
        if where in self._known and not force:
            return
        async with _guard():
            await self.store.redis.hset(self.teams_key, team_id, f"{where[1]}|{int(where[2])}")
        self._known.add(where)

    async def async_find_bot_for_team(self, team_id: str) -> Bot | None:
        """The bot serving `team_id`, wherever it is installed (plain, Grid or org-wide)."""
        async with _guard():
            raw = await self.store.redis.hget(self.teams_key, team_id)
        if raw is not None:
            enterprise, _, org = (raw.decode() if isinstance(raw, bytes) else raw).partition("|")
            return await self.async_find_bot(
                enterprise_id=enterprise or None,
                team_id=None if org == "1" else team_id,
                is_enterprise_install=org == "1",
            )
        bot = await self.async_find_bot(enterprise_id=None, team_id=team_id)
        if bot is not None or team_id in self._scanned:
            return bot
        # installed before the index existed: look for `install:<enterprise>-<team>`, once
        # per process (a SCAN walks the whole keyspace)
        self._scanned.add(team_id)
        async with _guard():
            keys = [
                k async for k in self.store.redis.scan_iter(match=self._key("*", team_id, False))
            ]
        for key in keys:
            name = key.decode() if isinstance(key, bytes) else str(key)
            enterprise = name.removeprefix(self.store.key("install", "")).rsplit("-", 1)[0]
            if enterprise not in ("", "none"):
                bot = await self.async_find_bot(enterprise_id=enterprise, team_id=team_id)
                if bot is not None:
                    await self.remember_team(team_id, enterprise, False)
                    return bot
        return None

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        """The workspace's bot, or None when it is not installed."""
        key = self._key(enterprise_id, team_id, is_enterprise_install)
        async with _guard():
            raw = await self.store.redis.hget(key, "bot")
        data, stale = self._open(raw)
        if data and stale:
            await self._reencrypt(key, "bot", data)
        return Bot(**data) if data else None

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        """The latest installation (or one user's), carrying the current bot token."""
        key = self._key(enterprise_id, team_id, is_enterprise_install)
        field = LATEST if user_id is None else f"installer-{user_id}"
        async with _guard():
            raw_inst, raw_bot = await self.store.redis.hmget(key, [field, "bot"])
        data, stale = self._open(raw_inst)
        if data is None:
            return None
        if stale:
            await self._reencrypt(key, field, data)
        installation = Installation(**data)
        bot = self._unpack(raw_bot)
        if bot and bot.get("bot_token") != installation.bot_token:
            # the bot token was rotated (or reinstalled) after this installer's record
            for name in (
                "bot_id",
                "bot_user_id",
                "bot_token",
                "bot_scopes",
                "bot_refresh_token",
                "bot_token_expires_at",
            ):
                setattr(installation, name, bot.get(name))
        return installation

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Forget the workspace's bot token."""
        async with _guard():
            await self.store.redis.hdel(self._key(enterprise_id, team_id, False), "bot")

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        """Forget one user's installation, or every installer record of the workspace."""
        key = self._key(enterprise_id, team_id, False)
        async with _guard():
            if user_id is not None:
                await self.store.redis.hdel(key, f"installer-{user_id}")
                return
            fields = [
                f.decode() if isinstance(f, bytes) else f for f in await self.store.redis.hkeys(key)
            ]
            installers = [f for f in fields if f.startswith("installer-")]
            if installers:
                await self.store.redis.hdel(key, *installers)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Forget everything about the workspace (uninstall)."""
        async with _guard():
            await self.store.redis.delete(self._key(enterprise_id, team_id, False))
            if team_id:
                await self.store.redis.hdel(self.teams_key, team_id)
        self._known = {k for k in self._known if k[0] != team_id}


class RedisOAuthStateStore(AsyncOAuthStateStore):
    """OAuth `state` values that work once, on any replica, for `expiration_seconds`."""

    def __init__(self, store: Store, *, expiration_seconds: int = STATE_TTL) -> None:
        self.store = store
        self.expiration_seconds = expiration_seconds

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        """A fresh random state, remembered for the expiration time."""
        state = secrets.token_urlsafe(24)
        async with _guard():
            await self.store.redis.set(
                self.store.key("oauth-state", state), "1", ex=self.expiration_seconds
            )
        return state

    async def async_consume(self, state: str) -> bool:
        """True once for a state this store issued and that has not expired."""
        async with _guard():
            found = await self.store.redis.getdel(self.store.key("oauth-state", state))
        return found is not None

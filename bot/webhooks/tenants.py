"""Which Slack workspace a Sentry delivery belongs to, decided by whose secret signed it.

One workspace (SENTRY_CLIENT_SECRET): every verified delivery is the environment's, team "".
Many workspaces: each `/dexter setup` stores its integration's client secret, and only those
verify deliveries (the environment's secret could not say which workspace, whose channels,
whose bot token a delivery is for, so it is not used there). A delivery
names its installation (`installation.uuid`); the first verified delivery of an installation
teaches Dexter its workspace (the secret that verified it), later ones are checked against
that workspace's secret alone. Any workspace admin can sign any body with their own secret,
so a body naming an installation tied to another workspace is refused (and logged), never
re-pointed: the tie changes only when Sentry deletes the installation. The payload's uuid
decides which secret may verify, and the workspace is always the one whose secret did.
"""

from __future__ import annotations

import logging

from bot.core.settings import Settings
from bot.core.store import Store
from bot.webhooks.signature import valid_signature
from bot.workspaces.sentry_config import WorkspaceService

log = logging.getLogger(__name__)


class UnknownInstallation(Exception):
    """No secret could apply to this delivery: Dexter has none for its installation."""


class HookTenants:
    """Resolves a delivery's workspace; remembers installations Sentry deleted."""

    def __init__(self, settings: Settings, store: Store, workspaces: WorkspaceService) -> None:
        self.settings = settings
        self.store = store
        self.workspaces = workspaces
        self._index = store.key("sentry-hook", "installations")  # uuid → team id
        self._gone = store.key("sentry-hook", "deleted")  # uuids Sentry uninstalled

    def _env_secret(self) -> str | None:
        secret = self.settings.sentry_client_secret
        return secret.get_secret_value() if secret is not None else None

    async def _team_secret(self, team_id: str) -> str | None:
        cfg = await self.workspaces.get(team_id)
        if cfg is None or cfg.hook_secret is None:
            return None
        return cfg.hook_secret.get_secret_value()

    async def resolve(
        self, body: bytes, signature: str, installation: str | None, *, learn: bool = True
    ) -> str | None:
        """The workspace whose secret signed `body` ("" for the environment's), None when no
        secret verifies it or it names an installation tied to another workspace;
        UnknownInstallation when Dexter holds no secret that could. `learn`: tie an installation
        seen for the first time to the workspace that signed it."""
        if installation and await self.store.redis.sismember(self._gone, installation):
            raise UnknownInstallation
        env = self._env_secret()
        if not self.settings.multi_workspace:
            if env is None:
                raise UnknownInstallation
            return "" if valid_signature(env, body, signature) else None
        owner = await self.owner(installation) if installation else None
        if owner is not None:
            secret = await self._team_secret(owner)
            if secret is not None and valid_signature(secret, body, signature):
                return owner
            # another secret cannot make it the owner's; tried only to log who signed it
            for team in await self.workspaces.with_hook_secret():
                other = await self._team_secret(team) if team != owner else None
                if other is not None and valid_signature(other, body, signature):
                    log.warning(
                        "sentry installation %s belongs to another workspace (%s): "
                        "a request signed by workspace %s refused",
                        installation,
                        owner,
                        team,
                    )
                    break
            return None
        candidates = await self.workspaces.with_hook_secret()
        if not candidates:
            raise UnknownInstallation
        for team in candidates:
            secret = await self._team_secret(team)
            if secret is not None and valid_signature(secret, body, signature):
                if installation and learn:
                    # HSETNX: two first deliveries at once cannot re-point each other's tie
                    await self.store.redis.hsetnx(self._index, installation, team)
                    if await self.owner(installation) != team:
                        return None
                return team
        return None

    async def owner(self, installation: str) -> str | None:
        """The workspace an installation is tied to, None when Dexter has not seen it."""
        known = await self.store.redis.hget(self._index, installation)
        if known is None:
            return None
        return known.decode() if isinstance(known, bytes) else str(known)

    async def forget(self, installation: str) -> None:
        """Sentry deleted this installation: refuse its deliveries from now on (installing the
        integration again gives a new installation uuid)."""
        pipe = self.store.redis.pipeline(transaction=True)
        pipe.hdel(self._index, installation)
        pipe.sadd(self._gone, installation)
        await pipe.execute()

    async def installed(self, installation: str, team_id: str) -> None:
        """Sentry (re)installed this installation for a workspace (never re-points a tie)."""
        pipe = self.store.redis.pipeline(transaction=True)
        pipe.srem(self._gone, installation)
        if team_id:
            pipe.hsetnx(self._index, installation, team_id)
        await pipe.execute()

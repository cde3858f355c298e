"""Per-workspace Sentry settings (URL, organisation, encrypted token) and the client resolver.

A workspace without its own settings uses the environment's (SENTRY_URL, SENTRY_ORG,
SENTRY_AUTH_TOKEN), so single-workspace deployments need nothing from here.
"""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, SecretStr

from bot import errors
from bot.crypto import SecretBox
from bot.logs import register_secret
from bot.sentry.client import SentryClient
from bot.settings import Settings
from bot.store import Store

if TYPE_CHECKING:
    from bot.deps import Deps
    from bot.metrics import Metrics

log = logging.getLogger(__name__)

# How long a replica keeps using a workspace's settings when Redis cannot be asked.
STALE_OK = 600.0
FRESH = 30.0  # seconds a workspace's settings are reused before reading Redis again
VERIFY_TIMEOUT = 10.0


class WorkspaceSentry(BaseModel):
    """One workspace's Sentry connection."""

    url: str
    org: str
    token: SecretStr
    updated_by: str = ""
    updated_at: str = ""

    @property
    def base(self) -> str:
        return self.url.rstrip("/")

    def fingerprint(self) -> str:
        """Identifies the connection without revealing the token."""
        raw = f"{self.base}|{self.org}|{self.token.get_secret_value()}"
        return hashlib.sha256(raw.encode()).hexdigest()[:16]


class WorkspaceService:
    """Stores workspace settings in Redis and hands out one pooled client per connection."""

    def __init__(
        self, settings: Settings, store: Store, default: SentryClient, metrics: Metrics
    ) -> None:
        self.settings = settings
        self.store = store
        self.default = default
        self.metrics = metrics
        self.box = (
            SecretBox(settings.secret_key.get_secret_value()) if settings.secret_key else None
        )
        self._last: dict[str, tuple[WorkspaceSentry | None, float]] = {}
        self._clients: dict[str, SentryClient] = {}

    def key(self, team_id: str) -> str:
        return self.store.key("workspace", team_id, "sentry")

    async def get(self, team_id: str) -> WorkspaceSentry | None:
        """The workspace's own settings, or None when it uses the environment's."""
        try:
            raw = await self.store.get_json(self.key(team_id))
        except errors.StateUnavailable:
            last = self._last.get(team_id)
            if last is not None and time.monotonic() - last[1] < STALE_OK:
                return last[0]
            if self.settings.multi_workspace:
                raise  # guessing the environment's organisation could show another team's data
            return None
        cfg, stale = self._decode(team_id, raw) if raw else (None, False)
        if cfg is not None and stale:  # read with an older DEXTER_SECRET_KEY: re-encrypt
            try:
                await self.save(team_id, cfg)
            except errors.StateUnavailable:
                log.warning("could not re-encrypt workspace %s's settings", team_id)
        self._last[team_id] = (cfg, time.monotonic())
        return cfg

    def _decode(self, team_id: str, raw: dict[str, str]) -> tuple[WorkspaceSentry | None, bool]:
        if self.box is None:
            log.warning("workspace %s has Sentry settings but DEXTER_SECRET_KEY is unset", team_id)
            return None, False
        try:
            token, stale = self.box.open(raw["token"])
        except (ValueError, KeyError):
            log.error("cannot read workspace %s's Sentry token; run /dexter setup again", team_id)
            return None, False
        register_secret(token)
        return WorkspaceSentry(**{**raw, "token": SecretStr(token)}), stale

    async def save(self, team_id: str, cfg: WorkspaceSentry) -> None:
        """Store the settings with the token encrypted."""
        if self.box is None:
            raise errors.UserError("Set DEXTER_SECRET_KEY before saving per-workspace settings.")
        data = cfg.model_dump(mode="json")
        data["token"] = self.box.encrypt(cfg.token.get_secret_value())
        await self.store.set_json(self.key(team_id), data)
        self._last[team_id] = (cfg, time.monotonic())

    async def delete(self, team_id: str) -> None:
        """Forget the workspace's settings (uninstall)."""
        await self.store.delete(self.key(team_id))
        self._last.pop(team_id, None)

    async def client_for(self, team_id: str | None) -> SentryClient:
        """The Sentry client for a workspace (the environment's when it has no settings)."""
        if not team_id:
            return self.default
        last = self._last.get(team_id)
        if last is not None and time.monotonic() - last[1] < FRESH:
            cfg = last[0]  # requests ask on every click: read Redis at most every FRESH s
        else:
            cfg = await self.get(team_id)
        if cfg is None:
            return self.default
        fp = cfg.fingerprint()
        client = self._clients.get(fp)
        if client is None:
            client = self._clients[fp] = self.new_client(cfg)
        return client

    def new_client(self, cfg: WorkspaceSentry, **overrides: object) -> SentryClient:
        """A client for cfg that retries and sleeps the way the default client does."""
        token = cfg.token.get_secret_value()
        register_secret(token)
        kwargs: dict[str, object] = {
            "max_retries": self.default.max_retries,
            "max_rate_wait": self.default.max_rate_wait,
            "backoff_base": self.default.backoff_base,
            "sleep": self.default._sleep,
        }
        kwargs.update(overrides)
        client = SentryClient(base_url=cfg.base, token=token, org=cfg.org, **kwargs)  # type: ignore[arg-type]
        self.metrics.watch_sentry(client)
        return client

    async def verify(self, cfg: WorkspaceSentry) -> str:
        """Ask Sentry for the organisation with these settings; its name, or UserError."""
        client = self.new_client(cfg, max_retries=0, timeout=VERIFY_TIMEOUT)
        try:
            resp = await client.get(client.org_path())
        except errors.SentryUnauthorized:
            raise errors.UserError("Sentry refused that token (401).") from None
        except errors.SentryNotFound:
            raise errors.UserError(
                f"Sentry has no organization `{cfg.org}` visible to that token (404)."
            ) from None
        except errors.SentryForbidden as exc:
            raise errors.UserError(f"Sentry refused access to `{cfg.org}` (403): {exc}") from None
        except errors.SentryError as exc:
            raise errors.UserError(f"Could not reach Sentry at {cfg.base}: {exc.message}") from None
        finally:
            self.metrics.forget_sentry(client)
            await client.aclose()
        data = resp.data if isinstance(resp.data, dict) else {}
        return str(data.get("name") or cfg.org)

    async def aclose(self) -> None:
        """Close every per-workspace client."""
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()


def now_iso() -> str:
    """The current UTC time for `updated_at`."""
    return datetime.now(UTC).isoformat(timespec="seconds")


async def sentry_for_team(deps: Deps, team_id: str | None) -> SentryClient:
    """The Sentry client a Slack workspace should use (the environment's by default)."""
    return await deps.workspaces.client_for(team_id)

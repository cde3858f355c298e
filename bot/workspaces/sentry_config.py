"""Per-workspace Sentry settings (URL, organisation, encrypted token) and the client resolver.

A workspace without its own settings uses the environment's (SENTRY_URL, SENTRY_ORG,
SENTRY_AUTH_TOKEN), so single-workspace deployments need nothing from here.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import TYPE_CHECKING
from urllib.parse import quote

import httpx
from pydantic import BaseModel, SecretStr

from bot.core import clock, errors, messages
from bot.core.crypto import SecretBox
from bot.core.logs import register_secret
from bot.core.settings import Settings
from bot.core.store import Store
from bot.sentry.client import SentryClient
from bot.sentry.egress import EgressPolicy, EgressRefused, GuardedTransport

if TYPE_CHECKING:
    from bot.core.metrics import Metrics

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
    # the client secret of the workspace's Sentry internal integration (signs its webhooks)
    hook_secret: SecretStr | None = None
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
        self.egress = EgressPolicy.from_setting(settings.sentry_allowed_hosts)
        self._last: dict[str, tuple[WorkspaceSentry | None, float]] = {}
        self._clients: dict[str, SentryClient] = {}

    def key(self, team_id: str) -> str:
        return self.store.key("workspace", team_id, "sentry")

    @property
    def hook_index(self) -> str:
        return self.store.key("sentry-hook", "teams")

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
        fields: dict[str, object] = {**raw, "token": SecretStr(token)}
        if raw.get("hook_secret"):
            try:
                hook, hook_stale = self.box.open(raw["hook_secret"])
            except ValueError:
                log.error("cannot read workspace %s's webhook secret; run /dexter setup", team_id)
                fields["hook_secret"] = None
            else:
                register_secret(hook)
                fields["hook_secret"] = SecretStr(hook)
                stale = stale or hook_stale
        return WorkspaceSentry(**fields), stale

    async def save(self, team_id: str, cfg: WorkspaceSentry) -> None:
        """Store the settings with the token encrypted."""
        if self.box is None:
            raise errors.UserError("Set DEXTER_SECRET_KEY before saving per-workspace settings.")
        data = cfg.model_dump(mode="json")
        data["token"] = self.box.encrypt(cfg.token.get_secret_value())
        if cfg.hook_secret is not None:
            data["hook_secret"] = self.box.encrypt(cfg.hook_secret.get_secret_value())
        await self.store.set_json(self.key(team_id), data)
        async with self.store._guard():  # which workspaces take Sentry webhooks (bot/webhooks)
            if cfg.hook_secret is not None:
                await self.store.redis.sadd(self.hook_index, team_id)
            else:
                await self.store.redis.srem(self.hook_index, team_id)
        self._last[team_id] = (cfg, time.monotonic())

    async def delete(self, team_id: str) -> None:
        """Forget the workspace's settings (uninstall)."""
        await self.store.delete(self.key(team_id))
        async with self.store._guard():
            await self.store.redis.srem(self.hook_index, team_id)
        self._last.pop(team_id, None)

    async def with_hook_secret(self) -> list[str]:
        """The workspaces whose settings carry a webhook client secret."""
        async with self.store._guard():
            raw = await self.store.redis.smembers(self.hook_index)
        return sorted(r.decode() if isinstance(r, bytes) else str(r) for r in raw)

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
        kwargs.setdefault("transport", GuardedTransport(self.egress))  # never inward (SSRF)
        client = SentryClient(base_url=cfg.base, token=token, org=cfg.org, **kwargs)  # type: ignore[arg-type]
        self.metrics.watch_sentry(client)
        return client

    async def verify(self, cfg: WorkspaceSentry) -> str:
        """Ask the entered Sentry for the organisation; its name, or UserError in our words.

        A fresh connection to exactly what was entered (never the workspace's current
        client), https only, through the egress guard, without redirects; nothing the
        remote server answers is shown, since it may not be Sentry at all.
        """
        try:
            await self.egress.check_url(cfg.base)
            async with httpx.AsyncClient(
                base_url=f"{cfg.base}/api/0/",
                headers={
                    "Authorization": f"Bearer {cfg.token.get_secret_value()}",
                    "User-Agent": "dexter-slack-bot",
                },
                timeout=httpx.Timeout(VERIFY_TIMEOUT, connect=5.0),
                follow_redirects=False,
                transport=GuardedTransport(self.egress),
            ) as http:
                resp = await http.get(f"organizations/{quote(cfg.org, safe='')}/")
        except EgressRefused as exc:
            raise errors.UserError(exc.reason) from None
        except (httpx.InvalidURL, ValueError):  # e.g. a port out of range
            raise errors.UserError(messages.SETUP_BAD_URL) from None
        except httpx.TimeoutException:
            raise errors.UserError(
                messages.SETUP_TIMEOUT.format(url=cfg.base, seconds=VERIFY_TIMEOUT)
            ) from None
        except httpx.HTTPError as exc:
            refused = exc.__cause__ or exc.__context__
            if isinstance(refused, EgressRefused):
                raise errors.UserError(refused.reason) from None
            log.info("setup check of %s failed: %s", cfg.base, type(exc).__name__)
            raise errors.UserError(messages.SETUP_UNREACHABLE.format(url=cfg.base)) from None
        return _org_name(cfg, resp)

    async def aclose(self) -> None:
        """Close every per-workspace client."""
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()


def _org_name(cfg: WorkspaceSentry, resp: httpx.Response) -> str:
    """The organisation's name from a verification answer, or UserError naming the status."""
    status = resp.status_code
    if status == 401:
        raise errors.UserError(messages.SETUP_TOKEN_REFUSED)
    if status == 403:
        raise errors.UserError(messages.SETUP_FORBIDDEN.format(org=cfg.org))
    if status == 404:
        raise errors.UserError(messages.SETUP_NO_ORG.format(org=cfg.org))
    if 300 <= status < 400:
        raise errors.UserError(messages.SETUP_REDIRECT.format(url=cfg.base))
    if status != 200:
        raise errors.UserError(messages.SETUP_STATUS.format(url=cfg.base, status=status))
    try:
        data = resp.json()
    except ValueError:
        data = None
    if not isinstance(data, dict) or data.get("slug") != cfg.org:
        raise errors.UserError(messages.SETUP_NOT_SENTRY.format(url=cfg.base, org=cfg.org))
    name = data.get("name")
    return name if isinstance(name, str) and name.strip() else cfg.org


def now_iso() -> str:
    """The current UTC time for `updated_at`."""
    return clock.now().isoformat(timespec="seconds")

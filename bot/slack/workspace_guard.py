"""Single-workspace mode: serve the workspace the bot token belongs to, and no other.

A signed request proves that Slack sent it, not that it comes from the workspace Dexter
was set up for: the same app installed in a second workspace (or a user of another
organization in a shared channel) reaches the same URL, and would act with this
workspace's bot token, Sentry token and identity links. `auth.test` with the bot token
says where the token belongs; it is asked once (at start-up in the background, else on the
first request) and kept for the process, and a failure is never kept.

Enterprise Grid: a bot installed org-wide (`is_enterprise_install`) serves every workspace
of its enterprise, so any team id under that enterprise id is ours; a bot installed in one
workspace of a Grid serves that workspace alone. Multi-workspace installs (Slack OAuth)
do not use this guard: each workspace's requests are authorized by its own installation.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.metrics import Metrics

log = logging.getLogger(__name__)

WRONG_WORKSPACE = (
    "Dexter is not set up for this Slack workspace, so it does not answer here. "
    "Ask whoever runs Dexter to install it for this workspace."
)
CANNOT_TELL = (
    "Dexter could not ask Slack which workspace it belongs to, so it does not answer yet. "
    "Try again in a minute."
)


@dataclass(frozen=True, slots=True)
class Installed:
    """Where the bot token belongs, from `auth.test`."""

    team_id: str
    enterprise_id: str | None
    org_wide: bool

    def admits(self, team_id: str | None, enterprise_id: str | None) -> bool:
        """Whether a request from this team (and enterprise) is for this installation."""
        if self.org_wide:
            return bool(enterprise_id) and enterprise_id == self.enterprise_id
        return bool(team_id) and team_id == self.team_id

    def describe(self) -> str:
        """`T1`, `T1 (enterprise E1)` or `enterprise E1 (org-wide)`, for logs."""
        if self.org_wide:
            return f"enterprise {self.enterprise_id} (org-wide)"
        grid = f" (enterprise {self.enterprise_id})" if self.enterprise_id else ""
        return f"{self.team_id}{grid}"


class InstalledWorkspace:
    """`auth.test` of the single-workspace bot token, asked once per process."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._known: Installed | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> Installed:
        """Where the token belongs; raises what the Web API client raises on failure."""
        if self._known is not None:
            return self._known
        async with self._lock:
            if self._known is None:
                resp = await self.client.auth_test()
                installed = Installed(
                    team_id=str(resp.get("team_id") or ""),
                    enterprise_id=str(resp.get("enterprise_id") or "") or None,
                    org_wide=bool(resp.get("is_enterprise_install")),
                )
                log.info("serving Slack workspace %s only", installed.describe())
                self._known = installed
        return self._known

    async def warm(self) -> None:
        """Ask at start-up, so the first request does not wait for it; a failure is only
        logged (the first request asks again)."""
        try:
            await self.get()
        except Exception as exc:
            log.warning(
                "auth.test failed at start (%s); asking again on the first request", _why(exc)
            )

    def start(self) -> Callable[[], Awaitable[None]]:
        """A start-up hook that warms in the background (it never holds up the others)."""
        tasks: set[asyncio.Task[None]] = set()

        async def hook() -> None:
            task = asyncio.ensure_future(self.warm())
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        return hook


class WorkspaceGuard(AsyncMiddleware):
    """Refuses (and logs) a request from any workspace but the installed one."""

    def __init__(self, installed: InstalledWorkspace, metrics: Metrics) -> None:
        self.installed = installed
        self.metrics = metrics

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        ctx = req.context
        try:
            installed = await self.installed.get()
        except Exception as exc:  # Slack down, token revoked: refuse rather than guess
            log.warning("auth.test failed (%s): refusing a request until it answers", _why(exc))
            self.metrics.rejected.labels("workspace").inc()
            return _refusal(req, CANNOT_TELL, status=503)
        if installed.admits(ctx.team_id, ctx.enterprise_id):
            return await next()
        log.warning(
            "refusing a request from workspace %s (enterprise %s, user %s): "
            "this Dexter serves workspace %s",
            ctx.team_id or "-",
            ctx.enterprise_id or "-",
            ctx.user_id or "-",
            installed.describe(),
        )
        self.metrics.rejected.labels("workspace").inc()
        return _refusal(req, WRONG_WORKSPACE, status=200)


def _refusal(req: AsyncBoltRequest, text: str, *, status: int) -> BoltResponse:
    """A slash command shows the body to the user; anything else gets an empty answer
    (an event answered 200 is not retried; a 503 is)."""
    body = req.body if isinstance(req.body, dict) else {}
    if "command" in body:
        return BoltResponse(status=200, body=text)
    return BoltResponse(status=status, body="")


def _why(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    error = response.get("error") if response is not None else None
    return str(error or type(exc).__name__)

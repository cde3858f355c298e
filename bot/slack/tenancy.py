"""Which Slack workspace a request or background job is for, in a multi-workspace install.

Two context variables carry it: the workspace's Sentry client (from `/dexter setup`, read
by `SentryClient`), and its Slack bot token (from bot/slack/tokens.py, refreshed when it
expires, read by `TenantWebClient` when that client was built without a token). Every
background job runs inside `tenancy.workspace(team_id)`. Single-workspace installs never set
either, so everything uses the environment's settings.
"""

from __future__ import annotations

import contextvars
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Protocol

from bot.sentry.client import SentryClient, workspace_client
from bot.slack.outgoing import SafeWebClient

if TYPE_CHECKING:
    from bot.core.settings import Settings
    from bot.slack.tokens import BotTokens


slack_token: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "slack_token", default=None
)


class TenantWebClient(SafeWebClient):
    """A Web API client that, built without a token, uses the current workspace's bot token."""

    @property
    def token(self) -> str | None:
        # a client Bolt built (and Dexter retyped) keeps its token in the instance dict
        own = self.__dict__.get("_own_token") or self.__dict__.get("token")
        return own or slack_token.get()

    @token.setter
    def token(self, value: str | None) -> None:
        self._own_token = value


class WorkspaceClients(Protocol):
    """Each workspace's Sentry client (bot/workspaces/sentry_config.py WorkspaceService)."""

    async def client_for(self, team_id: str | None) -> SentryClient: ...


class Tenancy:
    """Enters a workspace: its Sentry client and (for jobs) its Slack bot token, per task."""

    def __init__(self, settings: Settings, workspaces: WorkspaceClients) -> None:
        self.multi = settings.multi_workspace
        self.workspaces = workspaces
        self.tokens: BotTokens | None = None  # multi-workspace: set by create_app (OAuth)

    async def enter(self, team_id: str | None, *, slack: bool = True) -> None:
        """Route this task's Sentry calls (and Slack calls, for jobs) to the workspace."""
        if not self.multi or not team_id:
            return
        workspace_client.set(await self.workspaces.client_for(team_id))
        if slack and self.tokens is not None:
            slack_token.set(await self.tokens.for_team(team_id))

    @asynccontextmanager
    async def workspace(self, team_id: str | None) -> AsyncIterator[None]:
        """Run a background job (a digest, a notice) as the workspace `team_id`."""
        sentry_reset = workspace_client.set(workspace_client.get())
        token_reset = slack_token.set(slack_token.get())
        try:
            await self.enter(team_id)
            yield
        finally:
            workspace_client.reset(sentry_reset)
            slack_token.reset(token_reset)

"""The services one process shares between all handlers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.identity import EmailLookup, IdentityService
from bot.logs import register_secret
from bot.permissions import Policy
from bot.render import Renderer
from bot.sentry.alerts import AlertService
from bot.sentry.client import SentryClient
from bot.sentry.issues import IssueService
from bot.sentry.members import MemberService
from bot.sentry.projects import ProjectService
from bot.settings import Settings
from bot.slack_directory import SlackDirectory
from bot.store import Store


@dataclass
class Deps:
    """Everything a handler may use; built once at start-up."""

    settings: Settings
    store: Store
    sentry: SentryClient
    projects: ProjectService
    issues: IssueService
    members: MemberService
    identity: IdentityService
    policy: Policy
    renderer: Renderer = field(default_factory=Renderer)
    directory: SlackDirectory | None = None  # set by create_app (needs the Slack client)
    alerts: AlertService | None = None  # built on first use, see alert_rules
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def slack_users(self) -> SlackDirectory:
        """The Slack user directory (emails, admin flags, time zones)."""
        if self.directory is None:
            raise RuntimeError("the Slack directory is wired by create_app")
        return self.directory

    @property
    def alert_rules(self) -> AlertService:
        """Alert rules (both Sentry API generations)."""
        if self.alerts is None:
            self.alerts = AlertService(self.sentry, self.store, self.projects, self.members)
        return self.alerts

    async def aclose(self) -> None:
        """Release connections (Sentry pool, Redis)."""
        await self.sentry.aclose()
        await self.store.close()


def build_sentry(settings: Settings, **kwargs: Any) -> SentryClient:
    """The process-wide Sentry client for the configured organisation."""
    token = settings.sentry_auth_token.get_secret_value()
    register_secret(token)
    return SentryClient(
        base_url=settings.sentry_base, token=token, org=settings.sentry_org, **kwargs
    )


async def _no_email(team_id: str, user_id: str) -> str | None:
    return None


async def build_deps(
    settings: Settings,
    *,
    store: Store | None = None,
    email_lookup: EmailLookup = _no_email,
    **client_kwargs: Any,
) -> Deps:
    """Connect to Redis (or start the embedded one) and build the services."""
    for secret in (
        settings.slack_bot_token,
        settings.slack_signing_secret,
        settings.slack_app_token,
    ):
        if secret is not None:
            register_secret(secret.get_secret_value())
    store = store or await Store.connect(settings.redis_url, settings.data_dir)
    sentry = build_sentry(settings, **client_kwargs)
    projects = ProjectService(sentry, store)
    issues = IssueService(sentry, projects, store)
    members = MemberService(sentry, store)
    identity = IdentityService(store, members, email_lookup)
    policy = Policy(settings.permission_mode, members, projects)
    return Deps(
        settings=settings,
        store=store,
        sentry=sentry,
        projects=projects,
        issues=issues,
        members=members,
        identity=identity,
        policy=policy,
    )

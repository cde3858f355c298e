"""The services one process shares between all handlers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from bot.alert_push.memory import AlertMemory
from bot.alerts.sentry_api import AlertService
from bot.core.crypto import split_keys
from bot.core.lifecycle import Lifecycle
from bot.core.logs import register_secret
from bot.core.metrics import Metrics
from bot.core.settings import Settings
from bot.core.store import Store
from bot.dashboards.sentry_api import DashboardService
from bot.discover.saved_queries import SavedQueries
from bot.discover.sentry_api import DiscoverService
from bot.events.api import EventApi
from bot.events.service import EventService
from bot.perf.service import PerfService
from bot.releases.report import ReleaseReports
from bot.releases.sentry_api import ReleaseService
from bot.releases.sentry_sessions import SessionService
from bot.releases.subscriptions import SubscriptionStore
from bot.replays.sentry_api import ReplayService
from bot.sentry.client import SentryClient, build_sentry
from bot.sentry.issues import IssueService
from bot.sentry.members import MemberService
from bot.sentry.owners import OwnerService
from bot.sentry.projects import ProjectService
from bot.sentry.teams import TeamService
from bot.slack.card_hooks import CardHooks
from bot.slack.directory import SlackDirectory
from bot.slack.identity_links import EmailLookup, IdentityService
from bot.slack.permissions import Policy
from bot.slack.render import Renderer
from bot.slack.tenancy import Tenancy
from bot.triage.bulk import BulkService
from bot.triage.card_store import CardStore
from bot.triage.service import TriageService
from bot.webhooks.comments import CommentPoster
from bot.webhooks.tenants import HookTenants
from bot.workspaces.sentry_config import WorkspaceService

if TYPE_CHECKING:
    from aiohttp import web
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from bot.digests.feature import DigestFeature
    from bot.home.view import Home
    from bot.pipeline.front import FrontRules
    from bot.pipeline.service import Pipeline
    from bot.releases.watch import ReleaseWatch
    from bot.slack.command_table import Dispatcher
    from bot.slack.oauth_store import RedisInstallationStore
    from bot.webhooks.issue_sync import IssueCards
    from bot.webhooks.router import WebhookRouter


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
    triage_service: TriageService | None = None  # set by build_deps
    releases: ReleaseService = field(init=False)
    sessions: SessionService = field(init=False)
    metrics: Metrics = field(default_factory=Metrics)
    workspaces: WorkspaceService = field(init=False)
    pipeline: Pipeline | None = None  # set by create_app: queue, worker, role
    webhooks: WebhookRouter | None = None  # set by create_app: Sentry resource → handler
    # Built by the composition root (bot/app.py, bot/services.py) before any listener:
    cards: CardHooks = field(default_factory=CardHooks)  # every feature's part of the card
    issue_cards: IssueCards | None = None  # card refresh and posting for webhooks
    dispatcher: Dispatcher | None = None  # `/dexter` sub-commands
    front_rules: FrontRules | None = None  # what the front door answers itself
    digest_feature: DigestFeature | None = None  # digest store, dashboards, sender, scheduler
    home_tab: Home | None = None  # App Home, with the user's digests
    release_watch: ReleaseWatch | None = None  # release and deploy notices
    web_routes: dict[str, Callable[[web.Application], None]] = field(default_factory=dict)
    lifecycle: Lifecycle = field(default_factory=Lifecycle)  # background parts
    timer: AsyncIOScheduler | None = None  # the one background scheduler they share
    installations: RedisInstallationStore | None = None  # multi-workspace installs
    tenancy: Tenancy = field(init=False)  # which workspace a task or job is for

    def __post_init__(self) -> None:
        self.releases = ReleaseService(self.sentry, self.projects, self.store)
        self.sessions = SessionService(self.sentry)
        self.metrics.watch_store(self.store)
        self.metrics.watch_sentry(self.sentry)
        self.workspaces = WorkspaceService(self.settings, self.store, self.sentry, self.metrics)
        self.tenancy = Tenancy(self.settings, self.workspaces)

    @property
    def triage(self) -> TriageService:
        """Issue changes from Slack: identity, policy, Sentry update, activity."""
        if self.triage_service is None:
            raise RuntimeError("the triage service is wired by build_deps")
        return self.triage_service

    @property
    def slack_users(self) -> SlackDirectory:
        """The Slack user directory (emails, admin flags, time zones)."""
        if self.directory is None:
            raise RuntimeError("the Slack directory is wired by create_app")
        return self.directory

    @property
    def front(self) -> FrontRules:
        """What the front door answers itself: inline views, view checks, ignored events."""
        if self.front_rules is None:
            raise RuntimeError("the front door's rules are made by create_app")
        return self.front_rules

    @property
    def digests(self) -> DigestFeature:
        """The digest services (store, dashboards, sender, scheduler)."""
        if self.digest_feature is None:
            raise RuntimeError("digests are wired by create_app")
        return self.digest_feature

    @property
    def home(self) -> Home:
        """The App Home tab."""
        if self.home_tab is None:
            raise RuntimeError("App Home is wired by create_app")
        return self.home_tab

    @property
    def alert_rules(self) -> AlertService:
        """Alert rules (both Sentry API generations)."""
        if self.alerts is None:
            self.alerts = AlertService(self.sentry, self.store, self.projects, self.members)
        return self.alerts

    async def aclose(self) -> None:
        """Release connections (Sentry pools, Redis)."""
        await self.workspaces.aclose()
        await self.sentry.aclose()
        await self.store.close()

    # Discover, performance and replays: built on first use from the services above.
    @cached_property
    def discover(self) -> DiscoverService:
        """Discover table and time-series queries."""
        return DiscoverService(self.sentry, self.projects)

    @cached_property
    def perf(self) -> PerfService:
        """Transaction performance from the spans dataset."""
        return PerfService(self.discover)

    @cached_property
    def replays(self) -> ReplayService:
        """Session replay counts and lists."""
        return ReplayService(self.sentry, self.store)

    @cached_property
    def dashboards(self) -> DashboardService:
        """Sentry's own dashboards and their widgets' queries."""
        return DashboardService(self.sentry, self.discover)

    @cached_property
    def events(self) -> EventService:
        """An issue's events and their tags."""
        return EventService(self.issues, EventApi(self.sentry))

    @cached_property
    def saved_queries(self) -> SavedQueries:
        """Saved Discover queries per workspace."""
        return SavedQueries(self.store)

    # Services the listeners share: built once here, never in a listener or a `register`.
    @cached_property
    def teams(self) -> TeamService:
        """Teams with their members, projects and issue counts."""
        return TeamService(self.sentry, self.members, self.projects, self.issues)

    @cached_property
    def bulk(self) -> BulkService:
        """Bulk issue changes: plans kept in Redis, previews, runs."""
        return BulkService(self.triage, self.store)

    @cached_property
    def release_reports(self) -> ReleaseReports:
        """Release cards: health, deploys, correlated issues."""
        return ReleaseReports(self.releases, self.sessions, self.issues)

    @cached_property
    def release_subs(self) -> SubscriptionStore:
        """Release and new-issue subscriptions per channel."""
        return SubscriptionStore(self.store)

    @cached_property
    def alert_memory(self) -> AlertMemory:
        """What alert deliveries posted, per issue (cards, notes, suggestions)."""
        return AlertMemory(self.store, self.sentry)

    @cached_property
    def owners(self) -> OwnerService:
        """Suggested owners of an event (ownership rules, code owners, commits)."""
        return OwnerService(self.sentry)

    @cached_property
    def hook_tenants(self) -> HookTenants:
        """Which workspace a Sentry delivery is for; the installations Sentry removed."""
        return HookTenants(self.settings, self.store, self.workspaces)

    @cached_property
    def comment_poster(self) -> CommentPoster:
        """Thread replies and the Comment form, posted to Sentry as the linked member."""
        return CommentPoster(self.store, self.sentry, self.issues)


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
        settings.slack_client_secret,
        settings.secret_key,
        settings.self_dsn,
        settings.sentry_client_secret,
    ):
        if secret is not None:
            register_secret(secret.get_secret_value())
    if settings.secret_key is not None:
        for key in split_keys(settings.secret_key.get_secret_value()):
            register_secret(key)
    store = store or await Store.connect(
        settings.redis_url, settings.data_dir, prefix=settings.redis_prefix
    )
    sentry = build_sentry(settings, **client_kwargs)
    projects = ProjectService(sentry, store)
    issues = IssueService(sentry, projects, store)
    members = MemberService(sentry, store)
    identity = IdentityService(store, members, email_lookup)
    policy = Policy(settings.permission_mode, members, projects)
    triage = TriageService(
        issues=issues,
        identity=identity,
        policy=policy,
        members=members,
        cards=CardStore(store, sentry),
    )
    return Deps(
        settings=settings,
        store=store,
        sentry=sentry,
        projects=projects,
        issues=issues,
        members=members,
        identity=identity,
        policy=policy,
        triage_service=triage,
    )

"""Slack surfaces. Each module, or feature package (handlers/triage/, alerts/, discover/,
releases/), exposes `COMMANDS` and/or `register(app, deps)`.

`register` only adds listeners. What several surfaces share (the issue card's parts, the
card operations Sentry webhooks use) is built here once, by the composition root
(`bot/app.py`), before any listener is registered.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.slack.card_hooks import CardHooks
from bot.slack.command_table import Dispatcher
from bot.triage import cards
from bot.webhooks.issue_sync import IssueCards
from bot.webhooks.types import WebhookHandler
from handlers import (
    alert_push,
    alerts,
    commands,
    comments,
    digests,
    discover,
    events,
    home,
    identity,
    issue_subs,
    options,
    perf,
    releases,
    replays,
    teams,
    triage,
    unfurl,
    webhooks,
    workspaces,
)

# The modules and packages with listeners. alert_push and webhooks have none: their parts
# (card lines, webhook resource handlers) are taken by card_hooks and webhook_handlers below.
MODULES = [
    triage,
    identity,
    unfurl,
    options,
    discover,
    perf,
    replays,
    events,
    releases,
    alerts,
    workspaces,
    digests,
    teams,
    home,
    issue_subs,
    comments,
]


def dispatcher() -> Dispatcher:
    """The `/dexter` sub-command table of every surface."""
    table = [*commands.COMMANDS]
    for module in MODULES:
        table += getattr(module, "COMMANDS", [])
    return Dispatcher(table)


def register_all(app: AsyncApp, deps: Deps) -> None:
    """Register every surface's listeners (the services are built already: bot/services.py)."""
    assert deps.dispatcher is not None, "create_app builds the dispatcher first"
    commands.register(app, deps, deps.dispatcher)
    for module in MODULES:
        module.register(app, deps)


def card_hooks(deps: Deps) -> CardHooks:
    """Every feature's part of the issue card, in one fixed order (built once per app)."""
    return CardHooks(
        on_posted=cards.posted_hook(deps),
        # the state line first, then the release and the alert that brought the issue
        notes=(
            cards.state_note(deps),
            releases.card_note(deps),
            alert_push.card_note(deps),
        ),
        enrichers=(replays.card_enricher(deps), events.card_button, alert_push.card_enricher(deps)),
        release_url=deps.releases.web_url,
    )


def issue_cards(deps: Deps, client: AsyncWebClient) -> IssueCards:
    """Card refresh and posting for work that is not a Slack request (Sentry webhooks)."""
    return cards.SlackIssueCards(deps, client)


def webhook_handlers(deps: Deps, client: AsyncWebClient) -> dict[str, WebhookHandler]:
    """The handler of each Sentry webhook resource (issue, comment, installation, alerts)."""
    return {**webhooks.resource_handlers(deps, client), **alert_push.alert_handlers(deps, client)}

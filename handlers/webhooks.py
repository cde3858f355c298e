"""Sentry webhook resources handled here: `issue` (card sync, new-issue cards), `comment`
(mirrored in card threads) and `installation` (recorded; a deleted one is refused after).

The composition root plugs them, with the other features' (`handlers.webhook_handlers`), into
the app's webhook router.
"""

from __future__ import annotations

import logging

from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.webhooks.coalesce import Coalescer
from bot.webhooks.comments import CommentMirror
from bot.webhooks.installation import InstallationHook
from bot.webhooks.issue_sync import IssueSync
from bot.webhooks.types import WebhookHandler

log = logging.getLogger(__name__)


def resource_handlers(deps: Deps, client: AsyncWebClient) -> dict[str, WebhookHandler]:
    """This feature's handler for each Sentry resource."""
    return {
        "issue": issue_sync(deps, Coalescer(deps.store)),
        "comment": CommentMirror(
            client, store=deps.store, sentry=deps.sentry, card_store=deps.triage.cards
        ),
        "installation": InstallationHook(deps.settings, deps.hook_tenants),
    }


def issue_sync(deps: Deps, coalescer: Coalescer) -> IssueSync:
    """The `issue` handler on these services (tests and bench/ choose the coalescer)."""
    if deps.issue_cards is None:
        raise RuntimeError("issue cards are wired by create_app")
    return IssueSync(
        coalescer,
        cards=deps.issue_cards,
        store=deps.store,
        sentry=deps.sentry,
        issues=deps.issues,
    )

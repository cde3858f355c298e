"""Sentry webhook resources handled here: `issue` (card sync, new-issue cards), `comment`
(mirrored in card threads) and `installation` (recorded; a deleted one is refused after).

The composition root plugs them, with the other features' (`handlers.webhook_handlers`), into
the app's webhook router.
"""

from __future__ import annotations

import logging
from functools import partial

from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.webhooks.coalesce import Coalescer
from bot.webhooks.comments import CommentMirror
from bot.webhooks.installation import InstallationHook
from bot.webhooks.issue_sync import IssueSync
from bot.webhooks.tenants import HookTenants
from bot.webhooks.types import WebhookHandler

log = logging.getLogger(__name__)


def resource_handlers(deps: Deps, client: AsyncWebClient) -> dict[str, WebhookHandler]:
    """This feature's handler for each Sentry resource."""
    tenants = HookTenants(deps.settings, deps.store, deps.workspaces)
    return {
        # these two still read their services from Deps at each delivery
        "issue": partial(IssueSync(Coalescer(deps.store)), deps=deps),
        "comment": partial(CommentMirror(client), deps=deps),
        "installation": InstallationHook(deps.settings, tenants),
    }

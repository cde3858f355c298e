"""Sentry webhook resources handled here: `issue` (card sync, new-issue cards), `comment`
(mirrored in card threads) and `installation` (recorded; a deleted one is refused after).

Other features add theirs to the same table (`deps.webhooks.register(resource, handler)`).
"""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp

from bot.deps import Deps
from bot.webhooks.coalesce import Coalescer
from bot.webhooks.comments import CommentMirror
from bot.webhooks.installation import on_installation
from bot.webhooks.issue_sync import IssueSync

log = logging.getLogger(__name__)


def register(app: AsyncApp, deps: Deps) -> None:
    """Plug this feature's resource handlers into the webhook router."""
    if deps.webhooks is None:
        return
    deps.webhooks.register("issue", IssueSync(Coalescer(deps.store)))
    deps.webhooks.register("comment", CommentMirror(app.client))
    deps.webhooks.register("installation", on_installation)

"""Run a verified delivery (a `webhook` job) through the handler of its resource.

The table is filled once by the composition root from every feature's handlers
(`handlers.webhook_handlers`: `issue`, `comment`, `installation`, `event_alert`,
`metric_alert`). A resource nobody handles is logged and dropped. Each handler runs as the
delivery's workspace (its Sentry, its bot token: bot/slack/tenancy.py).
"""

from __future__ import annotations

import contextvars
import logging
from typing import TYPE_CHECKING, Any

from bot.pipeline.envelope import Job
from bot.webhooks.types import Delivery, WebhookHandler

if TYPE_CHECKING:
    from bot.slack.tenancy import Tenancy

log = logging.getLogger(__name__)

# Who Sentry says acted on the delivery now being handled (the Delivery keeps to the payload's
# `data`): `{"type": "user"|"application", "id", "name"}`, untrusted.
current_actor: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "webhook_actor", default=None
)


def delivery_of(job: Job) -> Delivery:
    """The delivery a `webhook` job carries (as the receiver stored it)."""
    body: dict[str, Any] = job.body
    data = body.get("data")
    installation = body.get("installation")
    return Delivery(
        request_id=str(body.get("request_id") or job.id),
        resource=str(body.get("resource") or job.name),
        action=str(body.get("action") or ""),
        data=data if isinstance(data, dict) else {},
        installation=str(installation) if installation else None,
        team_id=job.team_id,
        received_at=float(body.get("received_at") or job.enqueued_at),
    )


def actor_of(job: Job) -> dict[str, Any]:
    """Who Sentry says acted (`{"type": "user"|"application", "id", "name"}`), untrusted."""
    actor = job.body.get("actor")
    return actor if isinstance(actor, dict) else {}


class WebhookRouter:
    """resource → handler; `run` is the pipeline's runner for `webhook` jobs."""

    def __init__(self, tenancy: Tenancy) -> None:
        self.tenancy = tenancy
        self.handlers: dict[str, WebhookHandler] = {}

    def register(self, resource: str, handler: WebhookHandler) -> None:
        """Handle deliveries of `resource` with `handler` (the last registration wins)."""
        self.handlers[resource] = handler

    async def run(self, job: Job) -> None:
        """Run one delivery; raising fails the attempt (the pipeline retries it)."""
        delivery = delivery_of(job)
        handler = self.handlers.get(delivery.resource)
        if handler is None:
            log.info("sentry webhook %s: no handler for %s", delivery.request_id, delivery.resource)
            return
        token = current_actor.set(actor_of(job))
        try:
            async with self.tenancy.workspace(delivery.team_id or None):
                await handler(delivery)
        finally:
            current_actor.reset(token)

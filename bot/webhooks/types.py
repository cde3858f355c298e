"""What a verified Sentry webhook delivery is, and what handles one.

Shared by the receiving end (bot/webhooks/) and the features that act on a resource
(issue sync, alert delivery, comments). Kept free of Slack and of HTTP.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Delivery:
    """One verified delivery, routed to the Slack workspace whose Sentry organization sent it."""

    request_id: str  # Request-ID header: the delivery's identity (deduplicated before this exists)
    resource: str  # Sentry-Hook-Resource: issue, event_alert, metric_alert, comment, installation, ...
    action: str  # payload["action"]
    data: Mapping[str, Any]  # payload["data"], untrusted
    installation: str | None  # payload["installation"]["uuid"]
    team_id: str  # the Slack workspace this delivery belongs to
    received_at: float  # epoch seconds at the front door


WebhookHandler = Callable[["Delivery"], Awaitable[None]]
"""Acts on one delivery after the 200 was sent (inside a pipeline job). Must be idempotent per
request_id. Built by the composition root with the collaborators it uses."""

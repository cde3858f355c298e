"""Sentry's alert deliveries as `Delivery` objects, shaped after Sentry's source.

- `event_alert`: src/sentry/sentry_apps/tasks/sentry_apps.py `send_alert_webhook_v2` and
  `_webhook_event_data` (event as_dict plus `url`, `web_url`, `issue_url`, `issue_id`;
  `triggered_rule`; `issue_alert` = {id, title, sentry_app_id, settings}).
- `metric_alert`: src/sentry/rules/actions/notify_event_service.py `build_incident_attachment`
  (`metric_alert` = IncidentSerializer in snake case, `description_text`,
  `description_title`, `web_url`), action `critical` | `warning` | `resolved`.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from bot.webhooks.types import Delivery

INSTALLATION = "a8e5d37a-696c-4c54-adb5-b3f28d64c7de"
_ids = itertools.count(1)


def delivery(resource: str, action: str, data: dict[str, Any], *, team: str = "T1") -> Delivery:
    return Delivery(
        request_id=f"req-{next(_ids)}-{time.time_ns()}",
        resource=resource,
        action=action,
        data=data,
        installation=INSTALLATION,
        team_id=team,
        received_at=time.time(),
    )


def event_alert(
    *,
    issue_id: int = 1,
    rule_id: int = 7,
    rule: str = "Checkout errors",
    channel: str | None = "C0ALERTS1",
    event_id: str = "a" * 32,
) -> dict[str, Any]:
    settings = [] if channel is None else [{"name": "channel", "value": channel}]
    return {
        "event": {
            "event_id": event_id,
            "project": 2,
            "release": "backend@1.5.2",
            "platform": "python",
            "datetime": "2026-12-02T08:55:00+00:00",
            "tags": [["level", "error"], ["environment", "production"]],
            "title": "ZeroDivisionError: division by zero",
            "url": f"https://sentry.io/api/0/projects/acme/backend/events/{event_id}/",
            "web_url": f"https://sentry.io/organizations/acme/issues/{issue_id}/events/{event_id}/",
            "issue_url": f"https://sentry.io/api/0/organizations/acme/issues/{issue_id}/",
            "issue_id": str(issue_id),
        },
        "triggered_rule": rule,
        "issue_alert": {"id": rule_id, "title": rule, "sentry_app_id": 5, "settings": settings},
    }


def metric_alert(
    *,
    incident_id: int = 31,
    channel: str | None = "C0ALERTS1",
    status: int = 20,
    closed: str | None = None,
    description: str = "1040 events in the last 5 minutes",
) -> dict[str, Any]:
    settings = [] if channel is None else [{"name": "channel", "value": channel}]
    action = {
        "id": "90",
        "type": "sentry_app",
        "target_type": "sentry_app",
        "target_identifier": "5",
        "sentry_app_id": 5,
        "settings": settings,
    }
    return {
        "metric_alert": {
            "id": str(incident_id),
            "identifier": "12",
            "organization_id": "1",
            "projects": ["backend"],
            "alert_rule": {
                "id": "44",
                "name": "Too many errors",
                "organization_id": "1",
                "status": 0,
                "query_type": 0,
                "dataset": "events",
                "query": "level:error",
                "aggregate": "count()",
                "threshold_type": 0,
                "resolve_threshold": None,
                "time_window": 5,
                "environment": "production",
                "triggers": [
                    {"id": "1", "label": "critical", "alert_threshold": 1000, "actions": [action]},
                    {"id": "2", "label": "warning", "alert_threshold": 500, "actions": []},
                ],
                "projects": ["backend"],
            },
            "status": status,
            "status_method": 3,
            "type": 2,
            "title": "Too many errors",
            "date_started": "2026-12-02T08:30:00+00:00",
            "date_detected": "2026-12-02T08:30:00+00:00",
            "date_created": "2026-12-02T08:31:00+00:00",
            "date_closed": closed,
        },
        "description_text": description,
        "description_title": "Critical: Too many errors",
        "web_url": "https://sentry.io/organizations/acme/alerts/rules/details/44/?alert=12",
    }


def owners(*, user_id: int = 100, name: str = "Ann Example") -> dict[str, Any]:
    """The event owners answer (src/sentry/api/endpoints/event_owners.py)."""
    return {
        "owners": [{"type": "user", "id": str(user_id), "name": name, "email": "ann@acme.io"}],
        "rule": {"type": "path", "pattern": "app/billing/*"},
        "rules": [[{"type": "path", "pattern": "app/billing/*"}, [["user", "ann@acme.io"]]]],
    }


def committers(*, user_id: int | None = 200, name: str = "Bob Builder") -> dict[str, Any]:
    """The event committers answer (EventFileCommittersEndpoint)."""
    author: dict[str, Any] = {"name": name, "email": "bob@acme.io"}
    if user_id is not None:
        author["id"] = str(user_id)
    return {
        "committers": [
            {"author": author, "commits": [{"id": "abc1234def5678", "message": "fix totals"}]}
        ]
    }

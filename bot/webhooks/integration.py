"""What to enter in Sentry for Dexter's internal integration (`dexter sentry-integration`).

One internal integration per Sentry organization gives Dexter its API token, its webhooks
and (with the alert features) an alert-rule action. Field names follow Sentry's form:
Settings → Developer Settings → Custom Integrations → Internal Integration.
"""

from __future__ import annotations

import json
from typing import Any

from bot.alert_push.action import alert_rule_action_schema
from bot.webhooks.receiver import PATH

# Sentry's webhook resources for integrations (the form's "Webhooks" checkboxes); Dexter acts
# on these. `installation` deliveries come without a checkbox; `event_alert` and
# `metric_alert` arrive when a rule uses the integration's alert-rule action.
RESOURCES = ("issue", "comment")
PERMISSIONS = (
    ("Project", "Read"),
    ("Team", "Read"),
    ("Release", "Admin"),
    ("Issue & Event", "Read & Write"),
    ("Organization", "Read"),
    ("Member", "Read"),
    ("Alerts", "Read & Write"),
)
SCHEMA_NOTE = (
    "tick 'Alert Rule Action': rules can then notify a Slack channel through Dexter; Sentry "
    "checks the chosen channel with this Dexter when a rule is saved"
)


def webhook_url(public_url: str | None) -> str:
    """The URL Sentry posts deliveries to."""
    base = (public_url or "https://dexter.example.com").rstrip("/")
    return base + PATH


def integration_settings(public_url: str | None) -> dict[str, Any]:
    """Everything the internal integration's form needs, as data."""
    return {
        "name": "Dexter",
        "webhook_url": webhook_url(public_url),
        "alert_rule_action": True,
        "webhooks": list(RESOURCES),
        "permissions": {name: level for name, level in PERMISSIONS},
        # its one field, `channel`, comes back in each `event_alert` delivery as
        # data.issue_alert.settings = [{"name": "channel", "value": <channel id>}]
        "schema": alert_rule_action_schema(),
        "schema_note": SCHEMA_NOTE,
        "then": [
            "Save; copy the token (Tokens) into SENTRY_AUTH_TOKEN",
            "copy the Client Secret (Credentials) into SENTRY_CLIENT_SECRET, or into "
            "/dexter setup for a workspace of a multi-workspace install",
        ],
    }


def render_text(settings: dict[str, Any]) -> str:
    """The settings as text to read while filling the form."""
    lines = [
        "Sentry → Settings → Developer Settings → Custom Integrations → Create New Integration",
        "→ Internal Integration, with:",
        "",
        f"  Name:         {settings['name']}",
        f"  Webhook URL:  {settings['webhook_url']}",
        "  Alert Rule Action: on (see Schema)",
        "",
        "  Permissions:",
    ]
    width = max(len(name) for name in settings["permissions"])
    lines += [f"    {name:<{width}}  {lvl}" for name, lvl in settings["permissions"].items()]
    lines += ["", "  Webhooks (tick):"]
    lines += [f"    [x] {resource}" for resource in settings["webhooks"]]
    lines += ["", f"  Schema ({settings['schema_note']}):"]
    lines += ["    " + line for line in json.dumps(settings["schema"], indent=2).splitlines()]
    lines += ["", "Then:"] + [f"  - {step}" for step in settings["then"]]
    return "\n".join(lines)

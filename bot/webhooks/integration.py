"""What to enter in Sentry for Dexter's internal integration (`dexter sentry-integration`).

One internal integration per Sentry organization gives Dexter its API token, its webhooks
and (with the alert features) an alert-rule action. Field names follow Sentry's form:
Settings → Developer Settings → Custom Integrations → Internal Integration.
"""

from __future__ import annotations

import json
from typing import Any

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
# The alert-rule action's settings form: its one field, `channel`, comes back in each
# `event_alert` delivery as data.issue_alert.settings = [{"name": "channel", "value": …}].
# Shape: src/sentry/sentry_apps/api/parsers/schema.py (alert-rule-action, alert-rule-settings).
ALERT_RULE_ACTION_PLACEHOLDER: dict[str, Any] = {
    "elements": [
        {
            "type": "alert-rule-action",
            "title": "Notify a Slack channel through Dexter",
            "settings": {
                "type": "alert-rule-settings",
                "uri": "/sentry/alert-rule-action",
                "description": "Dexter posts its own issue card, with triage controls.",
                "required_fields": [
                    {"type": "text", "name": "channel", "label": "Slack channel ID"}
                ],
            },
        }
    ]
}
PLACEHOLDER_NOTE = (
    "placeholder: leave 'Alert Rule Action' off until this Dexter serves the alert-rule "
    "action (Sentry calls the settings `uri` when a rule using it is saved)"
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
        "alert_rule_action": False,
        "webhooks": list(RESOURCES),
        "permissions": {name: level for name, level in PERMISSIONS},
        "schema": ALERT_RULE_ACTION_PLACEHOLDER,
        "schema_note": PLACEHOLDER_NOTE,
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
        "  Alert Rule Action: off (see Schema)",
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

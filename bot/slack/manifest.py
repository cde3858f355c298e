"""The Slack app manifest for Dexter, for HTTP or Socket Mode."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

BOT_SCOPES = [
    "commands",
    "chat:write",
    "chat:write.public",
    "files:write",
    "links:read",
    "links:write",
    "users:read",
    "users:read.email",
    "channels:read",
    "groups:read",
    # replies in issue card threads become Sentry comments where a channel opts in
    "channels:history",
    "groups:history",
]
BOT_EVENTS = [
    "link_shared",
    "app_home_opened",
    "app_uninstalled",
    "tokens_revoked",
    "message.channels",
    "message.groups",
]


def build_manifest(
    *,
    socket_mode: bool,
    public_url: str | None,
    sentry_url: str,
    name: str = "Dexter",
    oauth: bool = False,
) -> dict[str, Any]:
    """A manifest Slack accepts as-is ("Create an app → From a manifest")."""
    base = (public_url or "https://dexter.example.com").rstrip("/")
    events_url = f"{base}/slack/events"
    sentry_host = urlparse(sentry_url).hostname or "sentry.io"
    domains = sorted({"sentry.io", sentry_host})
    command: dict[str, Any] = {
        "command": "/dexter",
        "description": "Triage, alert on, query and report on Sentry",
        "usage_hint": "help | issues [query] | issue <ref>",
        "should_escape": True,  # mentions arrive as <@U…>, channels as <#C…>
    }
    interactivity: dict[str, Any] = {"is_enabled": True}
    events: dict[str, Any] = {"bot_events": BOT_EVENTS}
    if not socket_mode:
        command["url"] = events_url
        interactivity |= {"request_url": events_url, "message_menu_options_url": events_url}
        events["request_url"] = events_url
    oauth_config: dict[str, Any] = {"scopes": {"bot": BOT_SCOPES}}
    if oauth:
        oauth_config["redirect_urls"] = [f"{base}/slack/oauth_redirect"]
    return {
        "display_information": {
            "name": name,
            "description": "Sentry in Slack: triage, alerts, Discover, releases and digests.",
            "background_color": "#362d59",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": False,
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": [command],
            "unfurl_domains": domains,
        },
        "oauth_config": oauth_config,
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": socket_mode,
            "token_rotation_enabled": oauth,
        },
    }

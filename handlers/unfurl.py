"""Unfurl links to Sentry issues of the workspace's organisation into live issue cards, and
links to its Sentry dashboards into a summary (title, widgets, link)."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlparse

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bot.core.errors import DexterError
from bot.dashboards.sentry_api import DashboardRef, parse_dashboard_url
from bot.deps import Deps
from bot.sentry.client import SentryClient
from bot.sentry.refs import IssueRef, parse_issue_url
from bot.triage import cards
from bot.triage.card_store import CardRef
from handlers.context import Interaction, listener

log = logging.getLogger(__name__)

MAX_UNFURLS = 5
MAX_LISTED = 10  # widgets named in a dashboard unfurl
# Sentry's display types (src/sentry/models/dashboard_widget.py) in words.
WIDGET_KINDS = {
    "line": "line chart",
    "area": "area chart",
    "stacked_area": "stacked area chart",
    "bar": "bar chart",
    "top_n": "top 5 chart",
    "table": "table",
    "big_number": "big number",
}


def is_ours(ref: IssueRef | DashboardRef, base_url: str, org: str) -> bool:
    """True for a URL of `org` on the Sentry at `base_url` (the asking workspace's)."""
    ours = (urlparse(base_url).hostname or "").lower()
    host = (ref.host or "").lower()
    saas = ours == "sentry.io" or ours.endswith(".sentry.io")
    if saas:
        # acme.sentry.io, sentry.io/organizations/acme, de.sentry.io/organizations/acme …
        if not (host == "sentry.io" or host.endswith(".sentry.io")):
            return False
        return ref.org == org
    if host != ours:
        return False
    return ref.org in (None, org)


def issue_links(links: list[dict[str, Any]], sentry: SentryClient) -> list[tuple[str, str]]:
    """(url, issue id) for every link that is one of our issues, at most a few."""
    base_url, org = sentry.base_url, sentry.org  # routed to the workspace that shared the link
    out: list[tuple[str, str]] = []
    for item in links:
        url = str(item.get("url") or "")
        ref = parse_issue_url(url)
        if ref is None or ref.issue_id is None or not is_ours(ref, base_url, org):
            continue
        if all(u != url for u, _ in out):
            out.append((url, ref.issue_id))
    return out[:MAX_UNFURLS]


def dashboard_links(links: list[dict[str, Any]], sentry: SentryClient) -> list[tuple[str, str]]:
    """(url, dashboard id) for every link that is one of our dashboards, at most a few."""
    out: list[tuple[str, str]] = []
    for item in links:
        url = str(item.get("url") or "")
        ref = parse_dashboard_url(url)
        if ref is None or not is_ours(ref, sentry.base_url, sentry.org):
            continue
        if all(u != url for u, _ in out):
            out.append((url, ref.dashboard_id))
    return out[:MAX_UNFURLS]


async def dashboard_unfurls(deps: Deps, found: list[tuple[str, str]]) -> dict[str, Any]:
    """Summary blocks per dashboard URL (a dashboard Sentry will not show is left out)."""
    unfurls: dict[str, dict[str, Any]] = {}
    for url, dashboard_id in found:
        try:
            board = await deps.dashboards.get(dashboard_id)
        except DexterError as exc:
            log.info("not unfurling dashboard %s: %s", dashboard_id, exc)
            continue
        blocks = deps.renderer.blocks(
            "dashboard_unfurl", board=board, kinds=WIDGET_KINDS, max_listed=MAX_LISTED
        )
        unfurls[url] = {"blocks": blocks}
    return unfurls


def register(app: AsyncApp, deps: Deps) -> None:
    """Listen for `link_shared`."""

    @app.event("link_shared")
    @listener(deps, "event")
    async def on_link_shared(ctx: Interaction) -> None:
        event, client = ctx.event, ctx.client
        links = list(event.get("links") or [])
        found = issue_links(links, deps.sentry)
        boards = dashboard_links(links, deps.sentry)
        if not found and not boards:
            return
        unfurls: dict[str, dict[str, Any]] = await dashboard_unfurls(deps, boards)
        for url, issue_id in found:
            try:
                card = await cards.render(deps, issue_id)
            except DexterError as exc:
                log.info("not unfurling issue %s: %s", issue_id, exc)
                continue
            unfurls[url] = {"blocks": card.blocks}
        if not unfurls:
            return
        channel, ts = str(event.get("channel", "")), str(event.get("message_ts", ""))
        composer = event.get("source") == "composer" or channel == "COMPOSER"
        args: dict[str, Any] = {"unfurls": unfurls}
        if composer and event.get("unfurl_id"):
            args |= {"unfurl_id": event["unfurl_id"], "source": "composer"}
        else:
            args |= {"channel": channel, "ts": ts}
        try:
            await client.chat_unfurl(**args)
        except SlackApiError as exc:
            log.warning("chat.unfurl failed: %s", exc.response.get("error"))
            return
        if composer:
            return  # a draft: there is no message to refresh yet
        for url, issue_id in found:
            if url in unfurls:
                await cards.remember(deps, issue_id, CardRef(channel=channel, ts=ts, url=url))

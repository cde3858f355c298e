"""Render a dashboard and deliver it to Slack: paced post, chart in the thread."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import format as fmt
from bot.core import mrkdwn
from bot.core.errors import DexterError
from bot.core.mrkdwn import Mrkdwn
from bot.digests.dashboard import Dashboard, change
from bot.slack.channel_gone import CHANNEL_GONE
from bot.slack.pacer import ChannelPacer
from bot.slack.render import Renderer
from bot.slack.tenancy import TenantWebClient

log = logging.getLogger(__name__)

GONE_ERRORS = CHANNEL_GONE
# Slack's files.* methods are Tier 4 (~100 per minute per workspace).
FILES_INTERVAL = 0.6
# Charts waiting for an upload slot; beyond this a burst's digests go out without one.
MAX_QUEUED_CHARTS = 100
METADATA_EVENT = "dexter_digest"
MAX_HIDDEN_LISTED = 20  # widgets that did not fit, named one per line


class ChannelGone(DexterError):
    """Slack refuses posts to the channel for good (archived, deleted, bot removed)."""

    def __init__(self, channel_id: str, error: str) -> None:
        super().__init__(f"{channel_id}: {error}")
        self.channel_id = channel_id
        self.error = error


def digest_client(client: AsyncWebClient) -> AsyncWebClient:
    """A client for digests: same token and URL, but 429s come back to the pacer."""
    # the client's own token only: never the workspace token of the request that built it
    own = client.__dict__.get("_own_token") if isinstance(client, TenantWebClient) else None
    return TenantWebClient(  # without a token of its own: the workspace's (multi-workspace)
        token=own if isinstance(client, TenantWebClient) else client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        retry_handlers=[AsyncConnectionErrorRetryHandler(max_retry_count=2)],
    )


def slack_date(when: datetime) -> Mrkdwn:
    """A date Slack shows in each reader's own time zone (with a UTC fallback)."""
    stamp = int(when.timestamp())
    return Mrkdwn(f"<!date^{stamp}^{{date_short_pretty}} {{time}}|{fmt.date(when)}>")


def duration(ms: float) -> str:
    """`850 ms`, `1.2 s`."""
    return f"{ms / 1000:.1f} s" if ms >= 1000 else f"{round(ms)} ms"


class DigestSender:
    """Turns dashboards into Slack messages, pacing posts per channel."""

    def __init__(
        self,
        client: AsyncWebClient,
        renderer: Renderer,
        *,
        pacer: ChannelPacer | None = None,
        files_pacer: ChannelPacer | None = None,
    ) -> None:
        self.client = client
        self.renderer = renderer
        self.pacer = pacer or ChannelPacer(1.0)
        self.files_pacer = files_pacer or ChannelPacer(FILES_INTERVAL)
        self.posted = 0
        self.charts = 0
        self.charts_skipped = 0
        self.max_queued_charts = MAX_QUEUED_CHARTS
        self._charts_queued = 0

    def reserve_chart(self) -> bool:
        """Take a place in the chart upload queue; False when a burst has filled it."""
        if self._charts_queued >= self.max_queued_charts:
            self.charts_skipped += 1
            return False
        self._charts_queued += 1
        return True

    def release_chart(self) -> None:
        """Give back a place taken by reserve_chart (after the upload or without a chart)."""
        self._charts_queued = max(0, self._charts_queued - 1)

    def blocks(
        self,
        dash: Dashboard,
        *,
        schedule: str | None = None,
        sub_id: str | None = None,
        preview: bool = False,
    ) -> list[dict[str, Any]]:
        """The digest's validated blocks (at most 50)."""
        if dash.board is not None:
            return self.renderer.blocks(
                "dashboard_digest",
                d=dash,
                r=dash.board,
                schedule=schedule,
                sub_id=sub_id,
                preview=preview,
                when=slack_date,
                max_hidden=MAX_HIDDEN_LISTED,
            )
        return self.renderer.blocks(
            "digests/digest",
            d=dash,
            schedule=schedule,
            sub_id=sub_id,
            preview=preview,
            when=slack_date,
            change=change,
            ms=duration,
        )

    async def post(
        self,
        channel: str,
        dash: Dashboard,
        *,
        schedule: str | None = None,
        sub_id: str | None = None,
        scheduled: datetime | None = None,
    ) -> str:
        """Post the digest (paced); returns its ts. Raises ChannelGone for a dead channel."""
        blocks = self.blocks(dash, schedule=schedule, sub_id=sub_id)
        payload = {
            "subscription": sub_id or "",
            "scheduled": int((scheduled or dash.end).timestamp()),
        }
        try:
            resp = await self.pacer.call(
                channel,
                lambda: self.client.chat_postMessage(
                    channel=channel,
                    blocks=blocks,
                    text=_summary(dash),
                    unfurl_links=False,
                    unfurl_media=False,
                    metadata={"event_type": METADATA_EVENT, "event_payload": payload},
                ),
            )
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "")
            if error in GONE_ERRORS:
                raise ChannelGone(channel, error) from None
            raise
        self.posted += 1
        return str(resp["ts"])

    async def upload_chart(self, channel: str, thread_ts: str, dash: Dashboard) -> None:
        """Upload the chart(s) into the digest's thread; a failure is logged, not raised."""
        if dash.board is not None:
            await self._upload_widget_charts(channel, thread_ts, dash)
            return
        if not dash.chart:
            return
        chart = dash.chart
        try:
            await self.files_pacer.call(
                "files",
                lambda: self.client.files_upload_v2(
                    channel=channel,
                    thread_ts=thread_ts,
                    content=chart,
                    filename=f"digest-{dash.end.astimezone(UTC):%Y%m%d-%H%M}.png",
                    title=f"Errors per project · {dash.title}",
                ),
            )
            self.charts += 1
        except Exception as exc:
            log.warning("digest chart upload to %s failed: %s", channel, exc)

    async def _upload_widget_charts(self, channel: str, thread_ts: str, dash: Dashboard) -> None:
        """A dashboard digest's charts, one per time-series widget, in one upload."""
        found = dash.board.charts if dash.board else []
        if not found:
            return
        stamp = f"{dash.end.astimezone(UTC):%Y%m%d-%H%M}"
        files = [
            {"content": png, "filename": f"widget-{i + 1}-{stamp}.png", "title": title[:200]}
            for i, (title, png) in enumerate(found)
        ]
        try:
            await self.files_pacer.call(
                "files",
                lambda: self.client.files_upload_v2(
                    channel=channel, thread_ts=thread_ts, file_uploads=files
                ),
            )
            self.charts += len(files)
        except Exception as exc:
            log.warning("dashboard digest charts upload to %s failed: %s", channel, exc)

    async def dm(self, user_id: str, text: str) -> None:
        """Tell a user something directly (chat.postMessage to their user id)."""
        try:
            await self.pacer.call(
                user_id, lambda: self.client.chat_postMessage(channel=user_id, text=text)
            )
        except Exception as exc:
            log.warning("could not message %s: %s", user_id, exc)


def _summary(dash: Dashboard) -> Mrkdwn:
    """The notification text (and the fallback for clients without blocks)."""
    if dash.board is not None:
        shown = len(dash.board.shown)
        return mrkdwn.format(
            "Digest for dashboard {title}: {shown} widgets", title=dash.title, shown=shown
        )
    h = dash.headline
    if dash.quiet:
        return mrkdwn.format("Digest for {title}: all quiet", title=dash.title)
    if h is None:
        return mrkdwn.format("Digest for {title}", title=dash.title)
    return mrkdwn.format(
        "Digest for {title}: {new} new issues, {reg} regressions, {unres} unresolved",
        title=dash.title,
        new=h.new_issues,
        reg=h.regressions,
        unres=h.unresolved,
    )

"""Issue comments both ways: Sentry's comments mirrored in card threads, Slack's posted to Sentry.

Sentry → Slack (`comment` webhooks): `created` posts a reply in the thread of every card of
the issue Dexter posted, `updated` edits those replies, `deleted` removes them. Which replies
mirror which comment is kept in Redis (as long as cards are).

Slack → Sentry: the card's **Comment** button (a modal) and, in channels that opted in
(`/dexter comments on`), replies in a card's thread become comments on the issue,
attributed to the Slack user by name. Every comment Dexter posts is remembered, so its own
`comment.created` webhook is not mirrored back (no echo), and Dexter's own thread replies
(the mirrors) are bot messages, which are never posted to Sentry.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import format as fmt
from bot.core.store import Store
from bot.sentry.client import SentryClient
from bot.sentry.issues import IssueService
from bot.sentry.scope import cache_key
from bot.triage.card_store import CARD_TTL, CardStore
from bot.webhooks.issue_sync import issue_id_of
from bot.webhooks.types import Delivery

log = logging.getLogger(__name__)

MIRRORED = ":speech_balloon: *{author}* commented in Sentry:\n{text}"
MIRRORED_EDITED = ":speech_balloon: *{author}* commented in Sentry (edited):\n{text}"
FROM_SLACK = "{text}\n\n— {name}, from Slack"
POSTED_FROM_MODAL = ":speech_balloon: *{name}* commented on the issue:\n{text}"
MAX_COMMENT = 5000  # characters sent to Sentry
OURS_TTL = 30 * 24 * 3600
SENDING_TTL = 3600  # Sentry refuses the same text from the same user within an hour anyway
SOMEONE = "Someone"


def _mirror_key(store: Store, sentry: SentryClient, comment_id: str) -> str:
    return cache_key(store, sentry, "comment-mirror", comment_id)


def _ours_key(store: Store, sentry: SentryClient, comment_id: str) -> str:
    return cache_key(store, sentry, "comment-ours", comment_id)


def _sending_key(store: Store, sentry: SentryClient, issue_id: str, text: str) -> str:
    digest = hashlib.sha256(text.strip().encode()).hexdigest()[:32]
    return cache_key(store, sentry, "comment-sending", issue_id, digest)


def author_of(actor: dict[str, Any] | None) -> str:
    """The name Sentry gives who commented (untrusted text, escaped by the caller)."""
    name = (actor or {}).get("name")
    return fmt.truncate(name, 80) if isinstance(name, str) and name.strip() else SOMEONE


def mirror_text(author: str, comment: str, *, edited: bool = False) -> str:
    """A mirrored comment, escaped: Sentry's text can neither mention nor link."""
    template = MIRRORED_EDITED if edited else MIRRORED
    return template.format(author=fmt.escape(author), text=fmt.escape(fmt.truncate(comment, 2800)))


class CommentMirror:
    """The `comment` resource handler: mirrors comments into card threads."""

    def __init__(
        self, client: AsyncWebClient, *, store: Store, sentry: SentryClient, card_store: CardStore
    ) -> None:
        self.client = client
        self.store = store
        self.sentry = sentry
        self.card_store = card_store

    def _mirror_key(self, comment_id: str) -> str:
        return _mirror_key(self.store, self.sentry, comment_id)

    async def _is_ours(self, comment_id: str, issue_id: str, text: str) -> bool:
        """Dexter posted this comment: by its id, or (its webhook outrunning Sentry's answer to
        Dexter) by the text Dexter was sending to that issue."""
        pipe = self.store.redis.pipeline(transaction=False)
        pipe.exists(_ours_key(self.store, self.sentry, comment_id))
        pipe.exists(_sending_key(self.store, self.sentry, issue_id, text))
        by_id, by_text = await pipe.execute()
        return bool(by_id or by_text)

    async def __call__(self, delivery: Delivery) -> None:
        from bot.webhooks.router import current_actor

        data = delivery.data
        raw_id = data.get("comment_id")
        comment_id = str(raw_id) if isinstance(raw_id, str | int) else ""
        issue_id = issue_id_of(data)
        if not comment_id.isdigit() or issue_id is None:
            log.info("comment webhook %s names no comment or issue", delivery.request_id)
            return
        text = data.get("comment")
        comment = text if isinstance(text, str) else ""
        if await self._is_ours(comment_id, issue_id, comment):
            log.info("comment %s was posted by Dexter: not mirrored", comment_id)
            return
        author = author_of(current_actor.get())
        if delivery.action == "created":
            await self.created(issue_id, comment_id, mirror_text(author, comment))
        elif delivery.action == "updated":
            await self.edit(comment_id, mirror_text(author, comment, edited=True))
        elif delivery.action == "deleted":
            await self.delete(comment_id)

    async def created(self, issue_id: str, comment_id: str, text: str) -> int:
        """Reply in the thread of every posted card of the issue; returns replies posted."""
        refs = [r for r in await self.card_store.cards(issue_id) if not r.is_unfurl]
        key = self._mirror_key(comment_id)
        posted = 0
        for ref in refs:
            try:
                resp = await self.client.chat_postMessage(
                    channel=ref.channel, thread_ts=ref.ts, text=text, unfurl_links=False
                )
            except SlackApiError as exc:
                log.info("comment %s not mirrored in %s: %s", comment_id, ref.channel, exc)
                continue
            reply = json.dumps({"channel": str(resp["channel"]), "ts": str(resp["ts"])})
            await self.store.redis.rpush(key, reply)
            posted += 1
        if posted:
            await self.store.redis.expire(key, CARD_TTL)
        return posted

    async def _replies(self, comment_id: str) -> list[dict[str, str]]:
        raw = await self.store.redis.lrange(self._mirror_key(comment_id), 0, -1)
        return [json.loads(r) for r in raw]

    async def edit(self, comment_id: str, text: str) -> int:
        """Edit every mirror of the comment."""
        done = 0
        for reply in await self._replies(comment_id):
            try:
                await self.client.chat_update(channel=reply["channel"], ts=reply["ts"], text=text)
                done += 1
            except SlackApiError as exc:
                log.info("mirror of comment %s not edited: %s", comment_id, exc)
        return done

    async def delete(self, comment_id: str) -> int:
        """Delete every mirror of the comment."""
        done = 0
        for reply in await self._replies(comment_id):
            try:
                await self.client.chat_delete(channel=reply["channel"], ts=reply["ts"])
                done += 1
            except SlackApiError as exc:
                log.info("mirror of comment %s not deleted: %s", comment_id, exc)
        await self.store.redis.delete(self._mirror_key(comment_id))
        return done


class CommentPoster:
    """Slack → Sentry: posts a Slack user's comment on an issue, remembered as Dexter's own."""

    def __init__(self, store: Store, sentry: SentryClient, issues: IssueService) -> None:
        self.store = store
        self.sentry = sentry
        self.issues = issues

    async def post(self, issue_id: str, text: str, *, name: str) -> str:
        """Post the comment on the issue in Sentry; returns the comment's id.

        Remembered as Dexter's own before its webhook can arrive, so it is never mirrored back.
        """
        body = FROM_SLACK.format(text=text.strip()[:MAX_COMMENT], name=name or SOMEONE)
        # marked before sending: Sentry may deliver its webhook before answering Dexter
        sending = _sending_key(self.store, self.sentry, issue_id, body)
        await self.store.redis.set(sending, "1", ex=SENDING_TTL)
        note = await self.issues.comment(issue_id, body)
        comment_id = str(note.get("id") or "")
        if comment_id:
            ours = _ours_key(self.store, self.sentry, comment_id)
            await self.store.redis.set(ours, "1", ex=OURS_TTL)
        return comment_id


def _opt_in_key(store: Store, team_id: str, channel: str) -> str:
    return store.key("comments-opt-in", team_id or "-", channel)


async def opted_in(store: Store, team_id: str, channel: str) -> str | None:
    """Who turned thread replies → Sentry comments on in this channel, or None when off."""
    raw = await store.redis.get(_opt_in_key(store, team_id, channel))
    if raw is None:
        return None
    return raw.decode() if isinstance(raw, bytes) else str(raw)


async def set_opt_in(store: Store, team_id: str, channel: str, user_id: str | None) -> None:
    """Turn thread replies → Sentry comments on (by `user_id`) or off (None)."""
    key = _opt_in_key(store, team_id, channel)
    if user_id is None:
        await store.redis.delete(key)
    else:
        await store.redis.set(key, user_id)

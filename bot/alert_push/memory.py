"""What alert delivery remembers in Redis.

- per (rule, issue): the card posted for that rule's firing, for the rule's interval (plus a
  grace period: Sentry fires a rule at most once per interval and issue), so a new firing
  updates the card instead of posting another;
- per issue: the latest alert note (rule that fired, suggested owners), shown on every card
  of the issue while it lasts;
- per incident: the message that shows a metric alert incident, its last state, the delivery
  that showed it and whether its chart is still due;
- per delivery (request id): done, so a redelivered job does nothing twice.

Keys carry the Sentry server's identity (issue and rule ids repeat across servers).
"""

from __future__ import annotations

from pydantic import BaseModel

from bot.core.store import Store
from bot.sentry.client import SentryClient
from bot.sentry.owners import Suggestion
from bot.sentry.scope import cache_key

GRACE = 5 * 60
NOTE_TTL = 24 * 3600
INCIDENT_TTL = 30 * 24 * 3600
DONE_TTL = 2 * 24 * 3600
SHOWN_KEPT = 10  # more states than an incident goes through while a job is retried


class PostedCard(BaseModel):
    channel: str
    ts: str
    fired: int = 1  # how many firings this card has shown


class SuggestionNote(BaseModel):
    name: str
    why: str
    detail: str | None = None
    assignee: str | None = None

    @classmethod
    def of(cls, s: Suggestion) -> SuggestionNote:
        return cls(name=s.name, why=s.why, detail=s.detail, assignee=s.assignee)


class AlertNote(BaseModel):
    """What an alert card adds to the issue card: the rule and whom Sentry suggests."""

    rule_title: str
    suggestions: list[SuggestionNote] = []


class IncidentMessage(BaseModel):
    channel: str
    ts: str
    state: str
    history: list[str] = []  # the states shown so far, oldest first
    # The deliveries (request ids) this message has shown, newest last: a retried job whose
    # Slack effects were done before it failed finds its id here and does not post them twice.
    shown: list[str] = []
    chart_due: str = ""  # the delivery that posted the message, while its chart is not uploaded

    def showing(self, request_id: str, **changes: object) -> IncidentMessage:
        """This message once `request_id` is shown (with `changes`): the last ids are kept."""
        shown = [*self.shown, request_id][-SHOWN_KEPT:]
        return self.model_copy(update={**changes, "shown": shown})


class AlertMemory:
    """Redis state of alert delivery for the current Sentry organisation."""

    def __init__(self, store: Store, client: SentryClient) -> None:
        self.store = store
        self.client = client

    def _key(self, *parts: str) -> str:
        return cache_key(self.store, self.client, "alertpush", *parts)

    async def card(self, rule: str, issue_id: str) -> PostedCard | None:
        raw = await self.store.get_json(self._key("card", rule, issue_id))
        return PostedCard.model_validate(raw) if isinstance(raw, dict) else None

    async def remember_card(
        self, rule: str, issue_id: str, card: PostedCard, *, interval: float
    ) -> None:
        await self.store.set_json(
            self._key("card", rule, issue_id), card.model_dump(), ttl=interval + GRACE
        )

    async def forget_card(self, rule: str, issue_id: str) -> None:
        await self.store.delete(self._key("card", rule, issue_id))

    async def note(self, issue_id: str) -> AlertNote | None:
        raw = await self.store.get_json(self._key("note", issue_id))
        return AlertNote.model_validate(raw) if isinstance(raw, dict) else None

    async def remember_note(self, issue_id: str, note: AlertNote) -> None:
        await self.store.set_json(self._key("note", issue_id), note.model_dump(), ttl=NOTE_TTL)

    async def incident(self, incident_id: str) -> IncidentMessage | None:
        raw = await self.store.get_json(self._key("incident", incident_id))
        return IncidentMessage.model_validate(raw) if isinstance(raw, dict) else None

    async def remember_incident(self, incident_id: str, msg: IncidentMessage) -> None:
        await self.store.set_json(
            self._key("incident", incident_id), msg.model_dump(), ttl=INCIDENT_TTL
        )

    async def done(self, request_id: str) -> bool:
        return await self.store.get_json(self._key("done", request_id)) is not None

    async def mark_done(self, request_id: str) -> None:
        await self.store.set_json(self._key("done", request_id), 1, ttl=DONE_TTL)

    def lock_name(self, *parts: str) -> str:
        return self._key("lock", *parts)

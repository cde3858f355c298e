"""What every feature adds to an issue card, gathered once by the composition root.

The card is drawn by several surfaces (issues, triage, unfurl, alerts, webhooks); each feature
contributes a part (a context line, a button). The control row itself is drawn by the card's
template (templates/triage/_controls.j2): a feature's button is data, a `CardButton`.
`CardHooks` holds every part in one frozen value built once per app (`handlers.card_hooks`),
so the order in which listeners are registered can neither double nor drop a control.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.core.ids import Action
from bot.sentry.models import Issue

CardPosted = Callable[[str, dict[str, Any]], Awaitable[None]]
"""Called with the issue id and `chat.postMessage`'s answer once a card is posted."""
CardNote = Callable[[Issue], Awaitable[list[str]]]
"""Context lines (mrkdwn) for the card; a slow or failing one is left out."""


@dataclass(frozen=True, slots=True)
class CardButton:
    """A button a feature adds to the card's control row, drawn by the card's template."""

    label: str
    action_id: Action
    value: str


CardEnricher = Callable[[Issue], Awaitable[list[CardButton]]]
"""Extra buttons for the card's action row (may ask Sentry)."""
ReleaseUrl = Callable[[str], str]
"""A release's page in Sentry's web UI."""


@dataclass(frozen=True, slots=True)
class CardHooks:
    """Every feature's part of the issue card, in a fixed order."""

    on_posted: CardPosted | None = None
    notes: tuple[CardNote, ...] = ()
    enrichers: tuple[CardEnricher, ...] = ()
    release_url: ReleaseUrl | None = None

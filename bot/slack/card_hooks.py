"""What every feature adds to an issue card, gathered once by the composition root.

The card is drawn by several surfaces (issues, triage, unfurl, alerts, webhooks); each feature
contributes a part (a control row, a context line, a button). `CardHooks` holds all of them in
one frozen value built once per app (`handlers.card_hooks`), so the order in which listeners
are registered can neither double nor drop a control.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.sentry.models import Issue

CardActions = Callable[[Issue], list[Any]]
"""The card's control row (resolve, ignore, assign, …)."""
RowAccessory = Callable[[Issue], dict[str, Any]]
"""The overflow menu on an issue list row."""
CardPosted = Callable[[str, dict[str, Any]], Awaitable[None]]
"""Called with the issue id and `chat.postMessage`'s answer once a card is posted."""
CardNote = Callable[[Issue], Awaitable[list[str]]]
"""Context lines (mrkdwn) for the card; a slow or failing one is left out."""
CardEnricher = Callable[[Issue], Awaitable[list[dict[str, Any]]]]
"""Extra buttons for the card's action row (may ask Sentry)."""
ReleaseUrl = Callable[[str], str]
"""A release's page in Sentry's web UI."""


@dataclass(frozen=True, slots=True)
class CardHooks:
    """Every feature's part of the issue card, in a fixed order."""

    actions: CardActions | None = None
    row_accessory: RowAccessory | None = None
    on_posted: CardPosted | None = None
    notes: tuple[CardNote, ...] = ()
    enrichers: tuple[CardEnricher, ...] = ()
    release_url: ReleaseUrl | None = None

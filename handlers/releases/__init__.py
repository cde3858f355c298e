"""Releases and deploys in Slack: the listeners of bot/releases/.

- reports.py: `/dexter releases`, `release <version>`, `deploys`, the release card's buttons,
  and the issue card's suspect release line (`card_note`);
- changes.py: `/dexter release create` (command and modal) and `/dexter deploy`;
- subs.py: `/dexter subscribe releases`, `/dexter subscriptions`, `/dexter unsubscribe <id>`.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.deps import Deps
from handlers.releases import changes, reports, subs
from handlers.releases.reports import card_note

__all__ = ["COMMANDS", "card_note", "register"]

COMMANDS = [*reports.COMMANDS, *changes.COMMANDS, *subs.COMMANDS]


def register(app: AsyncApp, deps: Deps) -> None:
    """Listen for the release creation modal and the release card's buttons."""
    changes.register(app, deps)
    reports.register(app, deps)

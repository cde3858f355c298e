"""Alert rules in Slack: the listeners of bot/alerts/.

- listing.py: `/dexter alerts`, the list of rules with its pages, Enable/Disable and Delete;
- modal.py: `/dexter alert create`, the rule form: opened, redrawn, its option searches;
- submit.py: the form submitted: checked, previewed, confirmed and created in Sentry.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.deps import Deps
from handlers.alerts import listing, modal, submit

COMMANDS = [*listing.COMMANDS, *modal.COMMANDS]


def register(app: AsyncApp, deps: Deps) -> None:
    """Listen for the list's buttons and the rule form."""
    listing.register(app, deps)
    modal.register(app, deps)
    submit.register(app, deps)

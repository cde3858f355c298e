"""Issues and triage in Slack: the listeners of bot/triage/.

- issues.py: `/dexter issues` (the issue list and its Next page button), `/dexter issue`;
- changes.py: `/dexter resolve | unresolve | ignore | assign | unassign <issue> …`;
- bulk.py: `/dexter bulk …`, its preview's Confirm and Cancel;
- card_actions.py: the triage controls on issue cards, unfurls, list rows and digest rows.

The card itself (assembled, posted, refreshed) is bot/triage/cards.py: every surface shows it.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.deps import Deps
from handlers.triage import bulk, card_actions, changes, issues

COMMANDS = [*issues.COMMANDS, *changes.COMMANDS, *bulk.COMMANDS]


def register(app: AsyncApp, deps: Deps) -> None:
    """Listen for the issue list's buttons, the card's controls and the bulk preview's."""
    issues.register(app, deps)
    card_actions.register(app, deps)
    bulk.register(app, deps)

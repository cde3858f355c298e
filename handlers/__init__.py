"""Slack surfaces. Each module exposes `COMMANDS` and/or `register(app, deps)`."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.deps import Deps
from bot.slack.command_table import Dispatcher
from handlers import (
    alert_push,
    alerts,
    card_actions,
    commands,
    comments,
    digests,
    discover,
    events,
    home,
    identity,
    issue_subs,
    issues,
    options,
    perf,
    releases,
    replays,
    teams,
    triage,
    unfurl,
    webhooks,
    workspaces,
)
from handlers import triage_bulk as bulk

MODULES = [
    issues,
    triage,
    card_actions,
    bulk,
    identity,
    unfurl,
    options,
    discover,
    perf,
    replays,
    events,
    releases,
    alerts,
    alert_push,
    workspaces,
    digests,
    teams,
    home,
    issue_subs,
    comments,
    webhooks,
]


def register_all(app: AsyncApp, deps: Deps) -> Dispatcher:
    """Wire every surface into the app; returns the sub-command dispatcher."""
    table = [*commands.COMMANDS]
    for module in MODULES:
        table += getattr(module, "COMMANDS", [])
    dispatcher = Dispatcher(table)
    commands.register(app, deps, dispatcher)
    for module in MODULES:
        module.register(app, deps)
    return dispatcher

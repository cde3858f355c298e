"""Each surface is wired once: the issue card's parts are built by the composition root, so
registering the listeners again, or in another order, can neither double nor drop a control."""

from __future__ import annotations

from collections import Counter
from typing import Any

from bot.app import create_app
from bot.core.lifecycle import Lifecycle
from bot.core.settings import Settings
from bot.deps import Deps
from bot.sentry.issues import IssueDetail
from bot.sentry.models import Issue
from bot.triage.cards import card_blocks
from handlers import MODULES
from tests import factories as f
from tests.sentry_mock import SentryMock


def _names(hooks: Any) -> tuple[Counter[str], Counter[str]]:
    notes = Counter(n.__qualname__ for n in hooks.notes)
    enrichers = Counter(e.__qualname__ for e in hooks.enrichers)
    return notes, enrichers


def _action_ids(deps: Deps) -> list[str]:
    """The action ids on a rendered card's control rows."""
    detail = IssueDetail(issue=Issue.model_validate(f.issue(1)), event=None)
    ids: list[str] = []
    for block in card_blocks(deps, detail):
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            ids.append(str(element.get("action_id")))
    return ids


async def test_card_hooks_are_registered_once(settings: Settings, deps: Deps) -> None:
    create_app(settings, deps)
    assert len({m.__name__ for m in MODULES}) == len(MODULES)
    notes, enrichers = _names(deps.cards)
    assert notes and max(notes.values()) == 1, notes
    assert enrichers and max(enrichers.values()) == 1, enrichers
    # the state line comes first, whatever order the features are registered in
    assert next(iter(notes)).startswith("state_note")


async def test_registering_again_or_reordered_keeps_the_same_controls(
    settings: Settings, deps: Deps
) -> None:
    app = create_app(settings, deps)
    hooks = deps.cards
    assert deps.webhooks is not None
    routes = dict(deps.webhooks.handlers)
    assert set(routes) == {"issue", "comment", "installation", "event_alert", "metric_alert"}
    first = _action_ids(deps)
    assert first and len(first) == len(set(first)), first
    for module in reversed(MODULES):  # every listener registered a second time, backwards
        module.register(app, deps)
    assert deps.cards is hooks and deps.webhooks.handlers == routes
    assert _action_ids(deps) == first
    create_app(settings, deps)  # a second app on the same services: built again, not appended
    assert _names(deps.cards) == _names(hooks)
    assert _action_ids(deps) == first


async def test_background_parts_are_built_once_by_the_root(settings: Settings, deps: Deps) -> None:
    create_app(settings, deps)
    first = (deps.lifecycle.names(), deps.digests, deps.release_watch)
    assert sorted(first[0]) == ["digests", "release watch", "timer", "workspace check"]
    create_app(settings, deps)  # a second app replaces each part instead of adding one
    assert deps.lifecycle.names() == first[0]
    assert deps.digests is not first[1] and deps.release_watch is not first[2]
    assert deps.lifecycle.parts["release watch"].stop == deps.release_watch.stop


async def test_lifecycle_stops_in_reverse_order() -> None:
    seen: list[str] = []

    def hook(word: str) -> Any:
        async def run() -> None:
            seen.append(word)

        return run

    life = Lifecycle()
    life.add("a", hook("start a"), hook("stop a"))
    life.add("b", hook("start b"))  # nothing to stop
    life.add("c", hook("start c"), hook("stop c"))
    life.add("a", hook("start a2"), hook("stop a2"))  # replaced, keeps its place
    await life.start()
    await life.stop()
    assert seen == ["start a2", "start b", "start c", "stop c", "stop a2"]


async def test_digests_and_the_release_watch_share_one_timer(
    settings: Settings, deps: Deps, sentry_mock: SentryMock
) -> None:
    sentry_mock.releases([])
    create_app(settings, deps)
    assert deps.digests is not None and deps.release_watch is not None
    timer = deps.timer
    assert timer is not None and not timer.running
    await deps.lifecycle.start()
    try:
        assert timer.running
        assert {j.id for j in timer.get_jobs()} >= {"digest-tick", "release-watch"}
        assert deps.digests.scheduler.running
    finally:
        await deps.lifecycle.stop()
    assert not timer.running and not deps.digests.scheduler.running

"""Each surface is wired once: a module registered twice doubles its card hooks."""

from __future__ import annotations

from collections import Counter

from bot.app import create_app
from bot.core.settings import Settings
from bot.deps import Deps
from handlers import MODULES


async def test_card_hooks_are_registered_once(settings: Settings, deps: Deps) -> None:
    create_app(settings, deps)
    assert len({m.__name__ for m in MODULES}) == len(MODULES)
    notes = Counter(n.__qualname__ for n in deps.extras.get("card_notes") or [])
    enrichers = Counter(e.__qualname__ for e in deps.extras.get("card_enrichers") or [])
    assert notes and max(notes.values()) == 1, notes
    assert enrichers and max(enrichers.values()) == 1, enrichers

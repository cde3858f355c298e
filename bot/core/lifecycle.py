"""The background parts of a process (digest scheduler, release watch, …), started once the
app serves and stopped when it ends.

The composition root adds each part by name: an app built again on the same services
replaces a part instead of running it twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

Hook = Callable[[], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Background:
    """One background part: how to start it and, if it holds anything, how to stop it."""

    name: str
    start: Hook
    stop: Hook | None = None


@dataclass
class Lifecycle:
    """The process's background parts, started in the order added, stopped in reverse."""

    parts: dict[str, Background] = field(default_factory=dict)

    def add(self, name: str, start: Hook, stop: Hook | None = None) -> None:
        """Add a part (replacing one of the same name)."""
        self.parts[name] = Background(name, start, stop)

    def names(self) -> list[str]:
        """The parts, in start order."""
        return list(self.parts)

    async def start(self) -> None:
        """Start every part."""
        for part in list(self.parts.values()):
            await part.start()

    async def stop(self) -> None:
        """Stop every part that holds something, last started first."""
        for part in reversed(list(self.parts.values())):
            if part.stop is not None:
                await part.stop()

"""The `/dexter` sub-command table and its dispatcher: longest match first, help from it."""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from handlers.context import CommandContext

Handler = Callable[["CommandContext", str], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Subcommand:
    """One `/dexter <name> …` entry: the only place its usage and example are written."""

    name: str
    usage: str
    summary: str
    example: str
    handler: Handler = field(compare=False)
    aliases: tuple[str, ...] = ()
    group: str = "General"

    @property
    def words(self) -> list[tuple[str, ...]]:
        """Each name and alias as a tuple of lower-case words."""
        return [tuple(n.split()) for n in (self.name, *self.aliases)]


@dataclass(frozen=True, slots=True)
class Match:
    command: Subcommand
    args: str


class Dispatcher:
    """Finds the sub-command for a line of text; the longest matching name wins."""

    def __init__(self, commands: Iterable[Subcommand]) -> None:
        self.commands: list[Subcommand] = list(commands)
        self._by_words: dict[tuple[str, ...], Subcommand] = {}
        for cmd in self.commands:
            for words in cmd.words:
                if words in self._by_words:
                    raise ValueError(f"duplicate sub-command {' '.join(words)!r}")
                self._by_words[words] = cmd
        self._max_words = max((len(w) for w in self._by_words), default=1)

    def match(self, text: str) -> Match | None:
        """The sub-command named at the start of text and the rest as its arguments."""
        tokens = text.strip().split()
        lowered = [t.lower() for t in tokens]
        for n in range(min(self._max_words, len(tokens)), 0, -1):
            cmd = self._by_words.get(tuple(lowered[:n]))
            if cmd is not None:
                rest = text.strip()
                for token in tokens[:n]:
                    rest = rest[rest.index(token) + len(token) :]
                return Match(cmd, rest.strip())
        return None

    def group(self, text: str) -> tuple[str, list[Subcommand]]:
        """For text naming no command: the longest start of it that begins some command
        names (`alert` of `alert create`), and those commands; ("", []) when none does."""
        lowered = [t.lower() for t in text.strip().split()]
        for n in range(min(self._max_words, len(lowered)), 0, -1):
            prefix = tuple(lowered[:n])
            found = [
                cmd
                for cmd in self.commands
                if any(len(w) > n and w[:n] == prefix for w in cmd.words)
            ]
            if found:
                return " ".join(prefix), found
        return "", []

    def suggest(self, text: str) -> str | None:
        """The closest sub-command name to an unknown word, if any is close."""
        word = (text.strip().split() or [""])[0].lower()
        names = sorted({" ".join(w) for w in self._by_words} | {w[0] for w in self._by_words})
        close = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
        return close[0] if close and close[0] != word else None

    def groups(self) -> list[tuple[str, list[Subcommand]]]:
        """Commands by group, in the order groups first appear."""
        out: dict[str, list[Subcommand]] = {}
        for cmd in self.commands:
            out.setdefault(cmd.group, []).append(cmd)
        return list(out.items())

"""Which release a version someone typed means: the exact version, else its short form.

Release versions are usually `<package>@<version>` (`backend@1.1.0`) while people say
`1.1.0`. Pure, so every command that takes a version can share it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def short_version(version: str) -> str:
    """`backend@1.1.0` → `1.1.0`; a version without a package is its own short form."""
    return version.rpartition("@")[2]


def match_versions(wanted: str, releases: Iterable[dict[str, Any]]) -> list[str]:
    """The versions among Sentry release rows that `wanted` names: the exact one if present,
    otherwise every release whose short version is `wanted` (more than one is ambiguous)."""
    versions = [str(r.get("version")) for r in releases if r.get("version")]
    if wanted in versions:
        return [wanted]
    found = [
        str(r["version"])
        for r in releases
        if r.get("version")
        and (short_version(str(r["version"])) == wanted or r.get("shortVersion") == wanted)
    ]
    return list(dict.fromkeys(found))

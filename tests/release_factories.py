"""Sentry payloads for releases, deploys, commits, sessions and event time series."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from tests.factories import iso, now

PROJECTS = {
    "backend": {"id": 2, "slug": "backend", "name": "Backend", "platform": "python"},
    "frontend": {"id": 3, "slug": "frontend", "name": "Frontend", "platform": "javascript"},
}


def path(version: str, *rest: str) -> str:
    """The API path of a release (or a sub-resource), as Dexter's client escapes it."""
    return "/".join(["organizations/acme/releases", quote(version, safe=""), *rest]) + "/"


def deploy(
    did: int | str,
    env: str = "production",
    *,
    ago: timedelta = timedelta(hours=1),
    name: str | None = None,
    url: str | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    finished = at or (now() - ago)
    return {
        "id": str(did),
        "environment": env,
        "dateStarted": (finished - timedelta(minutes=4)).isoformat().replace("+00:00", "Z"),
        "dateFinished": finished.isoformat().replace("+00:00", "Z"),
        "name": name,
        "url": url,
    }


def release(
    version: str = "backend@1.5.2",
    *,
    projects: tuple[str, ...] = ("backend",),
    ago: timedelta = timedelta(hours=2),
    created: datetime | None = None,
    released: bool = True,
    new_groups: int = 3,
    commits: int = 12,
    deploys: list[dict[str, Any]] | None = None,
    health: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    when = created or (now() - ago)
    stamp = when.isoformat().replace("+00:00", "Z")
    deploys = deploys or []
    last = max(deploys, key=lambda d: d["dateFinished"]) if deploys else None
    package, _, raw = version.rpartition("@")
    return {
        "id": int(hashlib.md5(version.encode()).hexdigest()[:6], 16),
        "version": version,
        # Sentry's ReleaseSerializer sends the full version as `shortVersion`; the short
        # form is `versionInfo.version.raw` (src/sentry/api/serializers/models/release.py).
        "shortVersion": version,
        "status": "open",
        "versionInfo": {
            "package": package or None,
            "version": {"raw": raw},
            "description": raw,
            "buildHash": None,
        },
        "ref": None,
        "url": None,
        "dateCreated": stamp,
        "dateReleased": stamp if released else None,
        "data": {},
        "newGroups": new_groups,
        "owner": None,
        "commitCount": commits,
        "lastCommit": None,
        "deployCount": len(deploys),
        "lastDeploy": last,
        "authors": [],
        "projects": [
            {
                **PROJECTS[p],
                "newGroups": new_groups,
                "platforms": [PROJECTS[p]["platform"]],
                "hasHealthData": health,
            }
            for p in projects
        ],
        "firstEvent": None,
        "lastEvent": None,
        "currentProjectMeta": {},
        "userAgent": None,
        **extra,
    }


def commit(n: int, message: str, author: str = "Jane Doe") -> dict[str, Any]:
    sha = hashlib.sha1(f"c{n}".encode()).hexdigest()
    return {
        "id": sha,
        "message": message,
        "dateCreated": iso(timedelta(hours=3, minutes=n)),
        "pullRequest": None,
        "suspectCommitType": "",
        "releases": [],
        "author": {"name": author, "email": author.split()[0].lower() + "@acme.io"},
        "repository": {"id": "1", "name": "acme/backend", "dateCreated": iso(timedelta(days=90))},
    }


def sessions(health: dict[str, tuple[int, float | None, float | None]]) -> dict[str, Any]:
    """A sessions answer grouped by release: version → (sessions, crash-free s, crash-free u)."""
    return {
        "start": iso(timedelta(days=30)),
        "end": iso(),
        "intervals": [],
        "query": "",
        "groups": [
            {
                "by": {"release": v},
                "totals": {
                    "sum(session)": n,
                    "crash_free_rate(session)": cs,
                    "crash_free_rate(user)": cu,
                },
                "series": {},
            }
            for v, (n, cs, cu) in health.items()
        ],
    }


def timeseries(start: datetime, hours: int, value: int = 4) -> dict[str, Any]:
    ms = int(start.astimezone(UTC).timestamp() * 1000)
    return {
        "timeSeries": [
            {
                "values": [
                    {"timestamp": ms + h * 3_600_000, "value": value + h % 5, "incomplete": False}
                    for h in range(hours)
                ],
                "yAxis": "count()",
                "meta": {"valueUnit": None, "valueType": "integer", "interval": 3600},
            }
        ],
        "meta": {"dataset": "errors", "start": ms, "end": ms + hours * 3_600_000},
    }

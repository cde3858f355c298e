"""Realistic Sentry payloads (shaped like the schema's examples) for tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests import clock


def now() -> datetime:
    """The instant the running test began (its clock's start): payloads are dated from it."""
    return clock.current().start


def iso(delta: timedelta = timedelta()) -> str:
    return (now() - delta).isoformat().replace("+00:00", "Z")


def project(pid: int = 2, slug: str = "backend", team: str = "core") -> dict[str, Any]:
    return {
        "id": str(pid),
        "slug": slug,
        "name": slug.title(),
        "platform": "python",
        "teams": [{"id": "10", "slug": team, "name": team.title()}],
        "team": {"id": "10", "slug": team, "name": team.title()},
    }


def issue(
    iid: int = 1,
    *,
    short: str | None = None,
    title: str = "ZeroDivisionError: division by zero",
    status: str = "unresolved",
    assigned: dict[str, Any] | None = None,
    proj: dict[str, Any] | None = None,
    count: int = 1520,
    users: int = 42,
    **extra: Any,
) -> dict[str, Any]:
    p = proj or project()
    return {
        "id": str(iid),
        "shortId": short or f"{p['slug'].upper()}-{iid:X}",
        "title": title,
        "culprit": "app.billing in compute_total",
        "level": "error",
        "status": status,
        "substatus": "ongoing" if status == "unresolved" else None,
        "statusDetails": {},
        "permalink": f"https://acme.sentry.io/issues/{iid}/",
        "project": {"id": p["id"], "slug": p["slug"], "name": p["name"], "platform": "python"},
        "assignedTo": assigned,
        "count": str(count),
        "userCount": users,
        "firstSeen": iso(timedelta(days=3)),
        "lastSeen": iso(timedelta(minutes=5)),
        "firstRelease": {"version": "backend@1.4.0", "shortVersion": "1.4.0"},
        "lastRelease": {"version": "backend@1.5.2", "shortVersion": "1.5.2"},
        "stats": {"24h": [[1700000000 + h * 3600, (h * 7) % 23] for h in range(24)]},
        "tags": [],
        "metadata": {"title": title},
        "platform": "python",
        "type": "error",
        "isBookmarked": False,
        "hasSeen": False,
        "numComments": 0,
        "isPublic": False,
        **extra,
    }


def event(issue_id: int = 1) -> dict[str, Any]:
    return {
        "id": "a" * 32,
        "eventID": "a" * 32,
        "groupID": str(issue_id),
        "title": "ZeroDivisionError",
        "platform": "python",
        "dateCreated": iso(timedelta(minutes=5)),
        "tags": [
            {"key": "environment", "value": "production"},
            {"key": "release", "value": "backend@1.5.2"},
            {"key": "browser", "value": "Chrome 131"},
            {"key": "os", "value": "Linux"},
        ],
        "entries": [
            {
                "type": "exception",
                "data": {
                    "values": [
                        {
                            "type": "ZeroDivisionError",
                            "value": "division by zero",
                            "module": None,
                            "stacktrace": {
                                "frames": [
                                    {
                                        "filename": "django/core/handlers.py",
                                        "function": "inner",
                                        "lineNo": 55,
                                        "inApp": False,
                                    },
                                    {
                                        "filename": "app/billing.py",
                                        "function": "compute_total",
                                        "lineNo": 88,
                                        "inApp": True,
                                    },
                                ]
                            },
                        }
                    ]
                },
            }
        ],
    }


def member(
    mid: int,
    email: str,
    *,
    role: str = "member",
    user_id: int | None = None,
    teams: list[str] | None = None,
    name: str = "",
) -> dict[str, Any]:
    return {
        "id": str(mid),
        "email": email,
        "name": name or email.split("@")[0].title(),
        "orgRole": role,
        "role": role,
        "pending": False,
        "teams": teams or [],
        "user": {
            "id": str(user_id or mid * 100),
            "email": email,
            "name": name or email.split("@")[0].title(),
        },
    }


def link_header(path: str, cursor: str | None) -> dict[str, str]:
    """A Sentry `Link` header; `cursor=None` means no further results."""
    base = f"https://sentry.io/api/0/{path}"
    nxt = cursor or "0:100:0"
    results = "true" if cursor else "false"
    return {
        "Link": f'<{base}?cursor=0:0:1>; rel="previous"; results="false"; cursor="0:0:1", '
        f'<{base}?cursor={nxt}>; rel="next"; results="{results}"; cursor="{nxt}"'
    }

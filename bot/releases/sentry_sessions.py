"""Release health from `organizations/{org}/sessions/`: crash-free rates per release."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.sentry.client import SentryClient

FIELDS = ["sum(session)", "crash_free_rate(session)", "crash_free_rate(user)"]


@dataclass(frozen=True, slots=True)
class Health:
    """Crash-free rates as fractions (0.0–1.0); None when the release has no sessions."""

    sessions: int = 0
    crash_free_sessions: float | None = None
    crash_free_users: float | None = None

    @property
    def has_data(self) -> bool:
        """True when Sentry counted any session for the release."""
        return self.sessions > 0 and self.crash_free_sessions is not None


def release_filter(versions: Sequence[str]) -> str:
    """`release:"a"` or `release:["a", "b"]`: the search term that selects these releases."""
    quoted = [_quote(v) for v in versions]
    return f"release:{quoted[0]}" if len(quoted) == 1 else f"release:[{', '.join(quoted)}]"


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _rate(value: Any) -> float | None:
    if isinstance(value, int | float) and 0.0 <= float(value) <= 1.0:
        return float(value)
    return None


def parse_groups(data: Any) -> dict[str, Health]:
    """Health per release from a sessions answer grouped by release."""
    out: dict[str, Health] = {}
    for group in (data or {}).get("groups") or []:
        release = (group.get("by") or {}).get("release")
        if not release:
            continue
        totals = group.get("totals") or {}
        sessions = totals.get("sum(session)")
        out[str(release)] = Health(
            sessions=int(sessions) if isinstance(sessions, int | float) else 0,
            crash_free_sessions=_rate(totals.get("crash_free_rate(session)")),
            crash_free_users=_rate(totals.get("crash_free_rate(user)")),
        )
    return out


class SessionService:
    """Crash-free sessions and users, grouped by release."""

    def __init__(self, client: SentryClient) -> None:
        self.client = client

    async def by_release(
        self,
        versions: Sequence[str],
        *,
        project_ids: Sequence[str] = (),
        environment: str | None = None,
        period: str = "30d",
    ) -> dict[str, Health]:
        """Health of each version over `period` (releases without sessions are absent)."""
        if not versions:
            return {}
        resp = await self.client.get(
            self.client.org_path("sessions"),
            params={
                "field": FIELDS,
                "groupBy": ["release"],
                "statsPeriod": period,
                "interval": "1h" if period.endswith(("h", "m")) else "1d",
                "project": list(project_ids),
                "environment": [environment] if environment else None,
                "query": release_filter(versions),
                "includeSeries": 0,
                "per_page": max(len(versions), 1),
            },
        )
        return parse_groups(resp.data)

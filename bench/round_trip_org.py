"""The Sentry organisation `bench.round_trips` talks to: every endpoint its commands read.

Shapes follow Sentry's serializers (a release's `shortVersion` is its full version, as
Sentry's ReleaseSerializer sends it; the short form is in `versionInfo`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import unquote

import httpx
import respx
from httpx import Response

from tests import discover_factories as df
from tests import factories as f
from tests import release_factories as rf
from tests.alerts.test_alerts_list import DETECTORS, WORKFLOWS
from tests.digest_sentry import DashboardSentry
from tests.sentry_mock import SentryMock

ORG = "organizations/acme/"
MEMBERS = [
    f.member(1, "ann@acme.com", teams=["core"], name="Ann"),
    f.member(5, "ada@acme.com", role="admin", user_id=500, name="Ada"),
]
REPLAY_IDS = [f"{i:032x}" for i in range(3)]


def release(version: str, *, ago: timedelta, deploys: list[dict[str, Any]]) -> dict[str, Any]:
    """A release as Sentry's list and detail serialize it."""
    package, _, raw = version.partition("@")
    return rf.release(
        version,
        ago=ago,
        deploys=deploys,
        shortVersion=version,
        versionInfo={
            "package": package,
            "version": {"raw": raw},
            "description": raw,
            "buildHash": None,
        },
    )


RELEASES = [
    release(
        "backend@1.6.0",
        ago=timedelta(hours=5),
        deploys=[
            rf.deploy(6, "staging", ago=timedelta(hours=5)),
            rf.deploy(7, "production", ago=timedelta(hours=4)),
        ],
    ),
    release("backend@1.5.2", ago=timedelta(days=9), deploys=[rf.deploy(5, ago=timedelta(days=9))]),
]


class BenchOrg:
    """Installs the routes; the digest's questions are answered by DashboardSentry."""

    def install(self, router: respx.MockRouter) -> BenchOrg:
        self.dashboard = DashboardSentry().install(router)
        r = router
        r.get(ORG).respond(200, json={"id": "1", "slug": "acme", "name": "Acme"})
        acme = SentryMock(router)
        acme.members(MEMBERS)
        r.get("teams/acme/core/members/").respond(200, json=MEMBERS[:1])
        acme.issues(self._issues)
        r.put(ORG + "issues/123/").respond(200, json={"status": "resolved"})
        r.get(ORG + "shortids/BACKEND-1/").respond(
            200, json={"groupId": "123", "shortId": "BACKEND-1", "group": f.issue(123)}
        )
        r.get(url__regex=r"organizations/acme/issues/(?P<ref>123|BACKEND-1)/$").respond(
            200, json=f.issue(123, short="BACKEND-1", firstRelease=RELEASES[0])
        )
        r.get(url__regex=r"organizations/acme/issues/(123|BACKEND-1)/events/latest/$").respond(
            200, json=f.event(123)
        )
        r.get(ORG + "replay-count/").mock(side_effect=self._replay_count)
        replays = [df.replay(rid, minutes_ago=5 + i) for i, rid in enumerate(REPLAY_IDS)]
        r.get(ORG + "replays/").respond(200, json={"data": replays})
        acme.releases(self._releases)
        r.get(url__regex=r"organizations/acme/releases/(?P<v>[^/]+)/$").mock(
            side_effect=self._release
        )
        r.get(url__regex=r"organizations/acme/releases/[^/]+/commits/$").respond(
            200, json=[rf.commit(i, f"fix: thing {i}") for i in range(3)]
        )
        r.get(url__regex=r"organizations/acme/releases/(?P<v>[^/]+)/deploys/$").mock(
            side_effect=self._deploys
        )
        r.get(ORG + "workflows/").respond(200, json=WORKFLOWS)
        r.get(ORG + "detectors/").respond(200, json=DETECTORS)
        return self

    async def _issues(self, request: httpx.Request) -> Response:
        params = request.url.params
        if "start" in params or "firstSeen" in params.get("query", ""):
            return await self.dashboard._issues(request)  # the digest's questions
        link = f.link_header("organizations/acme/issues/", "0:10:0")
        return Response(200, json=[f.issue(i) for i in range(1, 11)], headers=link)

    def _replay_count(self, request: httpx.Request) -> Response:
        if request.url.params.get("returnIds") == "true":
            return Response(200, json={"123": REPLAY_IDS})
        return Response(200, json={"123": len(REPLAY_IDS)})

    def _releases(self, request: httpx.Request) -> Response:
        query = request.url.params.get("query") or ""
        return Response(200, json=[r for r in RELEASES if query in r["version"]])

    def _release(self, request: httpx.Request, v: str) -> Response:
        found = [r for r in RELEASES if r["version"] == unquote(v)]
        if not found:
            return Response(404, json={"detail": "The requested resource does not exist"})
        return Response(200, json=found[0])

    def _deploys(self, request: httpx.Request, v: str) -> Response:
        found = [r for r in RELEASES if r["version"] == unquote(v)]
        last = found[0]["lastDeploy"] if found else None
        older = rf.deploy(6, "staging", ago=timedelta(hours=5))
        return Response(200, json=[last, older] if last else [])

"""A small stateful Sentry organisation on respx: issues change when Dexter PUTs to them.

Members: ann (member of #core, which owns `backend`), bob (member of #pay, which owns
`payments`), carol (admin). Slack users U1/U2/U3 have their emails; U9 has none in Sentry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import respx
from httpx import Response

from tests import factories as f
from tests.fake_slack import FakeSlack

BACKEND = f.project(2, "backend", team="core")
PAYMENTS = {
    **f.project(3, "payments", team="pay"),
    "teams": [{"id": "11", "slug": "pay", "name": "Pay"}],
}
TEAMS = [
    {"id": "10", "slug": "core", "name": "Core", "memberCount": 2, "projects": [BACKEND]},
    {"id": "11", "slug": "pay", "name": "Pay", "memberCount": 1, "projects": [PAYMENTS]},
]
MEMBERS = [
    f.member(1, "ann@acme.io", teams=["core"], name="Ann Example"),
    f.member(2, "bob@acme.io", teams=["pay"], name="Bob Builder"),
    f.member(3, "carol@acme.io", role="admin", name="Carol Admin"),
]
SLACK_USERS = {"U1": "ann@acme.io", "U2": "bob@acme.io", "U3": "carol@acme.io", "U9": "x@else.io"}


@dataclass
class SentryOrg:
    """Issues by id, the PUTs received, and knobs for failures."""

    router: respx.MockRouter
    issues: dict[str, dict[str, Any]] = field(default_factory=dict)
    releases: list[dict[str, Any]] = field(default_factory=list)
    puts: list[tuple[list[str], dict[str, Any]]] = field(default_factory=list)
    bulk_fail: Callable[[list[str]], Response | None] | None = None
    put_fail: Callable[[str], Response | None] | None = None

    def add(self, iid: int, *, proj: dict[str, Any] = BACKEND, **kw: Any) -> dict[str, Any]:
        issue = f.issue(iid, proj=proj, **kw)
        self.issues[str(iid)] = issue
        return issue

    def install(self) -> SentryOrg:
        r = self.router
        r.get("organizations/acme/members/").mock(return_value=Response(200, json=MEMBERS))
        r.get(url__regex=r"organizations/acme/members/(?P<mid>\d+)/$").mock(
            side_effect=self._member
        )
        r.get("organizations/acme/projects/").mock(
            return_value=Response(200, json=[BACKEND, PAYMENTS])
        )
        r.get("organizations/acme/teams/").mock(return_value=Response(200, json=TEAMS))
        r.get("organizations/acme/releases/").mock(side_effect=self._releases)
        r.get(url__regex=r"organizations/acme/shortids/(?P<sid>[^/]+)/$").mock(
            side_effect=self._shortid
        )
        r.get(url__regex=r"organizations/acme/issues/(?P<iid>\d+)/events/latest/$").mock(
            side_effect=lambda request, iid: Response(200, json=f.event(int(iid)))
        )
        r.get(url__regex=r"organizations/acme/issues/(?P<iid>\d+)/$").mock(side_effect=self._get)
        r.put(url__regex=r"organizations/acme/issues/(?P<iid>\d+)/$").mock(side_effect=self._put)
        r.get("organizations/acme/issues/").mock(side_effect=self._search)
        r.put("organizations/acme/issues/").mock(side_effect=self._bulk)
        return self

    # ---- handlers ---------------------------------------------------------------------

    def _member(self, request: httpx.Request, mid: str) -> Response:
        found = [m for m in MEMBERS if m["id"] == mid]
        return Response(200, json=found[0]) if found else Response(404, json={"detail": "nope"})

    def _releases(self, request: httpx.Request) -> Response:
        wanted = request.url.params.get_list("project")
        rows = [r for r in self.releases if not wanted or r["_project"] in wanted]
        per_page = int(request.url.params.get("per_page", 100))
        return Response(
            200, json=[{k: v for k, v in r.items() if k != "_project"} for r in rows][:per_page]
        )

    def _shortid(self, request: httpx.Request, sid: str) -> Response:
        for issue in self.issues.values():
            if issue["shortId"] == sid:
                return Response(200, json={"groupId": issue["id"], "shortId": sid})
        return Response(404, json={"detail": "The requested resource does not exist"})

    def _get(self, request: httpx.Request, iid: str) -> Response:
        issue = self.issues.get(iid)
        return Response(200, json=issue) if issue else Response(404, json={"detail": "not found"})

    def _put(self, request: httpx.Request, iid: str) -> Response:
        import json

        body = json.loads(request.content)
        self.puts.append(([iid], body))
        failure = self.put_fail(iid) if self.put_fail is not None else None
        if failure is not None:
            return failure
        if iid not in self.issues:
            return Response(404, json={"detail": "not found"})
        self._apply(self.issues[iid], body)
        return Response(200, json={k: v for k, v in body.items()})

    def _search(self, request: httpx.Request) -> Response:
        query = request.url.params.get("query", "is:unresolved")
        rows = [i for i in self.issues.values() if _matches(i, query)]
        limit = int(request.url.params.get("limit", 100))
        start = int((request.url.params.get("cursor") or "0:0:0").split(":")[1])
        page = rows[start : start + limit]
        more = start + limit < len(rows)
        cursor = f"0:{start + limit}:0" if more else None
        return Response(200, json=page, headers=f.link_header("organizations/acme/issues/", cursor))

    def _bulk(self, request: httpx.Request) -> Response:
        import json

        ids = request.url.params.get_list("id")
        body = json.loads(request.content)
        self.puts.append((ids, body))
        if self.bulk_fail is not None:
            failure = self.bulk_fail(ids)
            if failure is not None:
                return failure
        found = [self.issues[i] for i in ids if i in self.issues]
        if not found:
            return Response(204)
        for issue in found:
            self._apply(issue, body)
        return Response(200, json=body)

    @staticmethod
    def _apply(issue: dict[str, Any], body: dict[str, Any]) -> None:
        if "status" in body:
            issue["status"] = body["status"]
            issue["substatus"] = body.get("substatus")
            issue["statusDetails"] = body.get("statusDetails") or {}
        if "assignedTo" in body:
            issue["assignedTo"] = _actor(body["assignedTo"])


def _actor(value: str) -> dict[str, Any] | None:
    if not value:
        return None
    kind, _, ident = value.partition(":")
    if kind == "team":
        team = next(t for t in TEAMS if t["id"] == ident)
        return {"type": "team", "id": ident, "name": team["slug"]}
    member = next(m for m in MEMBERS if m["user"]["id"] == ident)
    return {"type": "user", "id": ident, "name": member["name"], "email": member["email"]}


def _matches(issue: dict[str, Any], query: str) -> bool:
    for term in query.split():
        key, _, value = term.partition(":")
        if key == "is" and issue["status"] != value:
            return False
        if key == "level" and issue["level"] != value:
            return False
        if key == "title" and value.lower() not in issue["title"].lower():
            return False
    return True


def add_slack_users(slack: FakeSlack, *, admin: str | None = None) -> None:
    """U1 ann, U2 bob, U3 carol, U9 someone Sentry does not know."""
    for uid, email in SLACK_USERS.items():
        slack.add_user(uid, email=email, name=email.split("@")[0], admin=uid == admin)


def release(version: str, project: str = "2") -> dict[str, Any]:
    """A release row of `organizations/{org}/releases/` for a project id."""
    return {
        "_project": project,
        "id": 1,
        "version": version,
        "shortVersion": version.split("@")[-1],
        "dateCreated": f.iso(),
        "newGroups": 0,
        "status": "open",
        "projects": [],
    }

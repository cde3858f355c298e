"""A small stateful Sentry organisation on respx: issues change when Dexter PUTs to them.

Members: ann (member of #core, which owns `backend`), bob (member of #pay, which owns
`payments`), carol (admin). Slack users U1/U2/U3 have their emails; U9 has none in Sentry.

Issue updates are validated as Sentry's source validates them, beyond the schema
(src/sentry/api/helpers/group_index/update.py update_groups / validate_request, and
validators/status_details.py, validators/group.py): the body is checked against *every*
project of the request (`project`, or all the token sees), release resolutions need a release
in each of them, and assignment in a closed-membership org needs access to each project.
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
from tests.sentry_mock import SentryMock

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
    bulk_projects: list[list[str]] = field(default_factory=list)  # `project` of each bulk PUT
    bulk_fail: Callable[[list[str]], Response | None] | None = None
    open_membership: bool = True  # the org's "allow_joinleave" flag
    put_fail: Callable[[str], Response | None] | None = None

    def add(self, iid: int, *, proj: dict[str, Any] = BACKEND, **kw: Any) -> dict[str, Any]:
        issue = f.issue(iid, proj=proj, **kw)
        self.issues[str(iid)] = issue
        return issue

    def install(self) -> SentryOrg:
        r = self.router
        acme = SentryMock(r)
        acme.members(MEMBERS)
        acme.projects([BACKEND, PAYMENTS])
        acme.teams(TEAMS)
        acme.releases(self._releases)
        acme.issues(self._search)
        r.get(url__regex=r"organizations/acme/shortids/(?P<sid>[^/]+)/$").mock(
            side_effect=self._shortid
        )
        # Like Sentry, issue endpoints take a qualified short id in place of the id.
        r.get(url__regex=r"organizations/acme/issues/(?P<iid>[^/]+)/events/latest/$").mock(
            side_effect=self._latest
        )
        r.get(url__regex=r"organizations/acme/issues/(?P<iid>[^/]+)/$").mock(side_effect=self._get)
        r.put(url__regex=r"organizations/acme/issues/(?P<iid>\d+)/$").mock(side_effect=self._put)
        r.put("organizations/acme/issues/").mock(side_effect=self._bulk)
        acme.card_extras()
        return self

    # ---- handlers ---------------------------------------------------------------------

    def _releases(self, request: httpx.Request) -> Response:
        wanted = request.url.params.get_list("project")
        rows = [r for r in self.releases if not wanted or r["_project"] in wanted]
        text = request.url.params.get("query", "").lower()  # free text: version__icontains
        rows = [r for r in rows if text in r["version"].lower()]
        per_page = int(request.url.params.get("per_page", 100))
        return Response(
            200, json=[{k: v for k, v in r.items() if k != "_project"} for r in rows][:per_page]
        )

    def _shortid(self, request: httpx.Request, sid: str) -> Response:
        for issue in self.issues.values():
            if issue["shortId"] == sid:
                return Response(200, json={"groupId": issue["id"], "shortId": sid})
        return Response(404, json={"detail": "The requested resource does not exist"})

    def _find(self, iid: str) -> dict[str, Any] | None:
        found = [i for i in self.issues.values() if iid in (i["id"], i["shortId"])]
        return found[0] if found else None

    def _get(self, request: httpx.Request, iid: str) -> Response:
        issue = self._find(iid)
        return Response(200, json=issue) if issue else Response(404, json={"detail": "not found"})

    def _latest(self, request: httpx.Request, iid: str) -> Response:
        issue = self._find(iid)
        if issue is None:
            return Response(404, json={"detail": "not found"})
        return Response(200, json=f.event(int(issue["id"])))

    def _put(self, request: httpx.Request, iid: str) -> Response:
        import json

        body = json.loads(request.content)
        self.puts.append(([iid], body))
        failure = self.put_fail(iid) if self.put_fail is not None else None
        if failure is not None:
            return failure
        if iid not in self.issues:
            return Response(404, json={"detail": "not found"})
        issue = self.issues[iid]
        problem, body = self._validate(body, [str(issue["project"]["id"])])
        if problem is not None:
            return problem
        self._apply(issue, body)
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
        asked = request.url.params.get_list("project")
        self.bulk_projects.append(asked)
        if self.bulk_fail is not None:
            failure = self.bulk_fail(ids)
            if failure is not None:
                return failure
        projects = asked or [str(p["id"]) for p in (BACKEND, PAYMENTS)]
        found = [
            self.issues[i]
            for i in ids
            if i in self.issues and str(self.issues[i]["project"]["id"]) in projects
        ]
        if not found:  # the ids are looked up within the projects of the request only
            return Response(204)
        problem, body = self._validate(body, projects)  # before narrowing to the issues'
        if problem is not None:
            return problem
        touched = {str(i["project"]["id"]) for i in found}
        if len(touched) > 1 and (body.get("statusDetails") or {}).keys() & RELEASE_KEYS:
            detail = "Cannot set resolved in release for multiple projects."
            return Response(400, json={"detail": detail})
        for issue in found:
            self._apply(issue, body)
        return Response(200, json=body)

    def _validate(
        self, body: dict[str, Any], projects: list[str]
    ) -> tuple[Response | None, dict[str, Any]]:
        """GroupValidator for each project in turn; the body as Sentry answers it."""
        details = dict(body.get("statusDetails") or {})
        for pid in projects:
            versions = [r["version"] for r in self.releases if r["_project"] == pid]
            wanted = details.get("inRelease")
            if details.get("inNextRelease") or wanted == "latest":
                if not versions:
                    no_data = "No release data present in the system to form a basis for "
                    return _refused("statusDetails", no_data + "'Next Release'"), body
            elif wanted is not None and wanted not in versions:
                message = "Unable to find a release with the given version."
                return _refused("statusDetails", message), body
            if "assignedTo" in body and body["assignedTo"] and not self.open_membership:
                problem = _closed_membership(str(body["assignedTo"]), pid)
                if problem:
                    return _refused("assignedTo", problem), body
        if details.get("inRelease") == "latest":  # answered with the release it picked
            pid = projects[0]
            latest = next(r["version"] for r in self.releases if r["_project"] == pid)
            body = {**body, "statusDetails": {**details, "inRelease": latest}}
        return None, body

    @staticmethod
    def _apply(issue: dict[str, Any], body: dict[str, Any]) -> None:
        if "status" in body:
            issue["status"] = body["status"]
            issue["substatus"] = body.get("substatus")
            issue["statusDetails"] = body.get("statusDetails") or {}
        if "assignedTo" in body:
            issue["assignedTo"] = _actor(body["assignedTo"])


RELEASE_KEYS = {"inRelease", "inNextRelease", "inUpcomingRelease", "inCommit"}


def _refused(field_name: str, message: str) -> Response:
    return Response(400, json={field_name: [message]})


def _closed_membership(assignee: str, project_id: str) -> str | None:
    """validators/group.py validate_assignedTo without allow_joinleave."""
    owners = {t["id"] for t in TEAMS if any(str(p["id"]) == project_id for p in t["projects"])}
    kind, _, ident = assignee.partition(":")
    if kind == "team":
        return None if ident in owners else "Cannot assign to a team without access to the project"
    member = next((m for m in MEMBERS if m["user"]["id"] == ident), None)
    teams = {t["id"] for t in TEAMS if member and t["slug"] in member.get("teams", [])}
    return None if teams & owners else "Cannot assign to non-team member"


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
        if key == "issue.id" and issue["id"] not in value.strip("[]").split(","):
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

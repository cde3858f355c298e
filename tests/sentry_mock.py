"""One builder for a mocked Sentry organisation, over the `sentry` respx router.

The endpoints tests commonly need are routed here, each in one place: the organisation's
directory (projects, members, teams), the issue search, one issue with its latest event,
what an issue card asks besides the issue, and the release list. Payloads come from the
factories (`tests/factories.py`, `tests/*_factories.py`); stateful organisations
(`tests/sentry_org.py`, `tests/digest_sentry.py`) register their routes through it too.

Every method takes an `Answer` and returns the respx route, so a test can read its calls or
change its answer:

- rows (a list) or a JSON object: a 200 with it as the body;
- an `httpx.Response`: that response, every time;
- anything else is respx's side effect: a function of the request (and the path's named
  groups), an exception to raise, or an iterator of responses answered in turn.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import respx
from httpx import Response

from tests import factories as f
from tests.settings_factory import SENTRY_API

Json = dict[str, Any]
SideEffect = (
    Callable[..., Any]
    | Exception
    | type[Exception]
    | Iterator[Response | Exception | type[Exception]]
)
Answer = Json | Sequence[Json] | Response | SideEffect

NOT_FOUND = {"detail": "The requested resource does not exist"}


@dataclass(frozen=True)
class SentryMock:
    """Routes for the organisation at `api`: its path below `/api/0/`
    (`organizations/acme`), or its full URL on another Sentry server."""

    router: respx.MockRouter
    api: str = "organizations/acme"

    def at(self, api: str) -> SentryMock:
        """The same builder for another organisation or server."""
        return SentryMock(self.router, api)

    # ---- the organisation's directory ------------------------------------------------

    def projects(self, answer: Answer) -> respx.Route:
        return _answer(self.router.get(f"{self.api}/projects/"), answer)

    def members(self, rows: Sequence[Json]) -> respx.Route:
        """The member list, and each member's detail by id (404 for an id not in `rows`)."""

        def detail(request: httpx.Request, mid: str) -> Response:
            found = [m for m in rows if m["id"] == mid]
            return Response(200, json=found[0]) if found else Response(404, json=NOT_FOUND)

        self._regex(r"members/(?P<mid>\d+)/$").mock(side_effect=detail)
        return _answer(self.router.get(f"{self.api}/members/"), list(rows))

    def teams(self, answer: Answer) -> respx.Route:
        return _answer(self.router.get(f"{self.api}/teams/"), answer)

    # ---- issues ----------------------------------------------------------------------

    def issues(
        self, answer: Answer = (), *, headers: Mapping[str, str] | None = None
    ) -> respx.Route:
        """The issue search (`GET issues/`); `headers` go with rows (`X-Hits`, `Link`)."""
        return _answer(self.router.get(f"{self.api}/issues/"), answer, headers)

    def issue(
        self, answer: Answer, *, ref: str | int | None = None, latest: Answer | None = None
    ) -> respx.Route:
        """One issue at `ref` (the issue's id unless given: Sentry takes a short id there too)
        and its latest event: `f.event` of it unless `latest` says otherwise. Returns the
        issue's route."""
        if ref is None:
            assert isinstance(answer, dict), "give the ref of an issue answered otherwise"
            ref = answer["id"]
        if latest is None:
            assert isinstance(answer, dict), "give the latest event of an issue answered otherwise"
            latest = f.event(int(answer["id"]))
        _answer(self.router.get(f"{self.api}/issues/{ref}/events/latest/"), latest)
        return _answer(self.router.get(f"{self.api}/issues/{ref}/"), answer)

    def missing_issue(self, ref: str | int) -> respx.Route:
        """An issue Sentry does not have: its detail and latest event answer 404."""
        return self.issue(
            Response(404, json=NOT_FOUND), ref=ref, latest=Response(404, json=NOT_FOUND)
        )

    def card_extras(self, *, replays: bool = True, deploys: bool = True) -> None:
        """What an issue card asks besides the issue: its replay count and its first
        release's deploys (the suspect-release line). Call it after a test's own routes for
        these: respx answers with the first route that matches."""
        if replays:
            self.router.get(f"{self.api}/replay-count/").mock(return_value=Response(200, json={}))
        if deploys:
            self.deploys([])

    # ---- releases --------------------------------------------------------------------

    def releases(self, answer: Answer) -> respx.Route:
        """The release list (`GET releases/`)."""
        return _answer(self.router.get(f"{self.api}/releases/"), answer)

    def deploys(self, answer: Answer) -> respx.Route:
        """Any release's deploys; a route for one release's must come first."""
        return _answer(self._regex(r"releases/[^/]+/deploys/$"), answer)

    # ---- plumbing --------------------------------------------------------------------

    def _regex(self, below: str) -> respx.Route:
        """A GET route whose path below the organisation matches `below`."""
        url = httpx.URL(self.api if "://" in self.api else SENTRY_API + self.api)
        return self.router.get(host=url.host, path__regex=re.escape(url.path) + "/" + below)


def _answer(
    route: respx.Route, answer: Answer, headers: Mapping[str, str] | None = None
) -> respx.Route:
    if isinstance(answer, Response):
        return route.mock(return_value=answer)
    if isinstance(answer, dict):
        return route.mock(return_value=Response(200, json=answer, headers=headers))
    if isinstance(answer, Sequence):
        return route.mock(return_value=Response(200, json=list(answer), headers=headers))
    return route.mock(side_effect=answer)

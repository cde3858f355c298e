"""The release service on its own (what digests reuse): windows, pagination, previous release."""

from __future__ import annotations

from datetime import timedelta

import respx
from httpx import Request, Response

from bot.deps import Deps
from bot.releases.models import Release
from tests import factories as f
from tests import release_factories as rf
from tests.factories import now
from tests.release_helpers import mock_projects
from tests.sentry_mock import SentryMock


def paged(pages: list[list[dict[str, object]]]) -> object:
    """A releases list answering page by page through the cursor, like Sentry."""

    def answer(request: Request) -> Response:
        i = int(request.url.params.get("cursor", "0:0:0").split(":")[1])
        more = i + 1 < len(pages)
        headers = f.link_header("organizations/acme/releases/", f"0:{i + 1}:0" if more else None)
        return Response(200, json=pages[i], headers=headers)

    return answer


async def test_releases_between_stops_paging_past_the_window(
    deps: Deps, sentry: respx.MockRouter, sentry_mock: SentryMock
) -> None:
    mock_projects(sentry)
    day = timedelta(days=1)
    pages = [
        [rf.release("b@5", ago=day * 0.5), rf.release("b@4", ago=day * 2)],
        [rf.release("b@3", ago=day * 4), rf.release("b@2", ago=day * 9)],
        [rf.release("b@1", ago=day * 12), rf.release("b@0", ago=day * 13)],
        [rf.release("b@-1", ago=day * 20)],
    ]
    route = sentry_mock.releases(paged(pages))
    got = await deps.releases.releases_between(now() - day * 10, now() - day, ["backend"])
    assert [r.version for r in got] == ["b@4", "b@3", "b@2"]
    assert route.call_count == 3  # page 3 is wholly older than the window; page 4 never read
    assert route.calls[0].request.url.params.get_list("project") == ["2"]


async def test_deploys_between_reads_only_releases_deployed_in_the_window(
    deps: Deps, sentry: respx.MockRouter, sentry_mock: SentryMock
) -> None:
    hour = timedelta(hours=1)
    recent = [rf.deploy(3, "production", ago=hour * 2), rf.deploy(2, "staging", ago=hour * 30)]
    old = [rf.deploy(1, "production", ago=hour * 100)]
    sentry_mock.releases(
        [
            rf.release("b@2", ago=hour * 40, deploys=recent),
            rf.release("b@1", ago=hour * 120, deploys=old),
        ]
    )
    sentry.get(rf.path("b@2", "deploys")).mock(return_value=Response(200, json=recent))
    old_route = sentry.get(rf.path("b@1", "deploys"))
    got = await deps.releases.deploys_between(now() - hour * 24, now())
    assert [(r.version, r.deploy.environment) for r in got] == [("b@2", "production")]
    assert got[0].projects == ("backend",) and got[0].label == "2"
    assert not old_route.called
    envs = await deps.releases.deploys_between(now() - hour * 48, now(), environment="staging")
    assert [r.deploy.id for r in envs] == ["2"]


async def test_previous_release_across_pages_and_by_date(
    deps: Deps, sentry_mock: SentryMock
) -> None:
    day = timedelta(days=1)
    pages = [
        [rf.release("b@5", ago=day), rf.release("b@4", ago=day * 2)],
        [rf.release("b@3", ago=day * 3)],
    ]
    route = sentry_mock.releases(paged(pages))
    b5, b4, b3 = (Release.model_validate(r) for r in [*pages[0], *pages[1]])
    prev = await deps.releases.previous(b5)
    assert prev is not None and prev.version == "b@4"
    assert route.call_count == 1  # found on the first page: no second request
    prev = await deps.releases.previous(b4)
    assert prev is not None and prev.version == "b@3"  # the next page is read for it
    unlisted = Release.model_validate(rf.release("b@3.5", ago=day * 2.5))
    prev = await deps.releases.previous(unlisted)
    assert prev is not None and prev.version == "b@3"  # not listed: the next older one
    assert await deps.releases.previous(b3) is None

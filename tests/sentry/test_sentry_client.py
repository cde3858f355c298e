"""The Sentry transport: pagination, rate limits, retries, timeouts and error mapping."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest
import respx
from httpx import Response

from bot.core import errors
from bot.sentry.client import SentryClient, endpoint_family, parse_next_cursor
from tests import factories as f
from tests.settings_factory import ORG, SENTRY_BASE, SENTRY_TOKEN


class Sleeps:
    """Records waits instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def client(sleeps: Sleeps) -> AsyncIterator[SentryClient]:
    c = SentryClient(base_url=SENTRY_BASE, token=SENTRY_TOKEN, org=ORG, sleep=sleeps)
    yield c
    await c.aclose()


ISSUES = "organizations/acme/issues/"


async def test_sends_bearer_token_and_decodes(
    client: SentryClient, sentry: respx.MockRouter
) -> None:
    route = sentry.get(ISSUES).mock(return_value=Response(200, json=[f.issue(1)]))
    resp = await client.get(client.org_path("issues"), params={"query": "is:unresolved"})
    assert resp.data[0]["id"] == "1"
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {SENTRY_TOKEN}"
    assert resp.next_cursor is None


async def test_paginates_while_results_true(client: SentryClient, sentry: respx.MockRouter) -> None:
    pages = [
        Response(200, json=[f.issue(1)], headers=f.link_header(ISSUES, "0:1:0")),
        Response(200, json=[f.issue(2)], headers=f.link_header(ISSUES, "0:2:0")),
        Response(200, json=[f.issue(3)], headers=f.link_header(ISSUES, None)),
    ]
    route = sentry.get(ISSUES).mock(side_effect=pages)
    seen = [p.data[0]["id"] async for p in client.paginate(client.org_path("issues"))]
    assert seen == ["1", "2", "3"]
    cursors = [c.request.url.params.get("cursor") for c in route.calls]
    assert cursors == [None, "0:1:0", "0:2:0"]


async def test_pagination_respects_cap(client: SentryClient, sentry: respx.MockRouter) -> None:
    sentry.get(ISSUES).mock(
        return_value=Response(200, json=[f.issue(1)], headers=f.link_header(ISSUES, "0:9:0"))
    )
    pages = [p async for p in client.paginate(client.org_path("issues"), max_pages=3)]
    assert len(pages) == 3


async def test_429_waits_until_reset_then_succeeds(
    client: SentryClient, sentry: respx.MockRouter, sleeps: Sleeps
) -> None:
    reset = int(time.time()) + 3
    sentry.get(ISSUES).mock(
        side_effect=[
            Response(
                429,
                json={"detail": "slow down"},
                headers={
                    "X-Sentry-Rate-Limit-Reset": str(reset),
                    "X-Sentry-Rate-Limit-Remaining": "0",
                },
            ),
            Response(200, json=[]),
        ]
    )
    resp = await client.get(client.org_path("issues"))
    assert resp.data == []
    assert len(sleeps.waits) >= 1 and 1.5 <= max(sleeps.waits) <= 4.5
    assert client.rate_limit_waits >= 1


async def test_429_honours_retry_after(
    client: SentryClient, sentry: respx.MockRouter, sleeps: Sleeps
) -> None:
    sentry.get(ISSUES).mock(
        side_effect=[Response(429, headers={"Retry-After": "7"}), Response(200, json=[])]
    )
    await client.get(client.org_path("issues"))
    assert sleeps.waits == [7.0]


async def test_429_beyond_bound_raises_rate_limited(
    client: SentryClient, sentry: respx.MockRouter
) -> None:
    sentry.get(ISSUES).mock(return_value=Response(429, headers={"Retry-After": "120"}))
    with pytest.raises(errors.SentryRateLimited):
        await client.get(client.org_path("issues"))


async def test_5xx_retried_with_backoff(
    client: SentryClient, sentry: respx.MockRouter, sleeps: Sleeps
) -> None:
    route = sentry.get(ISSUES).mock(
        side_effect=[Response(502), Response(503), Response(200, json=[])]
    )
    await client.get(client.org_path("issues"))
    assert route.call_count == 3
    assert len(sleeps.waits) == 2 and sleeps.waits[1] > sleeps.waits[0] * 0.9 / 2


async def test_5xx_gives_up_as_unavailable(client: SentryClient, sentry: respx.MockRouter) -> None:
    route = sentry.get(ISSUES).mock(return_value=Response(500))
    with pytest.raises(errors.SentryUnavailable):
        await client.get(client.org_path("issues"))
    assert route.call_count == 4  # first try + 3 retries


async def test_timeout_retried_then_unavailable(
    client: SentryClient, sentry: respx.MockRouter
) -> None:
    route = sentry.get(ISSUES).mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(errors.SentryUnavailable) as info:
        await client.get(client.org_path("issues"))
    assert route.call_count == 4
    assert SENTRY_TOKEN not in str(info.value)


async def test_post_not_retried_after_it_may_have_been_processed(
    client: SentryClient, sentry: respx.MockRouter
) -> None:
    route = sentry.post("organizations/acme/releases/").mock(side_effect=httpx.ReadTimeout("?"))
    with pytest.raises(errors.SentryUnavailable):
        await client.post(client.org_path("releases"), json={"version": "1.0", "projects": ["x"]})
    assert route.call_count == 1


async def test_post_retried_when_connection_never_opened(
    client: SentryClient, sentry: respx.MockRouter
) -> None:
    route = sentry.post("organizations/acme/releases/").mock(
        side_effect=[httpx.ConnectError("refused"), Response(201, json={"version": "1.0"})]
    )
    resp = await client.post(
        client.org_path("releases"), json={"version": "1.0", "projects": ["x"]}
    )
    assert resp.status == 201 and route.call_count == 2


async def test_post_5xx_not_retried(client: SentryClient, sentry: respx.MockRouter) -> None:
    route = sentry.post("organizations/acme/releases/").mock(return_value=Response(502))
    with pytest.raises(errors.SentryUnavailable):
        await client.post(client.org_path("releases"), json={"version": "1.0", "projects": ["x"]})
    assert route.call_count == 1


async def test_malformed_json_is_unavailable(
    client: SentryClient, sentry: respx.MockRouter
) -> None:
    sentry.get(ISSUES).mock(return_value=Response(200, content=b"<html>oops</html>"))
    with pytest.raises(errors.SentryUnavailable, match="not JSON"):
        await client.get(client.org_path("issues"))


@pytest.mark.parametrize(
    ("status", "body", "exc", "text"),
    [
        (400, {"detail": "Invalid search: level:"}, errors.SentryBadRequest, "Invalid search"),
        (400, {"query": ["Bad token"]}, errors.SentryBadRequest, "query: Bad token"),
        (401, {"detail": "Invalid token"}, errors.SentryUnauthorized, "Invalid token"),
        (403, {"detail": "No access"}, errors.SentryForbidden, "No access"),
        (404, {"detail": "Not found"}, errors.SentryNotFound, "Not found"),
    ],
)
async def test_client_errors_mapped(
    client: SentryClient,
    sentry: respx.MockRouter,
    status: int,
    body: object,
    exc: type[Exception],
    text: str,
) -> None:
    sentry.get(ISSUES).mock(return_value=Response(status, json=body))
    with pytest.raises(exc, match=text):
        await client.get(client.org_path("issues"))


async def test_concurrency_follows_sentry_header(
    client: SentryClient, sentry: respx.MockRouter
) -> None:
    sentry.get(ISSUES).mock(
        return_value=Response(200, json=[], headers={"X-Sentry-Rate-Limit-ConcurrentLimit": "3"})
    )
    await client.get(client.org_path("issues"))
    assert client.limits.gate("GET issues").limit == 3


def test_parse_next_cursor_variants() -> None:
    assert parse_next_cursor(None) is None
    assert parse_next_cursor(f.link_header(ISSUES, None)["Link"]) is None
    assert parse_next_cursor(f.link_header(ISSUES, "1:2:0")["Link"]) == "1:2:0"


def test_endpoint_family_is_low_cardinality() -> None:
    assert endpoint_family("organizations/acme/issues/123/") == "issues/{id}"
    assert endpoint_family("organizations/acme/issues/") == "issues"
    assert endpoint_family("projects/acme/web/rules/") == "rules"

"""The `sentry` fixture's schema check can fail: a request the schema rejects fails its test."""

from __future__ import annotations

import httpx
import pytest
import respx

from tests import sentry_schema

INNER = """
import httpx

pytest_plugins = ("tests.conftest",)

URL = "https://sentry.io/api/0/organizations/acme/issues/"
AUTH = {"Authorization": "Bearer t"}


def test_valid(sentry):
    sentry.get("organizations/acme/issues/").respond(200, json=[])
    httpx.get(URL, params={"query": "is:unresolved", "groupStatsPeriod": "24h"}, headers=AUTH)


def test_bad_parameter(sentry):
    sentry.get("organizations/acme/issues/").respond(200, json=[])
    httpx.get(URL, params={"groupStatsPeriod": "forever"}, headers=AUTH)


def test_unknown_endpoint(sentry):
    sentry.get("organizations/acme/no-such-thing/").respond(200, json={})
    httpx.get("https://sentry.io/api/0/organizations/acme/no-such-thing/", headers=AUTH)


def test_no_token(sentry):
    sentry.get("organizations/acme/issues/").respond(200, json=[])
    httpx.get(URL)


def test_unrouted_request_swallowed(sentry):
    try:  # as the bot does: an unrouted request is reported as a Sentry failure
        httpx.get(URL, headers=AUTH)
    except Exception:
        pass


def test_failing_test_still_checked(sentry):
    sentry.get("organizations/acme/issues/").respond(200, json=[])
    httpx.get(URL, params={"sort": "loudest"}, headers=AUTH)
    raise RuntimeError("the test's own failure")
"""


def test_the_fixture_fails_a_test_whose_request_the_schema_rejects(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-q", "-o", "asyncio_default_fixture_loop_scope=function"
    )
    result.assert_outcomes(passed=5, failed=1, errors=5)
    out = result.stdout.str()
    assert "ERROR at teardown of test_bad_parameter" in out
    assert "ERROR at teardown of test_unknown_endpoint" in out
    assert "ERROR at teardown of test_no_token" in out and "auth_token" in out
    assert "ERROR at teardown of test_unrouted_request_swallowed" in out
    assert "requests no route answered" in out
    assert "ERROR at teardown of test_failing_test_still_checked" in out
    assert "ERROR at teardown of test_valid" not in out
    assert "groupStatsPeriod" in out and "is not valid for Sentry's API" in out


def test_checked_validates_the_calls_made_inside_the_block() -> None:
    router = respx.mock(base_url="https://sentry.io/api/0/", assert_all_called=False)
    with pytest.raises(AssertionError, match="sort"), sentry_schema.checked(router):
        router.get("organizations/acme/issues/").respond(200, json=[])
        httpx.get(
            "https://sentry.io/api/0/organizations/acme/issues/?sort=loudest",
            headers={"Authorization": "Bearer t"},
        )

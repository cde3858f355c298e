"""End to end: `/dexter releases`, `release <version>`, `deploys`, issue correlation."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs

import respx
from httpx import Response

from tests import factories as f
from tests import release_factories as rf
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.release_helpers import (
    elements,
    mock_projects,
    release_card_routes,
    text_of,
)
from tests.sentry_mock import SentryMock


async def test_releases_list_with_health_and_deploys(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, sentry_mock: SentryMock
) -> None:
    mock_projects(sentry)
    releases = sentry_mock.releases(
        [
            rf.release("backend@1.5.2", deploys=[rf.deploy(1), rf.deploy(2, "staging")]),
            rf.release("backend@1.5.1", ago=timedelta(days=1), new_groups=0),
            rf.release("backend@1.5.0", ago=timedelta(days=2), health=False),
        ]
    )
    sessions = sentry.get("organizations/acme/sessions/").mock(
        return_value=Response(
            200,
            json=rf.sessions(
                {"backend@1.5.2": (5000, 0.9935, 0.991), "backend@1.5.1": (9000, 0.9920, 0.993)}
            ),
        )
    )
    await bot.command("releases project:backend env:production")
    [resp] = await slack.wait_for("response")
    assert resp["response_type"] == "ephemeral"
    text = text_of(resp["blocks"])
    assert "*Releases* · backend · env production" in text
    assert "<https://sentry.io/organizations/acme/releases/backend%401.5.2/|1.5.2>" in text
    assert "3 new issues · crash-free sessions 99.35% · users 99.10%" in text
    assert "deployed to `staging`" not in text  # the newest deploy is the one shown
    assert "deployed to `production` 1h ago (2 deploys)" in text
    assert "0 new issues · crash-free sessions 99.20% · users 99.30% · not deployed" in text
    # 1.5.0's project sends no sessions: no rates, and it is not asked for
    assert "1.5.0" in text and text.count("crash-free") == 2
    list_params = parse_qs(str(releases.calls[0].request.url.query, "ascii"))
    assert list_params["project"] == ["2"] and list_params["environment"] == ["production"]
    params = parse_qs(str(sessions.calls[0].request.url.query, "ascii"))
    assert params["groupBy"] == ["release"]
    assert params["field"] == ["sum(session)", "crash_free_rate(session)", "crash_free_rate(user)"]
    assert params["query"] == ['release:["backend@1.5.2", "backend@1.5.1"]']
    assert params["environment"] == ["production"] and params["project"] == ["2"]


async def test_releases_none(bot: SlackDriver, slack: FakeSlack, sentry_mock: SentryMock) -> None:
    sentry_mock.releases([])
    await bot.command("releases")
    [resp] = await slack.wait_for("response")
    assert "No releases found." in text_of(resp["blocks"])


async def test_release_card(bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter) -> None:
    mock_projects(sentry)
    routes = release_card_routes(sentry)
    await bot.command("release backend@1.5.2")
    [post] = await slack.wait_for("chat.postMessage")
    blocks = post.args["blocks"]
    text = text_of(blocks)
    assert post.args["channel"] == "C1"
    assert "Release 1.5.2" in text
    assert "`backend`" in text
    # health against the previous release, with arrows
    assert "crash-free sessions 99.35% ↑0.15 pp · users 99.10% ↓0.20 pp" in text
    assert "compared with 1.5.1" in text
    # commits: top five with authors, then the rest counted
    assert "`" + rf.commit(0, "")["id"][:7] + "` fix: thing 0 — Omar Li (acme/backend)" in text
    assert "fix: thing 1 — Jane Doe" in text and "fix: thing 5" not in text
    assert "…and 2 more commits" in text
    # deploy timeline, newest first
    assert text.index("`production`") < text.index("`staging`")
    assert "deploy 412" in text
    # new issues and regressions, each with triage controls
    assert "New issues first seen in this release" in text and "KeyError: 'plan'" in text
    assert "Regressions" in text and "TimeoutError" in text
    for iid in ("11", "12", "13"):
        [me] = [e for e in elements(blocks, "issue_assign_me") if e["value"] == iid]
        assert me["text"]["text"] == "Assign to me"
    resolve = elements(blocks, "issue_resolve")
    assert {o["value"] for o in resolve[0]["options"]} >= {"now|11", "next|11"}
    assert len(elements(blocks, "issue_ignore")) == 3
    [chart] = elements(blocks, "release_chart")
    assert chart["value"] == "backend@1.5.2"
    # the searches Sentry was sent
    queries = [c.request.url.params["query"] for c in routes["issues"].calls]
    assert sorted(queries) == [
        'firstRelease:"backend@1.5.2"',
        'is:regressed release:"backend@1.5.2"',
    ]
    assert all(c.request.url.params.get_list("project") == ["2"] for c in routes["issues"].calls)
    params = routes["sessions"].calls[0].request.url.params
    assert params["query"] == 'release:["backend@1.5.2", "backend@1.5.1"]'


async def test_release_card_without_sessions_or_issues(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, sentry_mock: SentryMock
) -> None:
    mock_projects(sentry)
    rel = rf.release("backend@2.0.0", health=False, commits=0)
    sentry.get(rf.path("backend@2.0.0")).mock(return_value=Response(200, json=rel))
    sentry.get(rf.path("backend@2.0.0", "commits")).mock(return_value=Response(200, json=[]))
    sentry.get(rf.path("backend@2.0.0", "deploys")).mock(return_value=Response(200, json=[]))
    sentry_mock.releases([rel])
    sessions = sentry.get("organizations/acme/sessions/")
    sentry_mock.issues([])
    await bot.command("release backend@2.0.0")
    [post] = await slack.wait_for("chat.postMessage")
    text = text_of(post.args["blocks"])
    assert "no session data for this release" in text
    assert "Not deployed yet." in text
    assert "No new issues or regressions in this release." in text
    assert not sessions.called


async def test_unknown_release_names_closest(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, sentry_mock: SentryMock
) -> None:
    sentry.get(rf.path("backend@1.5.3")).mock(
        return_value=Response(404, json={"detail": "The requested resource does not exist"})
    )

    def listing(request):  # type: ignore[no-untyped-def]
        if request.url.params.get("query"):
            return Response(200, json=[])
        return Response(
            200,
            json=[rf.release("backend@1.5.2"), rf.release("backend@1.4.0"), rf.release("web@9")],
        )

    sentry_mock.releases(listing)
    await bot.command("release backend@1.5.3")
    [resp] = await slack.wait_for("response")
    assert resp["text"].startswith("No such release `backend@1.5.3`. Closest: `backend@1.5.2`")
    assert "web@9" not in resp["text"]
    assert not slack.of("chat.postMessage")


async def test_short_version_resolves_when_unique(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    mock_projects(sentry)
    release_card_routes(sentry)
    sentry.get(rf.path("1.5.2")).mock(return_value=Response(404, json={"detail": "nope"}))
    await bot.command("release 1.5.2")
    [post] = await slack.wait_for("chat.postMessage")
    assert "Release 1.5.2" in text_of(post.args["blocks"])


async def test_short_version_found_by_sentry_search_posts_the_card(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, sentry_mock: SentryMock
) -> None:
    mock_projects(sentry)
    routes = release_card_routes(sentry, "backend@1.1.0")
    sentry.get(rf.path("1.1.0")).mock(return_value=Response(404, json={"detail": "nope"}))
    release, previous = routes["list"].return_value.json()

    def listing(request):  # type: ignore[no-untyped-def]
        query = request.url.params.get("query")
        return Response(200, json=[release] if query == "1.1.0" else [release, previous])

    sentry_mock.releases(listing)
    await bot.command("release 1.1.0")
    [post] = await slack.wait_for("chat.postMessage")
    assert "Release 1.1.0" in text_of(post.args["blocks"])


async def test_a_short_version_of_several_releases_asks_which(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, sentry_mock: SentryMock
) -> None:
    sentry.get(rf.path("2.0.0")).mock(return_value=Response(404, json={"detail": "nope"}))
    both = [rf.release("backend@2.0.0"), rf.release("web@2.0.0", projects=("frontend",))]
    sentry_mock.releases(both)
    await bot.command("release 2.0.0")
    [resp] = await slack.wait_for("response")
    assert resp["text"].startswith(
        "`2.0.0` is a version of several releases: `backend@2.0.0`, `web@2.0.0`. "
        "Give the full version."
    )
    assert not slack.of("chat.postMessage")


async def test_release_usage(bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter) -> None:
    await bot.command("release")
    [resp] = await slack.wait_for("response")
    assert (
        resp["text"]
        == "Give exactly one release version.\nUsage: `/dexter release &lt;version&gt;`"
    )


async def test_deploys_of_a_release(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    mock_projects(sentry)
    release_card_routes(sentry)
    await bot.command("deploys backend@1.5.2")
    [resp] = await slack.wait_for("response")
    text = text_of(resp["blocks"])
    assert "*Deploys* · 1.5.2" in text
    assert text.index("`production`") < text.index("`staging`")
    assert "deploy 412" in text


async def test_deploys_of_an_environment(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, sentry_mock: SentryMock
) -> None:
    mock_projects(sentry)
    new = rf.release("backend@1.5.2", deploys=[rf.deploy(1, "production"), rf.deploy(2, "staging")])
    old = rf.release(
        "backend@1.5.1",
        ago=timedelta(days=60),
        deploys=[rf.deploy(3, "production", ago=timedelta(days=59))],
    )
    listing = sentry_mock.releases([new, old])
    sentry.get(rf.path("backend@1.5.2", "deploys")).mock(
        return_value=Response(200, json=[rf.deploy(1, "production"), rf.deploy(2, "staging")])
    )
    old_deploys = sentry.get(rf.path("backend@1.5.1", "deploys"))
    await bot.command("deploys env:production")
    [resp] = await slack.wait_for("response")
    text = text_of(resp["blocks"])
    assert "*Deploys* · last 30 days · env production" in text
    assert (
        "`production` · *<https://sentry.io/organizations/acme/releases/backend%401.5.2/|1.5.2>*"
        in text
    )
    assert "`staging`" not in text
    assert not old_deploys.called  # its last deploy is outside the window
    assert listing.calls[0].request.url.params["environment"] == "production"


async def test_deploys_last_week_empty(
    bot: SlackDriver, slack: FakeSlack, sentry_mock: SentryMock
) -> None:
    sentry_mock.releases([])
    await bot.command("deploys")
    [resp] = await slack.wait_for("response")
    assert "No deploys found." in text_of(resp["blocks"])


async def test_issue_search_passes_release_term_through(
    bot: SlackDriver, slack: FakeSlack, sentry_mock: SentryMock
) -> None:
    issues = sentry_mock.issues([f.issue(1)])
    await bot.command("issues release:backend@1.5.2 is:unresolved")
    await slack.wait_for("response")
    assert issues.calls[0].request.url.params["query"] == "release:backend@1.5.2 is:unresolved"


async def test_issue_card_links_releases_and_names_suspect(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, sentry_mock: SentryMock
) -> None:
    sentry_mock.issue(f.issue(1))
    deploys = sentry.get(rf.path("backend@1.4.0", "deploys")).mock(
        return_value=Response(
            200,
            json=[
                rf.deploy(9, "production", ago=timedelta(days=2)),
                rf.deploy(8, "staging", ago=timedelta(days=3)),
                rf.deploy(7, "production", ago=timedelta(days=1)),
            ],
        )
    )
    sentry_mock.card_extras()
    await bot.command("issue 1")
    await bot.command("issue 1")
    posts = await slack.wait_for("chat.postMessage", 2)
    text = text_of(posts[0].args["blocks"])
    assert (
        "*First release*\n<https://sentry.io/organizations/acme/releases/backend%401.4.0/|1.4.0>"
        in text
    )
    assert (
        "*Last release*\n<https://sentry.io/organizations/acme/releases/backend%401.5.2/|1.5.2>"
        in text
    )
    assert (
        "Suspect release: *<https://sentry.io/organizations/acme/releases/backend%401.4.0/|1.4.0>* "
        "(first seen in it) · deployed to `staging` 3d ago, `production` 2d ago"
    ) in text
    assert text_of(posts[1].args["blocks"]) == text
    assert deploys.call_count == 1  # the second card came from the cache


async def test_suspect_release_with_at_most_one_deploy_needs_no_deploy_list(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, sentry_mock: SentryMock
) -> None:
    # The issue detail serializes its first release in full (deployCount, lastDeploy).
    once = rf.release("backend@1.4.0", deploys=[rf.deploy(9, "production", ago=timedelta(days=2))])
    never = rf.release("backend@1.4.0", deploys=[])
    sentry_mock.issue(f.issue(1, firstRelease=once))
    sentry_mock.issue(f.issue(2, firstRelease=never))
    deploys = sentry.get(rf.path("backend@1.4.0", "deploys"))
    sentry_mock.card_extras(deploys=False)
    await bot.command("issue 1")
    await bot.command("issue 2")
    posts = await slack.wait_for("chat.postMessage", 2)
    texts = sorted(text_of(p.args["blocks"]) for p in posts)
    assert any("(first seen in it) · deployed to `production` 2d ago" in t for t in texts)
    assert any("(first seen in it) · no deploys recorded" in t for t in texts)
    assert not deploys.called


async def test_issue_card_survives_a_failing_enricher(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, sentry_mock: SentryMock
) -> None:
    sentry_mock.issue(f.issue(1))
    sentry.get(rf.path("backend@1.4.0", "deploys")).mock(return_value=Response(503))
    sentry_mock.card_extras()
    await bot.command("issue 1")
    [post] = await slack.wait_for("chat.postMessage")
    text = text_of(post.args["blocks"])
    assert "ZeroDivisionError" in text and "Suspect release" not in text

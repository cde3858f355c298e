"""End to end: creating releases (command and modal) and recording deploys, with permissions."""

from __future__ import annotations

import json
from typing import Any

import pytest
import respx
from httpx import Response

from bot.core import messages
from bot.core.format import escape
from bot.core.ids import BlockId, Callback
from bot.deps import Deps
from bot.releases.parse import CREATE_USAGE
from bot.sentry.models import Member
from tests import factories as f
from tests import release_factories as rf
from tests.fake_slack import FakeSlack
from tests.harness import SlackDriver
from tests.release_helpers import mock_member, mock_projects
from tests.sentry_mock import SentryMock


@pytest.fixture
async def linked(deps: Deps) -> None:
    """Slack user U1 is linked to Sentry member 7 (Jane)."""
    jane = Member(id="7", email="jane@acme.io", name="Jane Doe", user={"id": "700"})
    await deps.identity.save("T1", "U1", jane, method="admin", by="UADMIN")


def _linked(slack: FakeSlack, sentry: respx.MockRouter, **kw: object) -> None:
    mock_projects(sentry)
    mock_member(sentry, **kw)  # type: ignore[arg-type]


async def test_create_release_with_refs(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    slack.add_user("U1", email="jane@acme.io", name="Jane")  # linked by her Slack email
    _linked(slack, sentry)
    created = sentry.post("organizations/acme/releases/").mock(
        return_value=Response(201, json=rf.release("backend@1.6.0", commits=0))
    )
    await bot.command(
        "release create backend@1.6.0 project:backend "
        "ref:acme/backend@4f2a9c1b..e1d0b7a url:https://github.com/acme/backend/pull/9"
    )
    [resp] = await slack.wait_for("response")
    assert resp["text"] == (
        "Created release *<https://sentry.io/organizations/acme/releases/backend%401.6.0/"
        "|backend@1.6.0>* for `backend`. Sentry is associating the commits of "
        "`acme/backend@4f2a9c1 (since e1d0b7a)`."
    )
    assert json.loads(created.calls[0].request.content) == {
        "version": "backend@1.6.0",
        "projects": ["backend"],
        "refs": [{"repository": "acme/backend", "commit": "4f2a9c1b", "previousCommit": "e1d0b7a"}],
        "url": "https://github.com/acme/backend/pull/9",
    }


async def test_create_existing_release_says_so(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, linked: None
) -> None:
    _linked(slack, sentry)
    sentry.post("organizations/acme/releases/").mock(
        return_value=Response(208, json=rf.release("backend@1.5.2"))
    )
    await bot.command("release create backend@1.5.2 project:backend")
    [resp] = await slack.wait_for("response")
    assert "already existed" in resp["text"]


async def test_create_shows_sentry_400(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, linked: None
) -> None:
    _linked(slack, sentry)
    sentry.post("organizations/acme/releases/").mock(
        return_value=Response(400, json={"refs": ["Invalid repository names: acme/nope"]})
    )
    await bot.command("release create backend@1.6.0 project:backend ref:acme/nope@abcdef1")
    [resp] = await slack.wait_for("response")
    assert resp["text"] == messages.SENTRY_BAD_REQUEST.format(
        detail="refs: Invalid repository names: acme/nope"
    )


async def test_create_malformed_ref_shows_usage_without_calling_sentry(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    post = sentry.post("organizations/acme/releases/")
    await bot.command("release create backend@1.6.0 project:backend ref:acme/backend")
    [resp] = await slack.wait_for("response")
    assert "is not a commit reference" in resp["text"]
    assert resp["text"].endswith(f"Usage: `{escape(CREATE_USAGE)}`")
    assert not post.called


async def test_create_needs_a_linked_identity(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    slack.add_user("U1", email="stranger@else.io")  # not linked, and no member has the email
    mock_member(sentry)
    post = sentry.post("organizations/acme/releases/")
    await bot.command("release create backend@1.6.0 project:backend")
    [resp] = await slack.wait_for("response")
    assert "You need a linked Sentry account" in resp["text"]
    assert not post.called


async def test_create_refused_for_a_project_of_another_team(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, linked: None
) -> None:
    _linked(slack, sentry)
    post = sentry.post("organizations/acme/releases/")
    await bot.command("release create web@3.0.0 project:backend,frontend")
    [resp] = await slack.wait_for("response")
    assert "you are not in a team that owns `frontend`" in resp["text"]
    assert not post.called


async def test_create_unknown_project(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, linked: None
) -> None:
    _linked(slack, sentry, role="admin")
    await bot.command("release create v1 project:backnd")
    [resp] = await slack.wait_for("response")
    assert (
        resp["text"] == "There is no project `backnd` in this organization. Did you mean `backend`?"
    )


async def test_modal_opens_before_sentry_is_asked_then_offers_projects(
    bot: SlackDriver, slack: FakeSlack, sentry_mock: SentryMock
) -> None:
    opened_first: list[bool] = []

    def projects(request: Any) -> Response:
        opened_first.append(bool(slack.of("views.open")))  # the trigger id was used in time
        return Response(200, json=[f.project(2, "backend"), f.project(3, "frontend", "web")])

    sentry_mock.projects(projects)
    await bot.command("release create", channel="C9")
    [placeholder] = await slack.wait_for("views.open")
    assert "submit" not in placeholder.args["view"]
    [call] = await slack.wait_for("views.update")
    assert opened_first == [True] and call.args["view_id"] == "V1"
    view = call.args["view"]
    assert view["callback_id"] == Callback.RELEASE_CREATE
    assert json.loads(view["private_metadata"]) == {"channel": "C9"}
    [projects] = [b for b in view["blocks"] if b["block_id"] == BlockId.RELEASE_PROJECTS]
    assert [o["value"] for o in projects["element"]["options"]] == ["backend", "frontend"]


async def test_an_expired_trigger_is_explained(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    slack.on("views.open", {"ok": False, "error": "expired_trigger_id"})
    await bot.command("release create")
    [reply] = await slack.wait_for("response")
    assert reply["text"] == messages.MODAL_NOT_OPENED.format(error="expired_trigger_id")


async def test_modal_errors_point_at_fields(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter
) -> None:
    values = {
        "release_version": {"release_version": {"type": "plain_text_input", "value": "a b"}},
        "release_projects": {
            "release_projects": {"type": "multi_static_select", "selected_options": []}
        },
        "release_refs": {"release_refs": {"type": "plain_text_input", "value": "acme@zz"}},
        "release_url": {"release_url": {"type": "url_text_input", "value": None}},
    }
    reply = await bot.view_submission(Callback.RELEASE_CREATE, values)
    body = json.loads(reply.body)
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"release_version", "release_projects", "release_refs"}
    assert body["errors"]["release_projects"] == "Choose at least one project."


async def test_modal_submission_creates_and_tells_the_user(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, linked: None
) -> None:
    _linked(slack, sentry)
    created = sentry.post("organizations/acme/releases/").mock(
        return_value=Response(201, json=rf.release("backend@1.6.0"))
    )
    values = {
        "release_version": {
            "release_version": {"type": "plain_text_input", "value": "backend@1.6.0"}
        },
        "release_projects": {
            "release_projects": {
                "type": "multi_static_select",
                "selected_options": [
                    {"value": "backend", "text": {"type": "plain_text", "text": "backend"}}
                ],
            }
        },
        "release_refs": {
            "release_refs": {"type": "plain_text_input", "value": "acme/backend@abcdef1"}
        },
        "release_url": {"release_url": {"type": "url_text_input", "value": None}},
    }
    reply = await bot.view_submission(
        Callback.RELEASE_CREATE, values, private_metadata=json.dumps({"channel": "C9"})
    )
    assert reply.status == 200 and reply.body == ""
    [note] = await slack.wait_for("chat.postEphemeral")
    assert note.args["channel"] == "C9" and note.args["user"] == "U1"
    assert note.args["text"].startswith(
        "Created release *<https://sentry.io/organizations/acme/releases/"
    )
    assert json.loads(created.calls[0].request.content)["refs"] == [
        {"repository": "acme/backend", "commit": "abcdef1"}
    ]


async def test_modal_submission_reports_a_refusal(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, linked: None
) -> None:
    _linked(slack, sentry)
    values = {
        "release_version": {"release_version": {"type": "plain_text_input", "value": "web@1"}},
        "release_projects": {"release_projects": {"type": "plain_text_input", "value": "frontend"}},
        "release_refs": {"release_refs": {"type": "plain_text_input", "value": None}},
        "release_url": {"release_url": {"type": "url_text_input", "value": None}},
    }
    await bot.view_submission(
        Callback.RELEASE_CREATE, values, private_metadata=json.dumps({"channel": "C9"})
    )
    [note] = await slack.wait_for("chat.postEphemeral")
    assert "not in a team that owns `frontend`" in note.args["text"]


async def test_deploy_recorded(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, linked: None
) -> None:
    _linked(slack, sentry)
    sentry.get(rf.path("backend@1.5.2")).mock(
        return_value=Response(200, json=rf.release("backend@1.5.2"))
    )
    created = sentry.post(rf.path("backend@1.5.2", "deploys")).mock(
        return_value=Response(201, json=rf.deploy(77, "production", name="deploy 412"))
    )
    await bot.command(
        'deploy backend@1.5.2 production name:"deploy 412" url:https://ci.acme.io/412'
    )
    [resp] = await slack.wait_for("response")
    assert resp["text"] == (
        "Recorded a deploy of *<https://sentry.io/organizations/acme/releases/backend%401.5.2/"
        "|1.5.2>* to `production` (deploy 412)."
    )
    assert json.loads(created.calls[0].request.content) == {
        "environment": "production",
        "name": "deploy 412",
        "url": "https://ci.acme.io/412",
    }


async def test_deploy_by_short_version_when_sentry_finds_exactly_one(
    bot: SlackDriver,
    slack: FakeSlack,
    sentry: respx.MockRouter,
    sentry_mock: SentryMock,
    linked: None,
) -> None:
    _linked(slack, sentry)
    sentry.get(rf.path("1.2.0")).mock(return_value=Response(404, json={"detail": "nope"}))
    sentry_mock.releases(
        lambda request: Response(
            200, json=[rf.release("backend@1.2.0")] if request.url.params.get("query") else []
        )
    )
    created = sentry.post(rf.path("backend@1.2.0", "deploys")).mock(
        return_value=Response(201, json=rf.deploy(78, "production"))
    )
    await bot.command("deploy 1.2.0 production")
    [resp] = await slack.wait_for("response")
    assert resp["text"].startswith("Recorded a deploy of *<https://sentry.io/organizations/acme/")
    assert "|1.2.0>* to `production`" in resp["text"]
    assert created.called


async def test_deploy_needs_permission_on_the_release_projects(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, linked: None
) -> None:
    _linked(slack, sentry)
    sentry.get(rf.path("web@2.0.0")).mock(
        return_value=Response(200, json=rf.release("web@2.0.0", projects=("frontend",)))
    )
    post = sentry.post(rf.path("web@2.0.0", "deploys"))
    await bot.command("deploy web@2.0.0 production")
    [resp] = await slack.wait_for("response")
    assert "not in a team that owns `frontend`" in resp["text"]
    assert not post.called


async def test_deploy_project_outside_the_release(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, linked: None
) -> None:
    _linked(slack, sentry)
    sentry.get(rf.path("backend@1.5.2")).mock(
        return_value=Response(200, json=rf.release("backend@1.5.2"))
    )
    await bot.command("deploy backend@1.5.2 production project:frontend")
    [resp] = await slack.wait_for("response")
    assert resp["text"].startswith(
        "Release `backend@1.5.2` does not include `frontend`; it has `backend`."
    )


async def test_deploy_unknown_release(
    bot: SlackDriver,
    slack: FakeSlack,
    sentry: respx.MockRouter,
    sentry_mock: SentryMock,
    linked: None,
) -> None:
    _linked(slack, sentry)
    sentry.get(rf.path("backend@9")).mock(return_value=Response(404, json={"detail": "x"}))
    sentry_mock.releases([rf.release("backend@1.5.2")])
    await bot.command("deploy backend@9 production")
    [resp] = await slack.wait_for("response")
    assert resp["text"].startswith("No such release `backend@9`.")


async def test_deploy_sentry_400(
    bot: SlackDriver, slack: FakeSlack, sentry: respx.MockRouter, linked: None
) -> None:
    _linked(slack, sentry)
    sentry.get(rf.path("backend@1.5.2")).mock(
        return_value=Response(200, json=rf.release("backend@1.5.2"))
    )
    sentry.post(rf.path("backend@1.5.2", "deploys")).mock(
        return_value=Response(
            400, json={"environment": ["Ensure this field has no more than 64 characters."]}
        )
    )
    await bot.command("deploy backend@1.5.2 prod")
    [resp] = await slack.wait_for("response")
    assert resp["text"] == (
        "Sentry did not accept that: environment: Ensure this field has no more than 64 characters."
    )

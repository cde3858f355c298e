from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.errors import UserError
from bot.releases.parse import (
    CREATE_USAGE,
    DEPLOY_USAGE,
    parse_create,
    parse_deploy,
    parse_deploys,
    parse_ref,
    parse_release,
    parse_releases,
    parse_subscribe,
)
from bot.releases.sentry_api import RefSpec


def test_releases_filters() -> None:
    f = parse_releases("project:backend,frontend env:production")
    assert f.projects == ("backend", "frontend")
    assert f.environment == "production"
    assert parse_releases("").projects == ()


def test_releases_rejects_stray_words() -> None:
    with pytest.raises(UserError) as exc:
        parse_releases("backend")
    assert exc.value.usage and exc.value.usage.startswith("/dexter releases")


def test_release_version_rules() -> None:
    assert parse_release("backend@1.5.2") == "backend@1.5.2"
    for bad in ["", "a b", "latest", "..", "x/y", "v" * 201]:
        with pytest.raises(UserError):
            parse_release(bad)


def test_create_full() -> None:
    req = parse_create(
        "backend@1.6.0 project:backend,frontend ref:acme/backend@4F2A9C1..e1d0b7a "
        "ref:acme/web@abcdef0 url:<https://github.com/acme/backend/releases/1.6.0>"
    )
    assert req.version == "backend@1.6.0"
    assert req.projects == ("backend", "frontend")
    assert req.refs == (
        RefSpec("acme/backend", "4f2a9c1", "e1d0b7a"),
        RefSpec("acme/web", "abcdef0", None),
    )
    assert req.url == "https://github.com/acme/backend/releases/1.6.0"


@pytest.mark.parametrize(
    "ref",
    ["acme/backend", "acme/backend@", "acme/backend@xyz123", "@abc1234", "acme/backend@abc1234.."],
)
def test_malformed_ref_shows_usage(ref: str) -> None:
    with pytest.raises(UserError) as exc:
        parse_create(f"backend@1.6.0 project:backend ref:{ref}")
    assert exc.value.usage == CREATE_USAGE
    assert "is not a commit reference" in exc.value.message


def test_create_needs_projects_and_one_ref_per_repo() -> None:
    with pytest.raises(UserError, match="Which projects"):
        parse_create("backend@1.6.0")
    with pytest.raises(UserError, match="one `ref:` per repository"):
        parse_create("v1 project:backend ref:acme/a@abcd ref:acme/a@abce")
    with pytest.raises(UserError, match="not an http"):
        parse_create("v1 project:backend url:ftp://x")
    with pytest.raises(UserError, match="not a project slug"):
        parse_create("v1 project:Back_End!")


def test_deploy_forms() -> None:
    req = parse_deploy('backend@1.6.0 production name:"deploy 412" url:https://ci.acme.io/412')
    assert (req.version, req.environment, req.name, req.url) == (
        "backend@1.6.0",
        "production",
        "deploy 412",
        "https://ci.acme.io/412",
    )
    assert parse_deploy("v1 env:staging").environment == "staging"
    assert parse_deploy("v1 prod name:“deploy 9”").name == "deploy 9"
    with pytest.raises(UserError) as exc:
        parse_deploy("v1")
    assert exc.value.usage == DEPLOY_USAGE


def test_deploys_and_subscribe() -> None:
    assert parse_deploys("")[0] is None
    version, f = parse_deploys("backend@1.5.2 env:production")
    assert version == "backend@1.5.2" and f.environment == "production"
    sub = parse_subscribe("project:backend env:production")
    assert sub.projects == ("backend",) and sub.environment == "production"
    with pytest.raises(UserError, match="one project"):
        parse_subscribe("project:a,b")
    with pytest.raises(UserError, match="one project"):
        parse_subscribe("")


hexsha = st.text("0123456789abcdef", min_size=4, max_size=64)
repo = st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,20}(/[a-z0-9][a-z0-9_.-]{0,20})?", fullmatch=True)


@given(repo=repo, sha=hexsha, prev=st.none() | hexsha)
def test_ref_round_trip(repo: str, sha: str, prev: str | None) -> None:
    text = f"{repo}@{sha}" + (f"..{prev}" if prev else "")
    ref = parse_ref(text)
    assert ref == RefSpec(repo, sha, prev)
    body = ref.body()
    assert body["repository"] == repo and body["commit"] == sha
    assert body.get("previousCommit") == prev

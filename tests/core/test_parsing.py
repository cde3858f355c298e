"""Pure parsing: the dispatcher, issue references and the issue search grammar."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.errors import UserError
from bot.core.parse import parse_issue_search
from bot.sentry.refs import parse_issue_ref, parse_issue_url
from bot.slack.command_table import Dispatcher, Subcommand


async def _noop(ctx: object, args: str) -> None:
    return None


def _cmd(name: str, *aliases: str) -> Subcommand:
    return Subcommand(
        name=name,
        usage=f"/dexter {name}",
        summary="s",
        example=f"/dexter {name}",
        handler=_noop,
        aliases=aliases,
    )


TABLE = Dispatcher(
    [
        _cmd("issue"),
        _cmd("issues"),
        _cmd("bulk"),
        _cmd("bulk resolve"),
        _cmd("ignore", "archive"),
        _cmd("help"),
    ]
)


def test_longest_match_wins() -> None:
    m = TABLE.match("bulk resolve is:unresolved level:error")
    assert m is not None and m.command.name == "bulk resolve"
    assert m.args == "is:unresolved level:error"
    m = TABLE.match("bulk frobnicate")
    assert m is not None and m.command.name == "bulk" and m.args == "frobnicate"


def test_case_and_alias() -> None:
    m = TABLE.match("ARCHIVE BACKEND-1 for 2h")
    assert m is not None and m.command.name == "ignore" and m.args == "BACKEND-1 for 2h"


def test_unknown_and_suggestion() -> None:
    assert TABLE.match("isue 12") is None
    assert TABLE.suggest("isue 12") in ("issue", "issues")
    assert TABLE.suggest("zzzzzz") is None
    assert TABLE.match("") is None


def test_duplicate_names_rejected() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        Dispatcher([_cmd("issues"), _cmd("list", "issues")])


@given(st.text(max_size=200))
def test_dispatcher_never_crashes(text: str) -> None:
    m = TABLE.match(text)
    if m is not None:
        assert text.strip().lower().startswith(m.command.name.split()[0]) or any(
            text.strip().lower().startswith(a) for a in m.command.aliases
        )


@pytest.mark.parametrize(
    ("text", "issue_id", "short_id", "org"),
    [
        ("123", "123", None, None),
        ("backend-1a", None, "BACKEND-1A", None),
        ("FRONT-END-web-ZZ", None, "FRONT-END-WEB-ZZ", None),
        ("https://acme.sentry.io/issues/123/", "123", None, "acme"),
        ("https://acme.sentry.io/issues/123/?project=4&query=x", "123", None, "acme"),
        ("https://sentry.io/organizations/acme/issues/9/", "9", None, "acme"),
        ("https://de.sentry.io/organizations/acme/issues/9/events/abc/", "9", None, "acme"),
        ("https://sentry.acme.internal/organizations/acme/issues/7/", "7", None, "acme"),
        ("https://sentry.acme.internal/acme/backend/issues/42/", "42", None, "acme"),
        ("<https://acme.sentry.io/issues/5/|BACKEND-5>", "5", None, "acme"),
    ],
)
def test_issue_refs(text: str, issue_id: str | None, short_id: str | None, org: str | None) -> None:
    ref = parse_issue_ref(text)
    assert (ref.issue_id, ref.short_id, ref.org) == (issue_id, short_id, org)


@pytest.mark.parametrize(
    "text", ["", "   ", "???", "https://example.com/foo", "ftp://x/issues/1/", "issue 12"]
)
def test_bad_refs(text: str) -> None:
    with pytest.raises(UserError):
        parse_issue_ref(text)


@given(st.integers(min_value=1, max_value=10**12))
def test_numeric_refs_roundtrip(n: int) -> None:
    assert parse_issue_ref(str(n)).issue_id == str(n)
    ref = parse_issue_url(f"https://acme.sentry.io/issues/{n}/")
    assert ref is not None and ref.issue_id == str(n)


@given(st.text(max_size=100))
def test_ref_parser_only_raises_user_errors(text: str) -> None:
    with contextlib.suppress(UserError):
        parse_issue_ref(text)


def test_issue_search_grammar() -> None:
    s = parse_issue_search(
        "level:error is:unresolved project:web,api env:production sort:freq public"
    )
    assert s.query == "level:error is:unresolved"
    assert s.projects == ("web", "api") and s.environments == ("production",)
    assert s.sort == "freq" and s.public
    assert parse_issue_search("").query == "is:unresolved"
    assert parse_issue_search("release:backend@1.2").query == "release:backend@1.2"
    with pytest.raises(UserError, match="Unknown sort"):
        parse_issue_search("sort:loudest")


@given(
    st.lists(
        st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12),
        max_size=8,
    )
)
def test_issue_search_total(words: list[str]) -> None:
    text = " ".join(words)
    try:
        s = parse_issue_search(text)
    except UserError:
        return
    assert s.query.strip()


@pytest.mark.parametrize("args", ["", "   ", "??? extra"])
def test_ref_argument_errors_carry_the_usage(args: str) -> None:
    from bot.sentry.refs import parse_ref_argument

    with pytest.raises(UserError) as info:
        parse_ref_argument(args, "/dexter issue <ref>")
    assert info.value.usage == "/dexter issue <ref>"
    assert parse_ref_argument("backend-1a more words", "u").short_id == "BACKEND-1A"


def test_me_and_my_teams_become_the_linked_user() -> None:
    from bot.triage.search_me import needs_teams, personal_terms, personalize

    q = 'assigned:me message:"assigned:me" !bookmarks:"me" subscribed:me level:error'
    assert personal_terms(q) == ["assigned:me", '!bookmarks:"me"', "subscribed:me"]
    assert personalize(q, email="ann@acme.io") == (
        'assigned:ann@acme.io message:"assigned:me" !bookmarks:ann@acme.io '
        "subscribed:ann@acme.io level:error"
    )
    q = 'assigned_or_suggested:[me, "Jo Doe", my_teams] assigned:my_teams'
    assert needs_teams(q)
    assert personalize(q, email="a@b.io", teams=["core"]) == (
        'assigned_or_suggested:[a@b.io, "Jo Doe", #core] assigned:#core'
    )
    assert personalize("assigned:my_teams", email="a@b.io") == "assigned:my_teams"
    assert not personal_terms("bookmarks:my_teams firstRelease:me assigned:meg")

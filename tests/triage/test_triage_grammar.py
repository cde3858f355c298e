"""The triage grammar: words and button values → changes → Sentry bodies (pure)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.errors import UserError
from bot.core.ids import Action
from bot.sentry.models import Issue
from bot.triage.parse import (
    MAX_WINDOW,
    Assign,
    AssigneeSpec,
    Ignore,
    Resolve,
    Unresolve,
    ignore_choice,
    parse_assignee,
    parse_count,
    parse_duration,
    parse_ignore,
    parse_resolve,
    resolve_choice,
    split_ignore,
    split_resolve,
    to_body,
)
from bot.triage.wording import describe, humanize_minutes, preview_verb, status_note
from tests import factories
from tests.card_controls import menu_choices


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("30m", 30),
        ("2h", 120),
        ("1d", 1440),
        ("1w", 10080),
        ("90min", 90),
        ("3hours", 180),
        ("2 weeks", 20160),
    ],
)
def test_durations(text: str, minutes: int) -> None:
    assert parse_duration(text.replace(" ", "")) == minutes


@pytest.mark.parametrize("bad", ["", "h", "2", "2x", "-1h", "0m", "1.5h", "500w", "soon"])
def test_malformed_durations_explain_the_form(bad: str) -> None:
    with pytest.raises(UserError) as exc:
        parse_duration(bad)
    assert any(word in exc.value.message for word in ("`30m`", "minute", "year"))


@given(n=st.integers(1, 500), unit=st.sampled_from(["m", "h", "d", "w"]))
def test_duration_roundtrip(n: int, unit: str) -> None:
    size = {"m": 1, "h": 60, "d": 1440, "w": 10080}[unit]
    if n * size > 365 * 1440:
        with pytest.raises(UserError):
            parse_duration(f"{n}{unit}")
        return
    minutes = parse_duration(f"{n}{unit}")
    assert minutes == n * size
    # the human text names the same amount of time
    amount, word = humanize_minutes(minutes).split()
    factor = {"minute": 1, "hour": 60, "day": 1440, "week": 10080}[word.rstrip("s")]
    assert int(amount) * factor == minutes


@pytest.mark.parametrize(
    ("text", "n"), [("10", 10), ("1,000", 1000), ("5k", 5000), ("2m", 2_000_000)]
)
def test_counts(text: str, n: int) -> None:
    assert parse_count(text) == n


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("", Ignore()),
        ("until escalating", Ignore()),
        ("until it escalates", Ignore()),
        ("forever", Ignore(until="forever")),
        ("for 30m", Ignore(until="duration", minutes=30)),
        ("for 2 hours", Ignore(until="duration", minutes=120)),
        ("1w", Ignore(until="duration", minutes=10080)),
        ("until 100 events", Ignore(until="events", count=100)),
        ("until 1,000 more events in 1h", Ignore(until="events", count=1000, window=60)),
        ("until 50 users", Ignore(until="users", count=50)),
        ("until 5 users in 1d", Ignore(until="users", count=5, window=1440)),
    ],
)
def test_ignore_grammar(words: str, expected: Ignore) -> None:
    assert parse_ignore(words.split()) == expected


@pytest.mark.parametrize(
    "words",
    ["for", "for ever", "until 10", "until 10 cats", "until 10 events in 2w", "forever please"],
)
def test_ignore_grammar_rejects(words: str) -> None:
    with pytest.raises(UserError):
        parse_ignore(words.split())


def test_ignore_window_is_capped_at_a_week() -> None:
    assert parse_ignore(["until", "3", "events", "in", "1w"]).window == MAX_WINDOW
    with pytest.raises(UserError, match="one week"):
        parse_ignore(["until", "3", "events", "in", "8d"])


def test_split_ignore_leaves_the_search() -> None:
    change, rest = split_ignore(["for", "1w", "level:warning", "project:backend"])
    assert change == Ignore(until="duration", minutes=10080)
    assert rest == ["level:warning", "project:backend"]
    change, rest = split_ignore(["is:unresolved"])
    assert change == Ignore() and rest == ["is:unresolved"]


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("", Resolve()),
        ("now", Resolve()),
        ("next", Resolve(when="next")),
        ("next release", Resolve(when="next")),
        ("in next release", Resolve(when="next")),
        ("in the next release", Resolve(when="next")),
        ("current", Resolve(when="current")),
        ("in the current release", Resolve(when="current")),
        ("latest", Resolve(when="current")),
        ("in backend@1.5.2", Resolve(when="release", version="backend@1.5.2")),
    ],
)
def test_resolve_grammar(words: str, expected: Resolve) -> None:
    assert parse_resolve(words.split()) == expected


def test_resolve_grammar_rejects_leftovers() -> None:
    with pytest.raises(UserError, match="don't understand"):
        parse_resolve(["in", "1.0", "2.0"])
    change, rest = split_resolve(["next", "is:unresolved"])
    assert change == Resolve(when="next") and rest == ["is:unresolved"]


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("me", AssigneeSpec("me")),
        ("<@U123ABC|ann>", AssigneeSpec("slack", "U123ABC")),
        ("<@W99>", AssigneeSpec("slack", "W99")),
        ("team:Backend", AssigneeSpec("team", "backend")),
        ("#payments", AssigneeSpec("team", "payments")),
        ("Ann@Acme.io", AssigneeSpec("email", "ann@acme.io")),
        ("<mailto:ann@acme.io|ann@acme.io>", AssigneeSpec("email", "ann@acme.io")),
        ("@ann", AssigneeSpec("name", "ann")),
        ("nobody", AssigneeSpec("none")),
    ],
)
def test_assignee_forms(text: str, spec: AssigneeSpec) -> None:
    assert parse_assignee(text) == spec


def test_unknown_assignee_explains_the_forms() -> None:
    with pytest.raises(UserError, match="team:backend"):
        parse_assignee("the-backend-folks!")


# ---- the bodies Sentry receives --------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "body"),
    [
        (Resolve(), {"status": "resolved", "statusDetails": {}}),
        (Resolve(when="next"), {"status": "resolved", "statusDetails": {"inNextRelease": True}}),
        (
            Resolve(when="release", version="1.2"),
            {"status": "resolved", "statusDetails": {"inRelease": "1.2"}},
        ),
        (
            # Sentry's own choice of latest release (validators/status_details.py)
            Resolve(when="current", version="9.9"),
            {"status": "resolved", "statusDetails": {"inRelease": "latest"}},
        ),
        (Unresolve(), {"status": "unresolved", "substatus": "ongoing", "statusDetails": {}}),
        (
            Ignore(),
            {"status": "ignored", "substatus": "archived_until_escalating", "statusDetails": {}},
        ),
        (
            Ignore(until="forever"),
            {"status": "ignored", "substatus": "archived_forever", "statusDetails": {}},
        ),
        (
            Ignore(until="duration", minutes=60),
            {
                "status": "ignored",
                "substatus": "archived_until_condition_met",
                "statusDetails": {"ignoreDuration": 60},
            },
        ),
        (
            Ignore(until="events", count=100, window=60),
            {
                "status": "ignored",
                "substatus": "archived_until_condition_met",
                "statusDetails": {"ignoreCount": 100, "ignoreWindow": 60},
            },
        ),
        (
            Ignore(until="users", count=5),
            {
                "status": "ignored",
                "substatus": "archived_until_condition_met",
                "statusDetails": {"ignoreUserCount": 5},
            },
        ),
        (Assign(assignee="team:7", label="#core"), {"assignedTo": "team:7"}),
        (Assign(assignee=""), {"assignedTo": ""}),
    ],
)
def test_bodies(change: Any, body: dict[str, Any]) -> None:
    assert to_body(change) == body


def test_a_named_release_must_be_looked_up_first() -> None:
    with pytest.raises(ValueError):
        to_body(Resolve(when="release"))


def test_every_menu_choice_maps_to_a_body() -> None:
    """Each option the card offers parses and produces a valid request body."""
    issue = Issue.model_validate(factories.issue(1))
    resolve = menu_choices(issue, Action.ISSUE_RESOLVE)
    assert resolve == ["now", "next", "current"]
    for choice in resolve:
        change = resolve_choice(choice)
        if change.when == "current":
            change = change.model_copy(update={"version": "1.0"})
        assert to_body(change)["status"] == "resolved"
    ignore = menu_choices(issue, Action.ISSUE_IGNORE)
    assert "escalating" in ignore and "forever" in ignore
    for choice in ignore:
        assert to_body(ignore_choice(choice))["status"] == "ignored"
    for bad in ("later", "for:", "for:abc", "count:-1", "forever:1"):
        with pytest.raises(UserError):
            ignore_choice(bad)


ignores = st.one_of(
    st.just(Ignore()),
    st.just(Ignore(until="forever")),
    st.builds(lambda m: Ignore(until="duration", minutes=m), st.integers(1, 365 * 1440)),
    st.builds(
        lambda c, w: Ignore(until="events", count=c, window=w),
        st.integers(1, 10**6),
        st.one_of(st.none(), st.integers(1, MAX_WINDOW)),
    ),
    st.builds(
        lambda c, w: Ignore(until="users", count=c, window=w),
        st.integers(1, 10**6),
        st.one_of(st.none(), st.integers(1, MAX_WINDOW)),
    ),
)


@given(ignores)
def test_ignore_bodies_follow_the_schema(change: Ignore) -> None:
    body = to_body(change)
    assert body["status"] == "ignored"
    details = body["statusDetails"]
    allowed = {
        "escalating": ("archived_until_escalating", set()),
        "forever": ("archived_forever", set()),
        "duration": ("archived_until_condition_met", {"ignoreDuration"}),
        "events": ("archived_until_condition_met", {"ignoreCount", "ignoreWindow"}),
        "users": ("archived_until_condition_met", {"ignoreUserCount", "ignoreUserWindow"}),
    }[change.until]
    assert body["substatus"] == allowed[0]
    assert set(details) <= allowed[1]
    assert all(isinstance(v, int) and v > 0 for v in details.values())
    assert details.get("ignoreWindow", 0) <= MAX_WINDOW
    assert details.get("ignoreUserWindow", 0) <= MAX_WINDOW


@given(ignores)
def test_ignore_said_then_parsed_is_the_same(change: Ignore) -> None:
    """What the card says in words reads back as the same change through the command."""
    text = describe(change).removeprefix("Ignored ").replace(",", "")
    text = text.replace("it escalates", "escalating").replace(" more ", " ")
    words = text.split()
    # "for 2 hours" / "until 10 events in 1 week": units are written out in full
    assert parse_ignore(words) == change


def test_descriptions() -> None:
    assert describe(Resolve(when="next")) == "Resolved in the next release"
    assert describe(Resolve(when="current", version="1.5")) == "Resolved in `1.5`"
    assert describe(Ignore(until="events", count=1000, window=60)) == (
        "Ignored until 1,000 more events in 1 hour"
    )
    assert describe(Ignore(until="users", count=1)) == "Ignored until 1 more user"
    assert describe(Assign(assignee="user:1", label="Ann")) == "Assigned to Ann"
    assert describe(Assign(assignee="")) == "Unassigned"
    assert preview_verb(Ignore(until="duration", minutes=10080)) == "ignore for 1 week"
    assert preview_verb(Unresolve()) == "unresolve"


def test_status_notes() -> None:
    assert status_note("resolved", {"inNextRelease": True}) == "Resolves with the next release."
    assert status_note("resolved", {"inRelease": "1.2"}) == "Resolved in release `1.2`."
    assert status_note("ignored", {"ignoreCount": 100, "ignoreWindow": 60}) == (
        "Ignored until 100 more events in 1 hour."
    )
    assert status_note("ignored", {"ignoreUntil": "2026-12-01T10:00:00Z"}) == (
        "Ignored until 2026-12-01 10:00 UTC."
    )
    assert status_note("unresolved", {}) is None

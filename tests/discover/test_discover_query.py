"""The `/dexter discover` grammar: examples, errors, and round-trip properties."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.errors import UserError
from bot.core.grammar import split_fields, tokenize
from bot.discover.parse import (
    DATASETS,
    MAX_FIELDS,
    DiscoverQuery,
    build_query,
    explain_bad_request,
    parse_discover,
)


def test_the_issue_example() -> None:
    cmd = parse_discover(
        "title, count(), count_unique(user) where level:error sort -count() last 24h"
    )
    q = cmd.query
    assert q.fields == ("title", "count()", "count_unique(user)")
    assert q.query == "level:error"
    assert q.sort == "-count()"
    assert q.period == "24h"
    assert q.dataset == "errors"
    assert not (cmd.chart or cmd.export or cmd.public)
    assert q.describe() == (
        "count(), count_unique(user) by title · in errors · where `level:error` · "
        "highest count() first · last 24 hours"
    )


def test_defaults_dataset_errors_period_24h_and_sort_by_first_aggregate() -> None:
    q = parse_discover("title count()").query
    assert (q.dataset, q.period, q.sort) == ("errors", "24h", "-count()")
    assert parse_discover("title, timestamp").query.sort == "-timestamp"
    assert parse_discover("title, message").query.sort is None


def test_options_anywhere_and_flags() -> None:
    cmd = parse_discover(
        "transaction, p95(span.duration) project:backend,web in spans env:prod chart public"
    )
    assert cmd.query.projects == ("backend", "web")
    assert cmd.query.environments == ("prod",)
    assert cmd.query.dataset == "spans"
    assert cmd.chart and cmd.public and not cmd.export


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("last 7d", "7d"),
        ("last 7 days", "7d"),
        ("last week", "1w"),
        ("last hour", "1h"),
        ("last 30 min", "30m"),
        ("last 2 weeks", "2w"),
        ("last month", "30d"),
    ],
)
def test_periods(text: str, period: str) -> None:
    assert parse_discover(f"count() {text}").query.period == period


def test_from_to_dates_are_utc_and_a_bare_end_date_includes_that_day() -> None:
    q = parse_discover("count() from 2026-11-01 to 2026-11-02").query
    assert q.start == datetime(2026, 11, 1, tzinfo=UTC)
    assert q.end == datetime(2026, 11, 3, tzinfo=UTC)
    assert q.period is None
    q = parse_discover("count() from 2026-11-01 10:30 to 2026-11-01T12:00+01:00").query
    assert q.start == datetime(2026, 11, 1, 10, 30, tzinfo=UTC)
    assert q.end == datetime(2026, 11, 1, 11, 0, tzinfo=UTC)
    assert "from 2026-11-01 10:30 to 2026-11-01 11:00 UTC" in q.describe()


def test_function_arguments_and_tags_keep_their_commas_and_spaces() -> None:
    q = parse_discover(
        "count_if(span.duration, greater, 300), tag[plan, string], "
        "equation|count() / count_unique(user) in spans"
    ).query
    assert q.fields == (
        "count_if(span.duration, greater, 300)",
        "tag[plan, string]",
        "equation|count() / count_unique(user)",
    )


def test_quoted_where_keeps_keywords_and_slack_escapes_are_undone() -> None:
    q = parse_discover('title, count() where message:"last sort in spans" count():&gt;10').query
    assert q.query == 'message:"last sort in spans" count():>10'
    q = parse_discover("title where message:“hello world”").query
    assert q.query == 'message:"hello world"'


def test_a_where_holding_only_env_or_project_is_a_filter_not_a_mistake() -> None:
    # docs/features/discover.md's own example: `environment:` inside `where` becomes the env filter.
    cmd = parse_discover("release, count() where environment:production last 2 weeks chart")
    assert cmd.query.query == ""
    assert cmd.query.environments == ("production",)
    assert (cmd.query.period, cmd.chart) == ("2w", True)
    q = parse_discover("count() where env:prod project:backend level:error").query
    assert (q.query, q.environments, q.projects) == ("level:error", ("prod",), ("backend",))
    with pytest.raises(UserError, match="needs a Sentry search query"):
        parse_discover("count() where last 2 weeks env:prod")


def test_in_and_last_are_words_unless_followed_by_a_dataset_or_period() -> None:
    q = parse_discover("title where message:x connection in pool last 2h").query
    assert q.query == "message:x connection in pool"
    assert q.period == "2h"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "Which fields"),
        ("where level:error", "Which fields"),
        ("title in transactions", "spans"),
        ("title sort -count()", "sort by a field you asked for"),
        ("count() last 100d", "90 days"),
        ("count() last 24h from 2026-11-01", "either"),
        ("count() from 2026-11-02 to 2026-11-01", "after"),
        ("count() from 2026-13-01", "not a date"),
        ("count( title", "Unbalanced"),
        ("count() where", "needs a Sentry search query"),
        ("count() sort", "needs a field"),
        ("count() sort -count() sort count()", "twice"),
        (", ".join(f"f{i}" for i in range(MAX_FIELDS + 1)), "at most 20"),
    ],
)
def test_bad_input_says_what_is_wrong(text: str, needle: str) -> None:
    with pytest.raises(UserError) as info:
        parse_discover(text)
    assert needle in info.value.message


def test_aggregates_group_by_and_chart_axis() -> None:
    q = parse_discover("equation|count() / 2, title, count(), p95(span.duration) in spans").query
    assert q.aggregates == ["equation|count() / 2", "count()", "p95(span.duration)"]
    assert q.group_by == ["title"]
    assert q.y_axis == "count()"
    assert q.sort == "-count()"
    assert parse_discover("title, message").query.y_axis is None


def test_explain_bad_request_points_at_the_offending_field() -> None:
    q = parse_discover("title, count(), p95(span.duration)").query
    part, hint = explain_bad_request(q, "p95: expected a numeric column")
    assert part == "p95(span.duration)"
    assert "Span fields need `in spans`" in hint
    part, _ = explain_bad_request(q, "Invalid query: something odd")
    assert part is None


# -- properties -------------------------------------------------------------------------

NAMES = st.sampled_from(
    ["title", "issue", "user.email", "transaction", "span.op", "release", "project", "message"]
)
FUNCS = st.builds(
    lambda fn, arg: f"{fn}({arg})",
    st.sampled_from(["count", "count_unique", "p95", "avg", "max", "last_seen"]),
    st.sampled_from(["", "user", "span.duration", "transaction.duration"]),
)
FIELDS = st.lists(st.one_of(NAMES, FUNCS), min_size=1, max_size=MAX_FIELDS, unique=True)
TERMS = st.builds(
    lambda k, v, neg: f"{'!' if neg else ''}{k}:{v}",
    st.sampled_from(["level", "release", "user.email", "browser.name", "http.status_code"]),
    st.one_of(
        st.from_regex(r"[a-z0-9_.@*-]{1,12}", fullmatch=True),
        st.builds(lambda s: f'"{s}"', st.from_regex(r"[a-z0-9 ]{1,12}", fullmatch=True)),
    ),
    st.booleans(),
)
SLUGS = st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True), max_size=3, unique=True)


@st.composite
def queries(draw: st.DrawFn) -> DiscoverQuery:
    fields = draw(FIELDS)
    sort = draw(st.one_of(st.none(), st.sampled_from(fields)))
    if sort is not None and draw(st.booleans()):
        sort = "-" + sort
    use_dates = draw(st.booleans())
    start = end = None
    period = None
    if use_dates:
        start = datetime(2026, 11, draw(st.integers(1, 20)), draw(st.integers(0, 23)), tzinfo=UTC)
        end = datetime(2026, 11, draw(st.integers(21, 30)), tzinfo=UTC)
    else:
        n = draw(st.integers(1, 12))
        period = f"{n}{draw(st.sampled_from(['m', 'h', 'd', 'w']))}"
    return build_query(
        fields=fields,
        query=" ".join(draw(st.lists(TERMS, max_size=4))),
        sort=sort,
        period=period,
        start=start,
        end=end,
        dataset=draw(st.sampled_from(DATASETS)),
        projects=draw(SLUGS),
        environments=draw(SLUGS),
    )


@settings(max_examples=200, deadline=None)
@given(queries())
def test_to_text_parses_back_to_the_same_query(q: DiscoverQuery) -> None:
    assert parse_discover(q.to_text()).query == q


@settings(max_examples=200, deadline=None)
@given(FIELDS)
def test_field_lists_split_back_into_their_fields(fields: list[str]) -> None:
    assert split_fields(", ".join(fields)) == fields
    assert split_fields(" ".join(fields)) == fields


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_any_text_either_parses_or_raises_user_error(text: str) -> None:
    try:
        cmd = parse_discover(text)
    except UserError as exc:
        assert exc.message
        return
    assert 1 <= len(cmd.query.fields) <= MAX_FIELDS
    assert cmd.query.dataset in DATASETS


@settings(max_examples=200, deadline=None)
@given(st.lists(st.from_regex(r"[a-z]{1,5}\([a-z, ]{0,12}\)", fullmatch=True), min_size=1))
def test_tokenize_never_splits_inside_parentheses(calls: list[str]) -> None:
    assert tokenize(" ".join(calls)) == calls

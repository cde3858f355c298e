"""What Sentry's source enforces beyond its published schema, for the respx mock.

The published schema is incomplete and in places wrong. The `sentry` fixture puts `refuse`
in front of every test's routes: it answers 400 where Sentry's own validators do, so a test
proves Dexter sends what Sentry accepts, not only what the schema describes. Each rule names
the file of getsentry/sentry it follows.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import httpx
from httpx import Response

# src/sentry/types/group.py PriorityLevel (LOW, MEDIUM, HIGH)
PRIORITY_LEVELS = (25, 50, 75)
# src/sentry/workflow_engine/handlers/condition/issue_priority_*_handler.py:
# comparison_json_schema = {"type": "integer", "enum": [*PriorityLevel]}
PRIORITY_CONDITIONS = ("issue_priority_deescalating", "issue_priority_greater_or_equal")
# src/sentry/replays/endpoints/organization_replay_count.py ReplayDataSourceValidator:
# ChoiceField(choices=(Dataset.Discover.value, Dataset.IssuePlatform.value))
REPLAY_DATA_SOURCES = ("discover", "search_issues")
# src/sentry/replays/usecases/query/configs/aggregate_sort.py sort_config (the keys a replay
# list may sort by, `-` for descending); any other sort is refused by the replay query.
REPLAY_SORTS = frozenset(
    {
        "activity", "browser", "browser.name", "browser.version", "count_dead_clicks",
        "count_errors", "count_infos", "count_rage_clicks", "count_urls", "count_warnings",
        "device.brand", "device.family", "device.model", "device.name", "dist", "duration",
        "finished_at", "new_count_errors", "os", "os.name", "os.version", "os_name", "platform",
        "project_id", "sdk.name", "started_at", "user.email", "user.id", "user.username",
    }
)  # fmt: skip
# src/sentry/constants.py MAX_ROLLUP_POINTS; src/sentry/utils/dates.py validate_interval
MAX_ROLLUP_POINTS = 10_000
MAX_TOP_EVENTS = 10


def refuse(request: httpx.Request) -> Response | None:
    """A 400 as Sentry's source would answer it, or None to let the test's routes answer."""
    path = request.url.path
    if request.method in ("POST", "PUT") and "/workflows/" in path and request.content:
        problems = workflow_problems(json.loads(request.content))
        if problems:
            return Response(400, json=problems)
    if request.method == "GET" and path.endswith("/replay-count/"):
        source = request.url.params.get("data_source", "discover")
        if source not in REPLAY_DATA_SOURCES:
            return Response(400, json={"data_source": [f'"{source}" is not a valid choice.']})
    if request.method == "GET" and path.endswith("/replays/") and "/organizations/" in path:
        sort = request.url.params.get("sort")
        if sort is not None and sort.lstrip("-") not in REPLAY_SORTS:
            return Response(400, json={"detail": f"Invalid sort: {sort}"})
    if request.method == "GET" and path.endswith("/issues/") and "/organizations/" in path:
        terms = set(request.url.params.get("query", "").lower().split())
        if request.url.params.get("sort") == "inbox" and "is:for_review" not in terms:
            # src/sentry/search/snuba/executors.py inbox_search
            detail = "Sort key 'inbox' only supported for inbox search"
            return Response(400, json={"detail": detail})
    if request.method == "GET" and path.endswith("/events-timeseries/"):
        top = request.url.params.get("topEvents")
        if top is not None and not 0 < int(top) <= MAX_TOP_EVENTS:
            return Response(400, json={"detail": f"Can only get up to {MAX_TOP_EVENTS} top events"})
    return None


def workflow_problems(body: dict[str, Any]) -> dict[str, Any]:
    """What BaseDataConditionValidator.validate_comparison refuses in a workflow body
    (src/sentry/workflow_engine/endpoints/validators/base/data_condition.py)."""
    groups = [body.get("triggers") or {}, *(body.get("action_filters") or [])]
    for group in groups:
        for condition in group.get("conditions") or []:
            kind, value = condition.get("type"), condition.get("comparison")
            # jsonschema's "integer" is not satisfied by a JSON boolean
            ok = type(value) is int and value in PRIORITY_LEVELS
            if kind in PRIORITY_CONDITIONS and not ok:
                message = f"Value, {value} does not match JSON Schema for comparison"
                return {"actionFilters": [{"conditions": [{"comparison": [message]}]}]}
    return {}


def timeseries_rollup(request: httpx.Request) -> int:
    """The bucket size (s) `events-timeseries` answers with: the one asked for, unless the
    range holds more than 10,000 (/ topEvents) of them; then, silently, the default for the
    range (src/sentry/api/bases/organization_events.py get_rollup → utils/dates.py
    get_rollup_from_request, validate_interval, get_interval_from_range)."""
    params = request.url.params
    start = datetime.fromisoformat(params["start"])
    end = datetime.fromisoformat(params["end"])
    seconds = (end - start).total_seconds()
    top = int(params.get("topEvents", 0) or 0)
    limit = MAX_ROLLUP_POINTS / top if top else MAX_ROLLUP_POINTS
    asked = int(params.get("interval", 0) or 0) or default_interval(seconds)
    return asked if seconds / asked <= limit else default_interval(seconds)


def default_interval(seconds: float) -> int:
    """get_interval_from_range(date_range, high_fidelity=False)."""
    span = timedelta(seconds=seconds)
    if span >= timedelta(days=60):
        return 86400
    if span >= timedelta(days=30):
        return 4 * 3600
    if span > timedelta(days=1):
        return 3600
    if span > timedelta(hours=1):
        return 300
    return 900

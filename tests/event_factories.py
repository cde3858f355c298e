"""Event and tag payloads shaped as Sentry serializes them (IssueEventSerializer wrapped by
`wrap_event_response` in src/sentry/issues/endpoints/project_event_details.py, the schema's
`Retrieve an Issue Event` example; TagKeySerializer for `issues/{id}/tags/{key}/`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests import factories as f

EVENTS = "organizations/acme/issues/1/events/"
TAG = "organizations/acme/issues/1/tags/{key}/"
LATEST = "a" * 32
OLDER = "b" * 32
NEWER = "c" * 32


def frame(
    filename: str,
    function: str,
    line: int,
    *,
    in_app: bool,
    source: str | None = None,
    module: str | None = None,
) -> dict[str, Any]:
    """A frame with five lines of source around `line` when `source` is given."""
    context = (
        [[line - 1, "    # before"], [line, source], [line + 1, "    # after"]] if source else []
    )
    return {
        "filename": filename,
        "absPath": f"/srv/{filename}",
        "function": function,
        "module": module,
        "package": None,
        "platform": None,
        "instructionAddr": None,
        "symbolAddr": None,
        "symbol": None,
        "rawFunction": None,
        "trust": None,
        "errors": None,
        "vars": None,
        "lineNo": line,
        "colNo": None,
        "inApp": in_app,
        "context": context,
    }


def exception(
    kind: str, value: str, frames: list[dict[str, Any]], handled: bool = False
) -> dict[str, Any]:
    return {
        "type": kind,
        "value": value,
        "module": None,
        "threadId": None,
        "mechanism": {"type": "generic", "handled": handled},
        "rawStacktrace": None,
        "stacktrace": {
            "frames": frames,
            "framesOmitted": None,
            "registers": None,
            "hasSystemFrames": True,
        },
    }


def crumb(minutes_ago: int, category: str, message: str | None, **data: Any) -> dict[str, Any]:
    return {
        "type": "http" if data else "default",
        "category": category,
        "level": "info",
        "event_id": None,
        "timestamp": f.iso(timedelta(minutes=minutes_ago)),
        "message": message,
        "data": data or None,
    }


def default_chain() -> list[dict[str, Any]]:
    """A KeyError during whose handling a ZeroDivisionError was raised (cause first)."""
    cause = exception(
        "KeyError",
        "'rate'",
        [frame("app/rates.py", "lookup", 12, in_app=True, source="return RATES[name]")],
        handled=True,
    )
    raised = exception(
        "ZeroDivisionError",
        "division by zero",
        [
            frame("django/core/handlers.py", "inner", 55, in_app=False, source="response = get()"),
            frame("app/views.py", "checkout", 40, in_app=True, source="total = compute_total(c)"),
            frame("app/billing.py", "compute_total", 88, in_app=True, source="return a / b"),
            frame("decimal.py", "__truediv__", 1200, in_app=False),
        ],
    )
    return [cause, raised]


def event(
    eid: str = LATEST,
    *,
    issue_id: int = 1,
    title: str = "ZeroDivisionError: division by zero",
    chain: list[dict[str, Any]] | None = None,
    crumbs: list[dict[str, Any]] | None = None,
    request: dict[str, Any] | None = None,
    tags: list[dict[str, str]] | None = None,
    previous: str | None = OLDER,
    next_id: str | None = None,
    minutes_ago: int = 5,
    extra_entries: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """An error event of issue `issue_id` with its neighbours."""
    entries: list[dict[str, Any]] = [
        {
            "type": "exception",
            "data": {
                "values": default_chain() if chain is None else chain,
                "excOmitted": None,
                "hasSystemFrames": True,
            },
        },
        {
            "type": "breadcrumbs",
            "data": {
                "values": crumbs
                if crumbs is not None
                else [
                    crumb(9, "navigation", "/cart"),
                    crumb(8, "query", "SELECT * FROM cart WHERE id = %s"),
                    crumb(7, "http", None, method="POST", url="/api/checkout", status_code=500),
                ]
            },
        },
        {
            "type": "request",
            "data": request
            or {
                "apiTarget": None,
                "method": "POST",
                "url": "https://shop.acme.io/api/checkout",
                "query": [["step", "2"]],
                "fragment": None,
                "data": None,
                "headers": [["Content-Type", "application/json"]],
                "cookies": [],
                "env": None,
                "inferredContentType": "application/json",
            },
        },
        *(extra_entries or []),
    ]
    return {
        "id": eid,
        "eventID": eid,
        "groupID": str(issue_id),
        "projectID": "2",
        "dist": None,
        "userReport": None,
        "size": 7423,
        "errors": [],
        "message": "",
        "title": title,
        "location": "app/billing.py",
        "culprit": "app.billing in compute_total",
        "platform": "python",
        "type": "error",
        "metadata": {"type": "ZeroDivisionError", "value": "division by zero"},
        "tags": tags
        if tags is not None
        else [
            {"key": "server_name", "value": "web-1"},
            {"key": "environment", "value": "production"},
            {"key": "release", "value": "backend@1.5.2"},
            {"key": "handled", "value": "no"},
            {"key": "level", "value": "error"},
        ],
        "dateCreated": f.iso(timedelta(minutes=minutes_ago)),
        "dateReceived": f.iso(timedelta(minutes=minutes_ago)),
        "user": {
            "id": "550747",
            "email": "ada@acme.io",
            "username": None,
            "ip_address": "10.0.0.1",
            "name": "Ada Lovelace",
            "data": None,
        },
        "entries": entries,
        "contexts": {},
        "sdk": {"name": "sentry.python", "version": "2.19.0"},
        "fingerprints": ["c4a4d06bc314205bb3b6bdb612dde7f1"],
        "nextEventID": next_id,
        "previousEventID": previous,
    }


def tag(key: str, values: list[tuple[str, int]], total: int | None = None) -> dict[str, Any]:
    """`issues/{id}/tags/{key}/`: the events with the tag and its top values."""
    return {
        "key": key,
        "name": key.replace("_", " ").title(),
        "uniqueValues": len(values),
        "totalValues": total if total is not None else sum(c for _, c in values),
        "topValues": [
            {
                "key": key,
                "name": value,
                "value": value,
                "count": count,
                "lastSeen": f.iso(timedelta(minutes=5)),
                "firstSeen": f.iso(timedelta(days=3)),
            }
            for value, count in values
        ],
    }


HOSTILE = "<!channel> <@U0001|boss> <https://evil.example|click> ``` `x` & *bold*"


def hostile_event() -> dict[str, Any]:
    """An event whose every text was written by an attacker: mentions, link syntax,
    backticks that try to close code blocks, and values far beyond Slack's limits."""
    frames = [
        frame(
            f"app/{HOSTILE}{i}.py",
            f"fn```{i}<!here>",
            i + 1,
            in_app=i % 2 == 0,
            source="x = '```' + '<!channel>' " + "&" * 400,
        )
        for i in range(400)
    ]
    chain = [exception(f"Err{HOSTILE}{i}", HOSTILE + "&<>" * 34000, frames) for i in range(6)]
    crumbs = [crumb(30 - (i % 30), HOSTILE, HOSTILE * 20) for i in range(200)]
    return event(
        title=HOSTILE * 20,
        chain=chain,
        crumbs=crumbs,
        request={"method": "GET`<!channel>", "url": "https://x.io/?q=" + HOSTILE * 200},
        tags=[{"key": f"k{HOSTILE}{i}", "value": HOSTILE * 50} for i in range(40)],
        previous="not-an-id <!channel>",
        next_id=None,
    )

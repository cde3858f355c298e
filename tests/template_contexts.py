"""A context for every template, in which every text a user or Sentry could choose is hostile.

`Hostile(payload)` stands for any domain object (an issue, a release, a digest row…): each
attribute, item and call of it is another `Hostile` with the same payload, it iterates as
two of them, and as text it *is* the payload. Numbers, dates and the few values templates
branch on are real. `CONTEXTS[name](payload)` is the context of `templates/<name>.json.j2`
with `payload` everywhere text can come from outside; tests/core/test_mrkdwn_injection.py renders
every template with it and fails for a template that has no entry here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.core.ids import Action
from bot.events import texts as event_texts
from bot.slack.card_hooks import CardButton

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
URL = "https://acme.sentry.io/issues/1/"


class Hostile(str):
    """Hostile text that also stands for any object made of hostile text."""

    def __new__(cls, payload: str) -> Hostile:
        return super().__new__(cls, payload)

    def __getattribute__(self, name: str) -> Any:
        # str's own methods (title, count, …) would shadow the domain attributes templates read
        if name.startswith("__") or name in ("_payload",):
            return object.__getattribute__(self, name)
        return Hostile(str(self))

    def __call__(self, *args: Any, **kwargs: Any) -> Hostile:
        return Hostile(str(self))

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, slice):
            return [Hostile(str(self)), Hostile(str(self))][key]
        return Hostile(str(self))

    def __iter__(self) -> Iterator[Any]:  # type: ignore[override]
        return iter([Hostile(str(self)), Hostile(str(self))])

    def __len__(self) -> int:
        return 2

    def __float__(self) -> float:
        return 1.0

    def __int__(self) -> int:
        return 1

    def __index__(self) -> int:
        return 1

    def __gt__(self, other: Any) -> bool:  # type: ignore[override]
        return False

    __lt__ = __ge__ = __le__ = __gt__

    def __sub__(self, other: Any) -> int:
        return 1

    __mul__ = __rmul__ = __truediv__ = __rtruediv__ = __sub__

    def __rsub__(self, other: Any) -> Any:
        return timedelta(hours=5) if isinstance(other, datetime) else 1

    def __add__(self, other: Any) -> Any:  # type: ignore[override]
        return 1 if isinstance(other, int | float) else str(self) + str(other)

    def __radd__(self, other: Any) -> Any:
        return 1 if isinstance(other, int | float) else str(other) + str(self)

    def __round__(self, n: int | None = None) -> int:
        return 1

    def __abs__(self) -> int:
        return 1

    def __hash__(self) -> int:
        return str.__hash__(self)


Context = Callable[[str], dict[str, Any]]


def _when(_: Any) -> str:
    return "2026-12-02 09:00 UTC"


def _pct(_: Any) -> str:
    return "99.20%"


def _url(_: Any) -> str:
    return URL


def _h(p: str) -> Hostile:
    return Hostile(p)


CONTEXTS: dict[str, Context] = {
    "alerts/alert_created": lambda p: {"rule": _h(p), "summary": p, "created": _h(p), "user": p},
    "alerts/alert_form": lambda p: {
        "v": _h(p),
        "show": [],
        "opts": _h(p),
        "bid": _h(p),
        "meta": p,
        "notices": {},
        "notice": p,
    },
    "alerts/alert_list": lambda p: {
        "rules": [_h(p)],
        "total": 1,
        "page": 1,
        "pages": 2,
        "project": p,
        "notice": p,
        "refs": _h(p),
        "pager": [("alerts_page", p, p)],
    },
    "alerts/alert_preview": lambda p: {
        "rule": _h(p),
        "summary": p,
        "preview": _h(p),
        "per_day": [1, 2],
        "spark": p,
        "meta": p,
        "generation": p,
        "channel": p,
    },
    "alerts/incident": lambda p: {"inc": _h(p), "state": p, "history": [p, p]},
    "alerts/alert_status": lambda p: {"title": p, "text": p, "note": p, "url": p, "meta": p},
    "triage/bulk_preview": lambda p: {
        "what": p,
        "plan": _h(p),
        "shown": [_h(p)],
        "ttl_minutes": 10,
        "implied": p,
    },
    "triage/bulk_report": lambda p: {"report": _h(p), "retry": _h(p)},
    "digests/digest": lambda p: {
        "d": _h(p),
        "schedule": p,
        "sub_id": p,
        "preview": False,
        "when": _when,
        "change": lambda now, before: p,
        "ms": lambda ms: p,
    },
    "digests/digest_list": lambda p: {"here": [_h(p)], "mine": [_h(p)], "when": _when},
    "discover/discover_modal": lambda p: {
        "datasets": [p],
        "field_groups": [(p, [p])],
        "periods": [(p, p), (p, p)],
        "metadata": p,
    },
    "discover/discover_table": lambda p: {
        "title": p,
        "description": p,
        "page": 1,
        "table": _h(p),
        "rows": 1,
        "has_more": True,
        "next_value": p,
        "chart_value": p,
        "export_value": p,
        "progress": p,
        "notes": [p],
        "empty_text": p,
    },
    "commands/help": lambda p: {"groups": [(p, [_h(p)])], "notice": p, "full": True},
    "home/home": lambda p: {
        "notice": p,
        "problem": p,
        "ident": _h(p),
        "assigned": [_h(p)],
        "assigned_error": p,
        "teams": [{"slug": p, "issues": [_h(p)], "error": p}],
        "subs": [_h(p)],
        "more_subs": 1,
        "when": _when,
    },
    "triage/issue_card": lambda p: {
        "issue": _h(p),
        "event": _h(p),
        "has_releases": True,
        "buttons": [CardButton(label=p, action_id=Action.REPLAYS_SHOW, value=p)],
        "notes": [p],
        "now": NOW,
        "release_url": _url,
    },
    "issue_comment": lambda p: {"short_id": p, "title": p, "metadata": p},
    "triage/issue_list": lambda p: {
        "search": _h(p),
        "issues": [_h(p)],
        "page": 1,
        "next_value": p,
        "now": NOW,
    },
    "perf/perf_overview": lambda p: {
        "where": p,
        "slowest": _h(p),
        "busiest": _h(p),
        "slowest_rows": 1,
        "busiest_rows": 1,
        "chart_value": p,
    },
    "perf/perf_transaction": lambda p: {
        "txn": p,
        "where": p,
        "figures": [{"label": p, "value": p, "change": p}],
        "count_text": p,
        "spans": _h(p),
        "errors": _h(p),
        "spans_rows": 1,
        "errors_rows": 1,
        "chart_value": p,
    },
    "releases/release_card": lambda p: {"card": _h(p), "now": NOW},
    "releases/release_create_modal": lambda p: {"loading": False, "projects": [p], "metadata": p},
    "releases/release_deploys": lambda p: {"title": p, "records": [_h(p)], "now": NOW, "url": _url},
    "releases/release_list": lambda p: {"rows": [_h(p)], "scope": p, "now": NOW, "pct": _pct},
    "releases/release_notice": lambda p: {
        "kind": "deploy",
        "release": _h(p),
        "deploy": _h(p),
        "url": p,
        "now": NOW,
        "followup": _h(p),
        "pct": _pct,
    },
    "releases/release_subscriptions": lambda p: {
        "subs": [_h(p)],
        "issue_subs": [_h(p)],
        "notice": p,
    },
    "replays/replays": lambda p: {
        "issue": _h(p),
        "count": 3,
        "replays": [_h(p)],
        "now": NOW,
        "duration": lambda ms: p,
    },
    "discover/saved_queries": lambda p: {"saved": [_h(p)]},
    "workspaces/sentry_setup": lambda p: {
        "state": "form",
        "url": p,
        "org": p,
        "error": p,
        "org_name": p,
        "env_org": p,
    },
    "teams/team": lambda p: {"o": _h(p)},
    "teams/teams": lambda p: {"rows": [{"team": _h(p), "projects": [p]}], "org": p},
    "dashboard_digest": lambda p: {
        "d": _h(p),
        "r": _h(p),
        "schedule": p,
        "sub_id": p,
        "preview": False,
        "when": _when,
        "max_hidden": 3,
    },
    "dashboard_unfurl": lambda p: {"board": _h(p), "kinds": _h(p), "max_listed": 3},
    "replay_search": lambda p: {
        "search": _h(p),
        "replays": [_h(p)],
        "page": 2,
        "next_value": p,
        "now": NOW,
        "duration": lambda s: p,
    },
    # a Hostile view, not bot/events/view.py's (whose texts are escaped piece by piece and
    # marked Mrkdwn; tests/events/test_events.py pushes hostile events through those)
    "events/event": lambda p: {"view": _h(p), "texts": event_texts, "actions": _h(p)},
    "events/tags": lambda p: {"view": _h(p), "texts": event_texts, "actions": _h(p)},
    "identity/whoami": lambda p: {
        "ident": _h(p),
        "member": _h(p),
        "teams": [p],
        "mode": "team",
        "projects": [p],
        "now": NOW - timedelta(hours=1),
    },
}

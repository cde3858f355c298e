"""Sentry webhook deliveries, shaped after Sentry's source, signed like Sentry signs them.

- Envelope (`action`, `installation.uuid`, `data`, `actor`) and headers (`Content-Type`,
  `Request-ID`, `Sentry-Hook-Resource`, `Sentry-Hook-Timestamp`, `Sentry-Hook-Signature` =
  hex HMAC-SHA256 of the body with the client secret):
  src/sentry/sentry_apps/api/serializers/app_platform_event.py (AppPlatformEvent).
- `issue` data: `{"issue": <GroupSerializer output>}` plus `assignee` on `assigned` and
  `resolution_type` on `resolved`: src/sentry/sentry_apps/tasks/sentry_apps.py
  (workflow_notification) and src/sentry/receivers/sentry_apps.py.
- `comment` data: `comment_id`, `issue_id`, `project_slug`, `timestamp`, `comment`:
  src/sentry/sentry_apps/tasks/sentry_apps.py (build_comment_webhook), fed by
  src/sentry/issues/endpoints/group_notes.py.
- actor: `{"type": "user", "id", "name"}`, or `{"type": "application", "id": "sentry",
  "name": "Sentry"}` when Sentry itself acted (AppPlatformEvent.get_actor).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import Any

from tests import factories as f

CLIENT_SECRET = "whsec-test-client-secret-7e3a1c"
INSTALLATION = "7a485448-a9e2-4c85-8a3c-4f44175783c9"
ANN = {"type": "user", "id": 7, "name": "Ann Example"}
SENTRY = {"type": "application", "id": "sentry", "name": "Sentry"}


def envelope(
    action: str,
    data: dict[str, Any],
    *,
    installation: str = INSTALLATION,
    actor: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON body of one delivery."""
    return {
        "action": action,
        "installation": {"uuid": installation},
        "data": data,
        "actor": actor or ANN,
    }


def issue(action: str, iid: int = 1, **issue_fields: Any) -> dict[str, Any]:
    """An `issue` delivery (created, resolved, assigned, archived, ignored, unresolved)."""
    data: dict[str, Any] = {"issue": f.issue(iid, **issue_fields)}
    if action == "resolved":
        data["resolution_type"] = "resolved"
    if action == "assigned":
        data["assignee"] = {"type": "user", "name": "Ann Example", "id": 7}
    return envelope(action, data)


def comment(
    action: str,
    comment_id: int,
    *,
    issue_id: int = 1,
    text: str = "Looking into it",
    actor: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A `comment` delivery (created, updated, deleted)."""
    data = {
        "comment_id": comment_id,
        "issue_id": issue_id,
        "project_slug": "backend",
        "timestamp": f.iso(),
        "comment": text,
    }
    return envelope(action, data, actor=actor)


def installation(action: str, uuid_: str = INSTALLATION) -> dict[str, Any]:
    """An `installation` delivery (created, deleted)."""
    data = {
        "installation": {
            "uuid": uuid_,
            "status": "installed",
            "app": {"uuid": "e8d87b8c-dexter", "slug": "dexter"},
            "organization": {"slug": "acme"},
        }
    }
    return envelope(action, data, installation=uuid_)


def signed(
    payload: dict[str, Any],
    resource: str,
    *,
    secret: str = CLIENT_SECRET,
    request_id: str | None = None,
    timestamp: float | None = None,
) -> tuple[bytes, dict[str, str]]:
    """The raw body and the headers Sentry sends with it."""
    body = json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "Request-ID": request_id or uuid.uuid4().hex,
        "Sentry-Hook-Resource": resource,
        "Sentry-Hook-Timestamp": str(int(timestamp if timestamp is not None else time.time())),
        "Sentry-Hook-Signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
    }
    return body, headers

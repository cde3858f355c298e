"""The job envelope: one serializable record for every piece of work after the ack.

A Slack request becomes a job carrying the payload Bolt verified and parsed; a Sentry
webhook delivery, a digest or a release notice becomes a job carrying its own data in
`body`. The same fields (who, where, how to answer) are filled for all of them, so the
worker, the dead-letter notice and the metrics treat every kind alike.
"""

from __future__ import annotations

import time
import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field

JobKind = Literal[
    "command",
    "action",
    "view",
    "view_closed",
    "options",
    "shortcut",
    "event",
    "other",
    "webhook",
    "digest",
    "release_notice",
]
SLACK_KINDS: frozenset[str] = frozenset(
    {"command", "action", "view", "view_closed", "options", "shortcut", "event", "other"}
)
# Headers a listener may look at; the signature is not kept (it was checked at the door).
KEPT_HEADERS = ("x-slack-retry-num", "x-slack-retry-reason")


def new_job_id() -> str:
    """A short, unique, unguessable reference users can quote (16 hex digits); it is also
    the correlation id of the job's log lines."""
    return uuid.uuid4().hex[:16]


class Job(BaseModel):
    """One unit of work in the queue. `attempts` is the delivery count of this run."""

    id: str = Field(default_factory=new_job_id)
    kind: JobKind
    name: str = "-"  # low-cardinality label: sub-command, action id, callback id, event type
    team_id: str = ""
    enterprise_id: str | None = None
    user_id: str = ""
    channel_id: str = ""
    response_url: str | None = None
    enqueued_at: float = Field(default_factory=time.time)
    attempts: int = 0
    body: dict[str, Any] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)

    @property
    def is_slack(self) -> bool:
        """A Slack request re-dispatched through the Bolt listeners."""
        return self.kind in SLACK_KINDS

    def dumps(self) -> str:
        """The JSON stored in the stream."""
        return self.model_dump_json(exclude={"attempts"})

    @classmethod
    def loads(cls, raw: str | bytes, *, attempts: int) -> Job:
        """Parse a stored job, with the delivery count Redis keeps for it."""
        job = cls.model_validate_json(raw)
        job.attempts = attempts
        return job


def from_slack(
    kind: str,
    name: str,
    body: dict[str, Any],
    headers: dict[str, Any],
    *,
    team_id: str | None,
    enterprise_id: str | None,
    user_id: str | None,
    channel_id: str | None,
) -> Job:
    """The job for one verified Slack request (ids as Bolt extracted them)."""
    kept: dict[str, str] = {}
    for name_ in KEPT_HEADERS:
        values = headers.get(name_)
        if values:
            kept[name_] = str(values[0] if isinstance(values, list | tuple) else values)
    response_url = body.get("response_url")
    if not response_url:
        urls = body.get("response_urls")
        first = urls[0] if isinstance(urls, list) and urls and isinstance(urls[0], dict) else {}
        response_url = first.get("response_url")
    return Job(
        kind=kind if kind in SLACK_KINDS else "other",
        name=name,
        team_id=team_id or "",
        enterprise_id=enterprise_id,
        user_id=user_id or "",
        channel_id=channel_id or "",
        response_url=str(response_url) if response_url else None,
        body=body,
        headers=kept,
    )

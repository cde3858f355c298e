"""Current Sentry: an *Alert* (workflow) connected to *Monitors* (detectors).

An issue alert is a workflow over the project's issue stream monitor; a metric alert is a
`metric_issue` monitor plus a workflow that notifies when it opens a metric issue. The
request bodies are built in bot/alerts/sentry_bodies.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.alerts.rules import Generation, IssueAlert, MetricAlert
from bot.alerts.sentry_api import AlertRef, AlertSummary, Created, NoWorkflows, Recipient
from bot.alerts.sentry_bodies import detector_body, issue_workflow_body, metric_workflow_body
from bot.core.errors import SentryError, SentryNotFound, UserError
from bot.sentry.client import SentryClient
from bot.sentry.projects import ProjectService

log = logging.getLogger(__name__)

ISSUE_STREAM_TYPES = ("issue_stream", "error")  # `error` on organisations not yet migrated
Prefetch = Callable[[set[str]], Awaitable[None]]


async def _empty() -> dict[str, dict[str, Any]]:
    return {}


def recipient(raw: dict[str, Any]) -> Recipient:
    """Whom a workflow action notifies."""
    config = raw.get("config") or {}
    kind = str(raw.get("type") or "?")
    ident = str(config.get("targetIdentifier") or "")
    if kind == "slack":
        return Recipient(kind="slack", ident=ident, label=str(config.get("targetDisplay") or ""))
    if kind == "email" and config.get("targetType") in ("user", "team", "issue_owners"):
        return Recipient(kind=str(config["targetType"]), ident=ident)
    return Recipient(kind="other", label=kind.replace("_", " "))


class CurrentAlerts:
    """Alerts and Monitors (`workflows/`, `detectors/`)."""

    generation: Generation = "current"

    def __init__(self, client: SentryClient, projects: ProjectService) -> None:
        self.client = client
        self.projects = projects

    def url(self, workflow_id: str) -> str:
        """The alert's page in Sentry."""
        return (
            f"{self.client.base_url}/organizations/{self.client.org}/monitors/alerts/{workflow_id}/"
        )

    async def _detectors(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), 100):
            resp = await self.client.get(
                self.client.org_path("detectors"), params={"id": ids[start : start + 100]}
            )
            out.update({str(d["id"]): d for d in resp.data or []})
        return out

    async def rules(
        self, project_slug: str | None, *, prefetch: Prefetch | None = None
    ) -> list[AlertSummary]:
        """Every alert, with the kind and projects of its monitors.

        Raises NoWorkflows when Sentry has no `workflows/` (older self-hosted). `prefetch`
        gets the recipient and owner kinds as soon as the workflows are read, so what names
        them loads while the monitors are read.
        """
        params: dict[str, Any] = {}
        if project_slug:
            params["project"] = [(await self.projects.by_slug(project_slug)).id]
        workflows: list[dict[str, Any]] = []
        try:
            async for page in self.client.paginate(
                self.client.org_path("workflows"), params=params, max_pages=5
            ):
                workflows += page.data or []
        except SentryNotFound as exc:
            raise NoWorkflows(exc.message, status=404) from None
        ids = sorted({str(d) for w in workflows for d in w.get("detectorIds") or []})
        kinds = {
            recipient(a).kind
            for w in workflows
            for f in w.get("actionFilters") or []
            for a in f.get("actions") or []
        } | {str(w.get("owner") or "").partition(":")[0] for w in workflows}
        detectors, projects, _ = await asyncio.gather(
            self._detectors(ids) if ids else _empty(),
            self.projects.all(),
            prefetch(kinds) if prefetch else _empty(),
        )
        slugs = {p.id: p.slug for p in projects}
        return [self._summary(w, detectors, slugs) for w in workflows]

    async def read(self, ref: AlertRef) -> AlertSummary:
        """One alert with its monitors, from `workflows/{id}/` and `detectors/`."""
        resp = await self.client.get(self.client.org_path("workflows", ref.id))
        wf = resp.data if isinstance(resp.data, dict) else {}
        if str(wf.get("id") or "") != ref.id:
            raise SentryNotFound("no such alert", status=404)
        ids = sorted({str(d) for d in wf.get("detectorIds") or []})
        detectors, projects = await asyncio.gather(
            self._detectors(ids) if ids else _empty(), self.projects.all()
        )
        return self._summary(wf, detectors, {p.id: p.slug for p in projects})

    def _summary(
        self, wf: dict[str, Any], detectors: dict[str, dict[str, Any]], slugs: dict[str, str]
    ) -> AlertSummary:
        wid = str(wf["id"])
        linked = [str(d) for d in wf.get("detectorIds") or []]
        mine = [detectors[d] for d in linked if d in detectors]
        # a monitor Sentry did not show us is in a project we cannot name: "?"
        unseen = {"?"} if len(mine) < len(linked) else set()
        types = {str(d.get("type")) for d in mine}
        if "metric_issue" in types:
            kind = "metric"
        elif not types or types & set(ISSUE_STREAM_TYPES):
            kind = "issue"
        else:
            kind = sorted(types)[0].replace("_", " ")
        own = [
            str(d["id"])
            for d in mine
            if d.get("type") == "metric_issue"
            and [str(w) for w in d.get("workflowIds") or []] == [wid]
        ]
        actions = [a for f in wf.get("actionFilters") or [] for a in f.get("actions") or []]
        return AlertSummary(
            generation="current",
            id=wid,
            kind=kind,
            name=str(wf.get("name") or wid),
            projects=sorted({slugs.get(str(d.get("projectId")), "?") for d in mine} | unseen),
            enabled=bool(wf.get("enabled", True)),
            owner=wf.get("owner"),
            recipients=[recipient(a) for a in actions],
            url=self.url(wid),
            detector_ids=own,
            can_toggle=True,
        )

    async def issue_stream_detector(self, project_id: str, project_slug: str) -> str:
        """The project's issue stream monitor, which issue alerts connect to."""
        found: dict[str, str] = {}
        async for page in self.client.paginate(
            self.client.org_path("detectors"), params={"project": [project_id]}, max_pages=5
        ):
            for d in page.data or []:
                found.setdefault(str(d.get("type")), str(d["id"]))
        for kind in ISSUE_STREAM_TYPES:
            if kind in found:
                return found[kind]
        raise UserError(
            f"Sentry has no issue stream monitor for `{project_slug}` yet; "
            "open the project's Monitors page in Sentry once, then try again."
        )

    async def create(self, rule: IssueAlert | MetricAlert, *, owner: str | None) -> Created:
        """Create the alert; for a metric alert the monitor first, removed again on failure."""
        if isinstance(rule, IssueAlert):
            detector = await self.issue_stream_detector(rule.project_id, rule.project)
            resp = await self.client.post(
                self.client.org_path("workflows"),
                json=issue_workflow_body(rule, detector, owner),
            )
            wid = str(resp.data["id"])
            return Created(generation="current", id=wid, url=self.url(wid))
        resp = await self.client.post(
            self.client.org_path("projects", rule.project, "detectors"),
            json=detector_body(rule, owner),
        )
        detector_id = str(resp.data["id"])
        try:
            resp = await self.client.post(
                self.client.org_path("workflows"),
                json=metric_workflow_body(rule, detector_id, owner),
            )
        except SentryError:
            await self._remove_detector(detector_id)
            raise
        wid = str(resp.data["id"])
        return Created(generation="current", id=wid, url=self.url(wid), detector_id=detector_id)

    async def _remove_detector(self, detector_id: str) -> None:
        try:
            await self.client.delete(self.client.org_path("detectors", detector_id))
        except SentryNotFound:
            pass
        except SentryError:
            log.error("could not remove monitor %s after the alert failed", detector_id)
        else:
            log.info("removed monitor %s after its alert could not be created", detector_id)

    async def set_enabled(self, ref: AlertRef, enabled: bool) -> None:
        """Enable or disable the alert and the monitors that belong only to it."""
        await self.client.put(
            self.client.org_path("workflows"), params={"id": [ref.id]}, json={"enabled": enabled}
        )
        if ref.d:
            await self.client.put(
                self.client.org_path("detectors"), params={"id": ref.d}, json={"enabled": enabled}
            )

    async def delete(self, ref: AlertRef) -> None:
        """Delete the alert and the monitors that belong only to it."""
        await self.client.delete(self.client.org_path("workflows", ref.id))
        for detector_id in ref.d:
            with contextlib.suppress(SentryNotFound):
                await self.client.delete(self.client.org_path("detectors", detector_id))

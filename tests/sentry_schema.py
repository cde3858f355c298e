"""Validate every request a test sends to (mocked) Sentry against Sentry's official schema."""

from __future__ import annotations

import functools
import gzip
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import respx
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from respx.models import AllMockedAssertionError
from werkzeug.datastructures import Headers, ImmutableMultiDict

# Vendored, gzipped copies of Sentry's published schema: see tests/contracts/README.md.
SCHEMAS = Path(__file__).resolve().parent / "contracts"
CURRENT = "sentry-openapi.json"
LEGACY = "sentry-openapi-with-legacy-alert-rules.json"
EVENT_ID_ROUTE = r"^(?:latest|oldest|recommended|\d+|[A-Fa-f0-9-]{32,36})$"
TEST_HOSTS = ["https://sentry.io", "https://de.sentry.io", "https://sentry.acme.internal"]


def read_schema(name: str) -> dict[str, Any]:
    """One vendored schema, as published."""
    spec: dict[str, Any] = json.loads(gzip.decompress((SCHEMAS / f"{name}.gz").read_bytes()))
    return spec


def _relax_issue_updates(spec: dict[str, Any]) -> None:
    """The schema marks every issue PUT body field required; Sentry takes partial updates."""
    for path, item in spec["paths"].items():
        if "/issues/" not in path or "put" not in item:
            continue
        body = item["put"].get("requestBody", {})
        for media in body.get("content", {}).values():
            _drop_required(media.get("schema", {}))


def _follow_the_source(spec: dict[str, Any]) -> None:
    """Where Sentry's source accepts what the published schema leaves out."""
    # src/sentry/replays/endpoints/organization_replay_count.py ReplayDataSourceValidator
    # accepts `discover` and `search_issues`; the schema lists `events | search_issues | spans`.
    # What the source refuses is answered with a 400 by tests/sentry_rules.py.
    # src/sentry/api/endpoints/index.py: `GET /api/0/` tells the token's scopes.
    spec["paths"]["/api/0/"] = {
        "get": {
            "operationId": "apiIndex",
            "security": [{"auth_token": []}],
            "responses": {"200": {"description": "version, auth.scopes, user"}},
        }
    }
    # src/sentry/api/urls.py routes `issues/{issue_id}/events/{event_id}/` for
    # `latest|oldest|recommended|\d+|[A-Fa-f0-9-]{32,36}` and group_event_details.py looks any
    # id up as an event of that issue; the schema lists the three keywords only.
    event = "/api/0/organizations/{organization_id_or_slug}/issues/{issue_id}/events/{event_id}/"
    for param in spec["paths"][event]["get"]["parameters"]:
        if param.get("name") == "event_id":
            param["schema"].pop("enum", None)
            param["schema"]["pattern"] = EVENT_ID_ROUTE
    # src/sentry/api/urls.py routes `sentry-api-0-event-owners` (EventOwnersEndpoint,
    # src/sentry/api/endpoints/event_owners.py) and `sentry-api-0-event-file-committers`
    # (EventFileCommittersEndpoint): GETs of one event of a project, no query parameters.
    project_event = (
        "/api/0/projects/{organization_id_or_slug}/{project_id_or_slug}/events/{event_id}"
    )
    for what in ("owners", "committers"):
        spec["paths"][f"{project_event}/{what}/"] = {
            "get": {
                "operationId": f"eventSuggested_{what}",
                "security": [{"auth_token": []}],
                "parameters": [
                    {"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                    for n in ("organization_id_or_slug", "project_id_or_slug", "event_id")
                ],
                "responses": {"200": {"description": f"the event's {what}"}},
            }
        }
    _issue_comments(spec)
    for path, item in spec["paths"].items():
        if not path.endswith("/replay-count/"):
            continue
        for param in item["get"]["parameters"]:
            if param.get("name") == "data_source":
                enum = param["schema"]["enum"]
                param["schema"]["enum"] = sorted({*enum, "discover"})


def _issue_comments(spec: dict[str, Any]) -> None:
    """Issue comments (notes): routed, but unpublished (ApiPublishStatus.PRIVATE).

    src/sentry/api/urls.py, under `organizations/{org}/issues/`:
    `^(?P<issue_id>[^/]+)/(?:notes|comments)/$` → GroupNotesEndpoint (GET list, POST create),
    `^(?P<issue_id>[^/]+)/(?:notes|comments)/(?P<note_id>[^/]+)/$` → GroupNotesDetailsEndpoint.
    POST body: src/sentry/api/serializers/rest_framework/group_notes.py NoteSerializer —
    `text` a CharField (required, not blank), `mentions` a list of actor ids (optional);
    src/sentry/issues/endpoints/group_notes.py answers 201 with the activity
    (`id`, `type: "note"`, `data.text`), 400 on the same text by the same user within an hour.
    """
    org = {"in": "path", "name": "organization_id_or_slug", "required": True}
    issue = {"in": "path", "name": "issue_id", "required": True}
    params = [{**org, "schema": {"type": "string"}}, {**issue, "schema": {"type": "string"}}]
    body = {
        "type": "object",
        "required": ["text"],
        "additionalProperties": False,
        "properties": {
            "text": {"type": "string", "minLength": 1},
            "mentions": {"type": "array", "items": {"type": "string"}},
        },
    }
    spec["paths"]["/api/0/organizations/{organization_id_or_slug}/issues/{issue_id}/comments/"] = {
        "get": {
            "operationId": "listIssueComments",
            "parameters": params,
            "security": [{"auth_token": ["event:read"]}],
            "responses": {"200": {"description": "the issue's notes, newest first"}},
        },
        "post": {
            "operationId": "createIssueComment",
            "parameters": params,
            "security": [{"auth_token": ["event:write"]}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
            "responses": {"201": {"description": "the new note (an activity)"}},
        },
    }


def _drop_required(node: Any) -> None:
    if isinstance(node, dict):
        node.pop("required", None)
        for value in node.values():
            _drop_required(value)
    elif isinstance(node, list):
        for value in node:
            _drop_required(value)


@functools.cache
def load(name: str = CURRENT) -> OpenAPI:
    """The schema as an openapi-core object, servers pointed at the hosts tests use."""
    spec = read_schema(name)
    spec["servers"] = [{"url": host} for host in TEST_HOSTS]
    _relax_issue_updates(spec)
    _follow_the_source(spec)
    return OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))


@dataclass
class _Request:
    """openapi-core's request protocol over an httpx.Request."""

    request: httpx.Request

    def __post_init__(self) -> None:
        # openapi-core writes the matched path variables back into `parameters.path`.
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(self.request.url.params.multi_items())),
            header=Headers(list(self.request.headers.items())),
            cookie=ImmutableMultiDict(),
        )

    @property
    def host_url(self) -> str:
        url = self.request.url
        return f"{url.scheme}://{url.netloc.decode()}"

    @property
    def path(self) -> str:
        return urlsplit(str(self.request.url)).path

    @property
    def method(self) -> str:
        return self.request.method.lower()

    @property
    def content_type(self) -> str:
        return self.request.headers.get("content-type", "application/json").split(";")[0]

    @property
    def body(self) -> bytes | None:
        return self.request.content or None


def validate(request: httpx.Request) -> None:
    """Raise AssertionError unless the request is valid for Sentry's current schema, or,
    for endpoints the current schema no longer lists (legacy alert rules), the legacy one."""
    problems: list[str] = []
    for name in (CURRENT, LEGACY):
        try:
            result = load(name).unmarshal_request(_Request(request))
        except (PathNotFound, OperationNotFound) as exc:
            problems.append(f"{name}: {_explain(exc)}")
            continue
        if not result.errors:
            return
        problems.append(f"{name}: {_explain(result.errors[0])}")
        if not isinstance(result.errors[0], PathNotFound | OperationNotFound):
            break
    body = request.content.decode(errors="replace")[:500]
    raise AssertionError(
        f"{request.method} {request.url} is not valid for Sentry's API:\n  "
        + "\n  ".join(problems)
        + (f"\n  body: {body}" if body else "")
    )


def _explain(exc: Exception) -> str:
    parts = [f"{type(exc).__name__}: {exc}"]
    cause = exc.__cause__ or exc.__context__
    for sub in getattr(exc, "schema_errors", None) or getattr(cause, "schema_errors", None) or []:
        parts.append(str(getattr(sub, "message", sub))[:300])
    return "; ".join(parts)


def validate_all(requests: Iterable[httpx.Request]) -> None:
    """Validate every request; one AssertionError naming each invalid one."""
    problems: list[str] = []
    for request in requests:
        try:
            validate(request)
        except AssertionError as exc:
            problems.append(str(exc))
    if problems:
        raise AssertionError("\n".join(dict.fromkeys(problems)))


@contextmanager
def checked(router: respx.MockRouter) -> Iterator[respx.MockRouter]:
    """Run `router`; when the block ends, fail on any request no route answered and validate
    every request against the schema (before the router stops: respx forgets calls on exit).

    An unrouted request raises inside the bot, which reports it as a Sentry failure and goes
    on, so without this a test can pass on a code path it never meant to exercise."""
    unrouted: list[httpx.Request] = []
    resolver = router.resolver

    @contextmanager
    def recording(request: httpx.Request) -> Iterator[Any]:
        try:
            with resolver(request) as resolved:
                yield resolved
        except AllMockedAssertionError:
            unrouted.append(request)
            raise

    router.resolver = recording  # type: ignore[method-assign]
    with router:
        yield router
        if unrouted:
            names = "\n  ".join(dict.fromkeys(f"{r.method} {r.url}" for r in unrouted))
            raise AssertionError(f"requests no route answered:\n  {names}")
        validate_all(call.request for call in router.calls)

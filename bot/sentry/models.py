"""Typed views of Sentry resources. Every model tolerates fields Sentry adds later."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel


class SentryModel(BaseModel):
    """Base: camelCase aliases, extra fields ignored, populate by name too."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class ProjectRef(SentryModel):
    id: str
    slug: str
    name: str = ""
    platform: str | None = None


class Project(ProjectRef):
    """A project as listed by `organizations/{org}/projects/`."""

    teams: list[TeamRef] = Field(default_factory=list)


class TeamRef(SentryModel):
    id: str
    slug: str
    name: str = ""


class Assignee(SentryModel):
    type: str
    id: str
    name: str = ""
    email: str | None = None


def short_version_of(version: str, version_info: dict[str, Any] | None = None) -> str:
    """`1.5.2` for `backend@1.5.2`: Sentry's parsed version, else what follows the `@`."""
    raw = ((version_info or {}).get("version") or {}).get("raw")
    if isinstance(raw, str) and raw:
        return raw
    return version.rpartition("@")[2] or version


class ReleaseRef(SentryModel):
    """A release as an issue names it (first/last release): Sentry serializes it in full."""

    version: str
    short_version: str | None = None
    version_info: dict[str, Any] | None = None
    date_created: datetime | None = None
    date_released: datetime | None = None
    deploy_count: int | None = None  # None: Sentry did not say (then ask for the deploys)
    last_deploy: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _short(self) -> ReleaseRef:
        # Sentry sends `shortVersion` = the full version (ReleaseSerializer); see Release.
        if not self.short_version or self.short_version == self.version:
            derived = short_version_of(self.version, self.version_info)
            self.short_version = derived if derived != self.version else self.short_version
        return self


class TagSummary(SentryModel):
    key: str
    name: str = ""
    total_values: int = 0
    top_values: list[dict[str, Any]] = Field(default_factory=list)


class Issue(SentryModel):
    """An issue (group) from the issue list or detail endpoints."""

    id: str
    short_id: str = Field(validation_alias=AliasChoices("shortId", "short_id"))
    title: str
    culprit: str | None = None
    permalink: str | None = None
    level: str = "error"
    status: str = "unresolved"
    substatus: str | None = None
    status_details: dict[str, Any] = Field(default_factory=dict)
    project: ProjectRef
    assigned_to: Assignee | None = None
    count: int = 0
    user_count: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    first_release: ReleaseRef | None = None
    last_release: ReleaseRef | None = None
    stats: dict[str, list[list[float]]] = Field(default_factory=dict)
    tags: list[TagSummary] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)
    platform: str | None = None
    priority: str | None = None
    issue_category: str | None = None

    @field_validator("count", mode="before")
    @classmethod
    def _count(cls, v: object) -> object:
        return int(v) if isinstance(v, str) and v.isdigit() else v

    @field_validator("status_details", "metadata", "stats", mode="before")
    @classmethod
    def _none_dict(cls, v: object) -> object:
        return {} if v is None else v

    @field_validator("tags", mode="before")
    @classmethod
    def _none_list(cls, v: object) -> object:
        return [] if v is None else v

    def series(self, period: str = "24h") -> list[float]:
        """The event counts of `stats[period]`, oldest first."""
        return [float(point[1]) for point in self.stats.get(period, []) if len(point) >= 2]


class Frame(SentryModel):
    filename: str | None = None
    abs_path: str | None = None
    function: str | None = None
    module: str | None = None
    line_no: int | None = Field(default=None, validation_alias=AliasChoices("lineNo", "lineno"))
    in_app: bool | None = None


class ExceptionValue(SentryModel):
    type: str | None = None
    value: str | None = None
    module: str | None = None
    frames: list[Frame] = Field(default_factory=list)


class EventTag(SentryModel):
    key: str
    value: str


class Event(SentryModel):
    """An event as returned by `issues/{id}/events/{event_id}/`."""

    id: str | None = None
    event_id: str | None = Field(default=None, validation_alias=AliasChoices("eventID", "id"))
    title: str | None = None
    message: str | None = None
    platform: str | None = None
    date_created: datetime | None = None
    tags: list[EventTag] = Field(default_factory=list)
    entries: list[dict[str, Any]] = Field(default_factory=list)

    @field_validator("tags", "entries", mode="before")
    @classmethod
    def _none_list(cls, v: object) -> object:
        return [] if v is None else v

    def tag(self, key: str) -> str | None:
        """The value of one tag, if the event has it."""
        return next((t.value for t in self.tags if t.key == key), None)

    def exceptions(self) -> list[ExceptionValue]:
        """The exception chain, outermost last as Sentry sends it."""
        out: list[ExceptionValue] = []
        for entry in self.entries:
            if entry.get("type") != "exception":
                continue
            for value in (entry.get("data") or {}).get("values") or []:
                frames = ((value or {}).get("stacktrace") or {}).get("frames") or []
                out.append(
                    ExceptionValue(
                        type=value.get("type"),
                        value=value.get("value"),
                        module=value.get("module"),
                        frames=[Frame.model_validate(f) for f in frames if isinstance(f, dict)],
                    )
                )
        return out

    def top_in_app_frame(self) -> Frame | None:
        """The innermost in-app frame of the last exception (the one that raised)."""
        chain = self.exceptions()
        if not chain:
            return None
        frames = chain[-1].frames
        in_app = [f for f in frames if f.in_app]
        pool = in_app or frames
        return pool[-1] if pool else None


class Member(SentryModel):
    """An organisation member; `user` is absent for pending invites."""

    id: str
    email: str = ""
    name: str = ""
    role: str = Field(default="member", validation_alias=AliasChoices("orgRole", "role"))
    user: dict[str, Any] | None = None
    pending: bool = False

    @property
    def user_id(self) -> str | None:
        """The Sentry user id (what `assignedTo: user:<id>` takes)."""
        return str(self.user["id"]) if self.user and self.user.get("id") is not None else None


class Team(TeamRef):
    """A team from `organizations/{org}/teams/`."""

    member_count: int = 0
    is_member: bool = False
    projects: list[ProjectRef] = Field(default_factory=list)


Project.model_rebuild()

"""Typed views of releases, deploys, commits and event time series."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import Field, field_validator, model_validator

from bot.sentry.models import SentryModel, short_version_of


class Deploy(SentryModel):
    """A deploy of a release to an environment."""

    id: str
    environment: str
    name: str | None = None
    url: str | None = None
    date_started: datetime | None = None
    date_finished: datetime | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, v: object) -> object:
        return str(v) if isinstance(v, int) else v


class ReleaseProject(SentryModel):
    """A project as embedded in a release."""

    slug: str
    id: int | str | None = None
    name: str = ""
    new_groups: int = 0
    has_health_data: bool = False
    platform: str | None = None


class Release(SentryModel):
    """A release from `organizations/{org}/releases/` or its detail."""

    version: str
    short_version: str | None = None
    id: int | None = None
    status: str = "open"
    ref: str | None = None
    url: str | None = None
    date_created: datetime | None = None
    date_released: datetime | None = None
    new_groups: int = 0
    commit_count: int = 0
    deploy_count: int = 0
    last_deploy: Deploy | None = None
    projects: list[ReleaseProject] = Field(default_factory=list)
    version_info: dict[str, Any] | None = None

    @field_validator("projects", mode="before")
    @classmethod
    def _none_list(cls, v: object) -> object:
        return [] if v is None else v

    @model_validator(mode="after")
    def _short(self) -> Release:
        # Sentry's ReleaseSerializer sends `shortVersion` = the full version; the short form
        # (`1.5.2` of `backend@1.5.2`) is `versionInfo.version.raw`
        # (src/sentry/api/serializers/models/release.py).
        if not self.short_version or self.short_version == self.version:
            derived = short_version_of(self.version, self.version_info)
            self.short_version = derived if derived != self.version else self.short_version
        return self

    @property
    def label(self) -> str:
        """The short version when Sentry derived one, else the version."""
        return self.short_version or self.version

    @property
    def when(self) -> datetime | None:
        """When it was released, or created if it was never marked released."""
        return self.date_released or self.date_created

    @property
    def project_slugs(self) -> list[str]:
        """Slugs of the release's projects."""
        return [p.slug for p in self.projects]

    @property
    def has_health_data(self) -> bool:
        """True when any of its projects sends sessions."""
        return any(p.has_health_data for p in self.projects)


class CommitAuthor(SentryModel):
    name: str | None = None
    email: str | None = None


class Commit(SentryModel):
    """A commit associated with a release."""

    id: str
    message: str | None = None
    date_created: datetime | None = None
    author: CommitAuthor | None = None
    repository: dict[str, Any] | None = None

    @property
    def short_id(self) -> str:
        """The first 7 characters of the SHA."""
        return self.id[:7]

    @property
    def subject(self) -> str:
        """The first line of the message."""
        return (self.message or "").strip().splitlines()[0] if (self.message or "").strip() else ""

    @property
    def author_name(self) -> str:
        """Who wrote it, as well as Sentry knows."""
        if self.author is None:
            return "unknown"
        return self.author.name or self.author.email or "unknown"

    @property
    def repo_name(self) -> str | None:
        """The repository name, e.g. `acme/backend`."""
        return (
            str(self.repository["name"]) if self.repository and "name" in self.repository else None
        )


@dataclass(frozen=True, slots=True)
class DeployRecord:
    """A deploy together with the release it deployed (what timelines and digests show)."""

    version: str
    label: str
    projects: tuple[str, ...]
    deploy: Deploy


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    when: datetime
    value: float

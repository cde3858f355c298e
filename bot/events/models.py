"""Sentry's event and tag payloads, as `issues/{id}/events/{event_id}/` and
`issues/{id}/tags/{key}/` return them (IssueEventSerializer, TagKeySerializer)."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from pydantic import AliasChoices, BaseModel, Field, ValidationError, field_validator

from bot.sentry.models import EventTag, SentryModel


def _list(v: object) -> object:
    return [] if v is None else v


def _frames(raw: object) -> list[FrameDetail]:
    """The frames Sentry sent that parse; one odd frame does not lose the stack."""
    out: list[FrameDetail] = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, dict):
            with contextlib.suppress(ValidationError):
                out.append(FrameDetail.model_validate(item))
    return out


class FrameDetail(SentryModel):
    """One stack frame; `context` is Sentry's `[[line number, source line], …]`."""

    filename: str | None = None
    abs_path: str | None = None
    function: str | None = None
    module: str | None = None
    package: str | None = None
    line_no: int | None = Field(default=None, validation_alias=AliasChoices("lineNo", "lineno"))
    col_no: int | None = Field(default=None, validation_alias=AliasChoices("colNo", "colno"))
    in_app: bool | None = None
    context: list[Any] = Field(default_factory=list)

    @field_validator("context", mode="before")
    @classmethod
    def _none_list(cls, v: object) -> object:
        return _list(v)

    @property
    def where(self) -> str:
        """`app/billing.py:88` (file, else module, else package)."""
        name = self.filename or self.abs_path or self.module or self.package or "?"
        return f"{name}:{self.line_no}" if self.line_no is not None else name

    @property
    def context_line(self) -> str | None:
        """The source line the frame stopped on, when Sentry has the source."""
        for item in self.context:
            if isinstance(item, list | tuple) and len(item) == 2 and item[0] == self.line_no:
                return str(item[1]) if item[1] is not None else None
        return None


def _strings(fields: dict[str, object]) -> dict[str, object]:
    """Text fields as text (an SDK may send a number or a list where Sentry expects a string)."""
    return {
        k: (v if v is None or isinstance(v, str | Mechanism) else str(v)) for k, v in fields.items()
    }


class Mechanism(SentryModel):
    type: str | None = None
    handled: bool | None = None


class ExceptionDetail(SentryModel):
    """One exception of the chain with its frames (oldest call first, as Sentry sends them)."""

    type: str | None = None
    value: str | None = None
    module: str | None = None
    mechanism: Mechanism | None = None
    frames: list[FrameDetail] = Field(default_factory=list)


class Breadcrumb(BaseModel):
    """A breadcrumb; Sentry keeps these keys in snake case."""

    type: str | None = None
    category: str | None = None
    level: str | None = None
    message: str | None = None
    timestamp: datetime | None = None
    data: dict[str, Any] | None = None


class RequestInfo(BaseModel):
    method: str | None = None
    url: str | None = None


class EventUser(BaseModel):
    id: str | None = None
    email: str | None = None
    username: str | None = None
    name: str | None = None
    ip_address: str | None = None

    @property
    def label(self) -> str | None:
        """The most human name Sentry has for the user."""
        return self.name or self.email or self.username or self.id or self.ip_address


class EventDetail(SentryModel):
    """An issue's event with its neighbours (`previousEventID` older, `nextEventID` newer)."""

    id: str
    event_id: str | None = Field(default=None, validation_alias=AliasChoices("eventID", "eventId"))
    group_id: str | None = Field(default=None, validation_alias=AliasChoices("groupID", "groupId"))
    title: str | None = None
    message: str | None = None
    culprit: str | None = None
    platform: str | None = None
    date_created: datetime | None = None
    tags: list[EventTag] = Field(default_factory=list)
    entries: list[dict[str, Any]] = Field(default_factory=list)
    user: EventUser | None = None
    next_event_id: str | None = Field(
        default=None, validation_alias=AliasChoices("nextEventID", "nextEventId")
    )
    previous_event_id: str | None = Field(
        default=None, validation_alias=AliasChoices("previousEventID", "previousEventId")
    )

    @field_validator("tags", "entries", mode="before")
    @classmethod
    def _none_lists(cls, v: object) -> object:
        return _list(v)

    def _entry(self, kind: str) -> dict[str, Any]:
        for entry in self.entries:
            if isinstance(entry, dict) and entry.get("type") == kind:
                data = entry.get("data")
                return data if isinstance(data, dict) else {}
        return {}

    def tag(self, key: str) -> str | None:
        """The value of one tag, if the event has it."""
        return next((t.value for t in self.tags if t.key == key), None)

    def exceptions(self) -> list[ExceptionDetail]:
        """The exception chain as Sentry sends it: the cause first, the raised one last."""
        out: list[ExceptionDetail] = []
        for value in self._entry("exception").get("values") or []:
            if not isinstance(value, dict):
                continue
            stack = value.get("stacktrace")
            frames = _frames(stack.get("frames") if isinstance(stack, dict) else None)
            fields = {k: value.get(k) for k in ("type", "value", "module")}
            with contextlib.suppress(ValidationError):
                mechanism = Mechanism.model_validate(value.get("mechanism") or {})
                fields["mechanism"] = mechanism if value.get("mechanism") else None
            out.append(ExceptionDetail.model_validate({**_strings(fields), "frames": frames}))
        return out

    def thread_frames(self) -> list[FrameDetail]:
        """Without an exception: the crashed (else the only) thread's or the event's stack."""
        stack = self._entry("stacktrace")
        if not stack:
            threads = [t for t in self._entry("threads").get("values") or [] if isinstance(t, dict)]
            crashed = [t for t in threads if t.get("crashed")] or threads[:1]
            stack = (crashed[0].get("stacktrace") or {}) if crashed else {}
        return _frames(stack.get("frames"))

    def breadcrumbs(self) -> list[Breadcrumb]:
        """Breadcrumbs oldest first, as recorded before the event."""
        out: list[Breadcrumb] = []
        for raw in self._entry("breadcrumbs").get("values") or []:
            if isinstance(raw, dict):
                fields = {k: raw.get(k) for k in ("type", "category", "level", "message")}
                crumb = {**_strings(fields), "data": raw.get("data")}
                with contextlib.suppress(ValidationError):
                    out.append(
                        Breadcrumb.model_validate({**crumb, "timestamp": raw.get("timestamp")})
                    )
                    continue
                with contextlib.suppress(ValidationError):  # an odd time or data: keep the words
                    out.append(Breadcrumb.model_validate({**crumb, "data": None}))
        return out

    def request(self) -> RequestInfo | None:
        """The HTTP request the event happened in, if the SDK recorded one."""
        data = self._entry("request")
        if not data:
            return None
        info = RequestInfo.model_validate(
            _strings({"method": data.get("method"), "url": data.get("url")})
        )
        return info if info.method or info.url else None

    def message_text(self) -> str | None:
        """The logged message (`message` entry), if any."""
        data = self._entry("message")
        text = data.get("formatted") or data.get("message") or self.message
        return str(text) if text else None


class TagValue(SentryModel):
    value: str | None = None
    name: str | None = None
    count: int | None = None


class TagDetail(SentryModel):
    """One tag of an issue: how many events carry it and its most common values."""

    key: str
    name: str = ""
    total_values: int | None = None
    unique_values: int | None = None
    top_values: list[TagValue] = Field(default_factory=list)

    @field_validator("top_values", mode="before")
    @classmethod
    def _none_list(cls, v: object) -> object:
        return _list(v)

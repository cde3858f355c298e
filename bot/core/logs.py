"""Logging set-up and the correlation id that follows one Slack request into Sentry calls."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import secrets
from typing import Any

correlation_id: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="-")
# Set by the request middleware: listeners calling new_correlation_id() keep the request's id.
_bound: contextvars.ContextVar[bool] = contextvars.ContextVar("correlation_bound", default=False)

# Token shapes that must never reach a log line, whatever code logged them.
_SECRET_RE = re.compile(
    r"(xox[abprs]-[A-Za-z0-9-]+|xoxe[.-][A-Za-z0-9.-]+|xapp-[A-Za-z0-9-]+"
    r"|sntr[ysu]_[A-Za-z0-9_=+/.-]+)"
)
# An OAuth `code` (in a URL or in a library's message) can be exchanged for a token.
# (`code=…` in a URL, `code: …` in a message, `'code': '…'` in a logged request body)
_OAUTH_CODE_RE = re.compile(r"(\bcode['\"]?(?:=|:\s*)['\"]?)[A-Za-z0-9._-]{6,}")
_registered: set[str] = set()


def new_correlation_id() -> str:
    """Start a new correlation id for the current task (or keep the request's) and return it."""
    if _bound.get():
        return correlation_id.get()
    cid = secrets.token_hex(6)
    correlation_id.set(cid)
    return cid


def bind_correlation_id(cid: str | None = None) -> str:
    """Give the current request one id that every listener and Sentry call below it keeps."""
    cid = cid or secrets.token_hex(6)
    correlation_id.set(cid)
    _bound.set(True)
    return cid


def register_secret(value: str | None) -> None:
    """Make the log filter redact this exact value (tokens, signing secret)."""
    if value and len(value) >= 6:
        _registered.add(value)


def redact(text: str) -> str:
    """Replace every known secret and token-shaped string with a marker."""
    for value in _registered:
        if value in text:
            text = text.replace(value, "[redacted]")
    text = _OAUTH_CODE_RE.sub(r"\1[redacted]", text)
    return _SECRET_RE.sub("[redacted]", text)


class _RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_id.get()
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class _QuietScheduler(logging.Filter):
    """APScheduler says "Scheduler started" once per scheduler (Dexter runs two) and
    "Running job …" on every 20-s tick: its INFO lines are DEBUG lines here."""

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("apscheduler") and record.levelno == logging.INFO:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return self.level <= logging.DEBUG
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the correlation id and any `extra` fields."""

    _skip = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "correlation_id"}

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "correlation_id": getattr(record, "correlation_id", "-"),
        }
        for key, value in vars(record).items():
            if key not in self._skip and not key.startswith("_"):
                out[key] = value
        if record.exc_text:
            out["exc"] = record.exc_text
        return redact(json.dumps(out, default=str))


def setup_logging(level: str = "INFO", fmt: str = "text") -> None:
    """Configure the root logger once: level, format and the redaction filter."""
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    handler.addFilter(_QuietScheduler(root.level))
    handler.addFilter(_RedactFilter())
    # httpx logs every request at INFO; Dexter logs Sentry calls itself (bot.sentry.calls)
    logging.getLogger("httpx").setLevel(max(logging.WARNING, root.level))

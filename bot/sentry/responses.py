"""Reading Sentry's answers: decoding, pagination cursors, rate-limit waits, error mapping.

Pure functions of one HTTP response (no I/O), used by the transport in bot/sentry/client.py.
"""

from __future__ import annotations

import copy
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.core import errors
from bot.sentry.limits import is_number

_LINK_RE = re.compile(r"<([^>]*)>\s*;\s*([^,]*)")


@dataclass(frozen=True, slots=True)
class SentryResponse:
    """A decoded Sentry answer with the cursor of the next page, if there is one."""

    data: Any
    status: int
    headers: httpx.Headers
    next_cursor: str | None
    body: bytes = field(default=b"", repr=False, compare=False)  # the raw JSON `data` came from


def parse_next_cursor(link_header: str | None) -> str | None:
    """Return the cursor of `rel="next"` when Sentry says it has results, else None."""
    if not link_header:
        return None
    for _url, attrs in _LINK_RE.findall(link_header):
        parts = dict(
            (k.strip(), v.strip().strip('"'))
            for k, _, v in (a.partition("=") for a in attrs.split(";"))
            if k.strip()
        )
        if parts.get("rel") == "next":
            return parts.get("cursor") if parts.get("results") == "true" else None
    return None


def recordable(resp: SentryResponse) -> dict[str, Any]:
    """What the job ledger keeps of a mutation's answer (bot/core/ledger.py)."""
    return {"data": resp.data, "status": resp.status}


def recorded(saved: dict[str, Any] | None) -> SentryResponse:
    """The answer rebuilt from what `recordable` kept."""
    saved = saved or {}
    return SentryResponse(saved.get("data"), int(saved.get("status") or 200), httpx.Headers(), None)


def rate_limit_delay(headers: httpx.Headers) -> float:
    """Seconds to wait after a 429: Retry-After when a proxy sets it, else until -Reset."""
    retry_after = headers.get("Retry-After")
    if retry_after and is_number(retry_after):
        return max(0.0, float(retry_after))
    reset = headers.get("X-Sentry-Rate-Limit-Reset")
    if reset and is_number(reset):
        return max(0.0, float(reset) - time.time()) + 0.05
    return 1.0


def map_client_error(resp: httpx.Response, family: str) -> errors.SentryError:
    """The error a 4xx answer means, with Sentry's own detail when it gives one."""
    detail = _detail(resp)
    status = resp.status_code
    cls: type[errors.SentryError] = {
        400: errors.SentryBadRequest,
        401: errors.SentryUnauthorized,
        403: errors.SentryForbidden,
        404: errors.SentryNotFound,
    }.get(status, errors.SentryBadRequest)
    return cls(detail or f"Sentry answered {status}", status=status, endpoint=family)


def _detail(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        detail = body.get("detail")
        if isinstance(detail, str):
            return detail
        if isinstance(detail, dict) and isinstance(detail.get("message"), str):
            return str(detail["message"])
        messages = [
            f"{k}: {' '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in body.items()
        ]
        return "; ".join(messages)
    if isinstance(body, list):
        return " ".join(map(str, body))
    return str(body)


def fresh_copy(resp: SentryResponse) -> Any:
    """A copy of `resp.data` that shares nothing with it."""
    return json.loads(resp.body) if resp.body else copy.deepcopy(resp.data)


def decode(resp: httpx.Response, family: str) -> SentryResponse:
    """A successful answer decoded from JSON, with its next-page cursor."""
    data: Any = None
    if resp.status_code != 204 and resp.content:
        try:
            data = resp.json()
        except ValueError:
            raise errors.SentryUnavailable(
                "Sentry answered with something that is not JSON",
                status=resp.status_code,
                endpoint=family,
            ) from None
    return SentryResponse(
        data=data,
        status=resp.status_code,
        headers=resp.headers,
        next_cursor=parse_next_cursor(resp.headers.get("Link")),
        body=resp.content if data is not None else b"",
    )

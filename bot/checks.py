"""`dexter check`: verify Slack, Sentry and Redis for real, one line per result."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import errors
from bot.deps import build_sentry
from bot.settings import Settings
from bot.store import Store

CHECK_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


async def check_slack(settings: Settings) -> CheckResult:
    """Slack `auth.test` with the bot token (`api.test` when tokens come from installs)."""
    if settings.multi_workspace:
        return await _check_slack_reachable(settings)
    client = AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=int(CHECK_TIMEOUT),
    )
    try:
        resp = await asyncio.wait_for(client.auth_test(), CHECK_TIMEOUT)
    except SlackApiError as exc:
        return CheckResult(
            "slack", False, f"Slack refused the bot token: {exc.response.get('error')}"
        )
    except Exception as exc:
        return CheckResult(
            "slack",
            False,
            f"Slack is unreachable at {settings.slack_api_url} ({type(exc).__name__})",
        )
    return CheckResult(
        "slack", True, f"Slack: connected as @{resp.get('user')} in {resp.get('team')}"
    )


async def _check_slack_reachable(settings: Settings) -> CheckResult:
    client = AsyncWebClient(base_url=settings.slack_api_url, timeout=int(CHECK_TIMEOUT))
    try:
        await asyncio.wait_for(client.api_test(), CHECK_TIMEOUT)
    except Exception as exc:
        return CheckResult(
            "slack",
            False,
            f"Slack is unreachable at {settings.slack_api_url} ({type(exc).__name__})",
        )
    return CheckResult(
        "slack", True, "Slack: reachable; bot tokens come from each workspace's install"
    )


async def check_sentry(settings: Settings) -> CheckResult:
    """The token works and the organisation is visible."""
    client = build_sentry(settings, timeout=CHECK_TIMEOUT, max_retries=0)
    try:
        resp = await client.get(client.org_path())
    except errors.SentryUnauthorized:
        return CheckResult("sentry", False, "Sentry refused SENTRY_AUTH_TOKEN (401)")
    except errors.SentryNotFound:
        return CheckResult(
            "sentry",
            False,
            f"Sentry has no organization `{settings.sentry_org}` visible to the token",
        )
    except errors.SentryForbidden as exc:
        return CheckResult("sentry", False, f"Sentry refused access to the organization: {exc}")
    except errors.SentryError as exc:
        return CheckResult(
            "sentry", False, f"Sentry is unreachable at {settings.sentry_base} ({exc})"
        )
    finally:
        await client.aclose()
    name = (resp.data or {}).get("name", settings.sentry_org)
    return CheckResult("sentry", True, f"Sentry: organization {name} at {settings.sentry_base}")


async def check_redis(settings: Settings) -> CheckResult:
    """Redis answers PING (the embedded server is started when REDIS_URL is unset)."""
    where = settings.redis_url or f"embedded, in {settings.data_dir}"
    try:
        store = await Store.connect(settings.redis_url, settings.data_dir)
        try:
            await asyncio.wait_for(store.ping(), CHECK_TIMEOUT)
        finally:
            await store.close()
    except Exception as exc:
        return CheckResult("redis", False, f"Redis is unreachable ({where}): {type(exc).__name__}")
    return CheckResult("redis", True, f"Redis: reachable ({where})")


async def run_checks(settings: Settings) -> list[CheckResult]:
    """All checks, concurrently."""
    return list(
        await asyncio.gather(check_slack(settings), check_sentry(settings), check_redis(settings))
    )
